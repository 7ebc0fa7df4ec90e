import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { simpleParser } from 'mailparser';
import type { MikroORM } from '@mikro-orm/core';
import { actingUserId, audit, badInput, conflict, inTenantTransaction, isUuid, notFound, Tenant, type BulwarkConfig, type PageInput, type RequestContext } from '@bulwark/platform-api';
import { requireRecentAuth } from '@bulwark/identity-api';
import { fileAuthenticated, ownAddresses, senderOf } from './inbound.service';
import { MailAudit } from './mail.audit';
import { mailConfig } from './mail.config';
import { MailRecord, MailSettings } from './mail.entities';
import { SenderPolicyEnum, type HeldMailPage, type HeldMailView, type MailInboundSecretView, type MailSettingsInput, type MailSettingsView } from './mail.types';

/** Where this process's SMTP listener is bound, per configuration (set when it starts: a port 0 becomes real). */
const listeners = new WeakMap<BulwarkConfig, { host: string; port: number; tls: boolean }>();
export const noteListener = (config: BulwarkConfig, address: { host: string; port: number; tls: boolean } | null) =>
  address ? listeners.set(config, address) : listeners.delete(config);

export async function mailSettings(ctx: RequestContext): Promise<MailSettingsView> {
  const cfg = mailConfig.of(ctx.app.config);
  const tenant = await ctx.em.findOneOrFail(Tenant, { id: ctx.tenantId as string });
  const row = await ctx.em.findOne(MailSettings, {});
  return {
    workspaceAddress: `${tenant.slug}@${cfg.domain}`,
    domain: cfg.domain,
    forwardingAddresses: row?.forwardingAddresses ?? [],
    senderPolicy: (row?.senderPolicy ?? 'hold') as SenderPolicyEnum,
    inboundSecretSet: !!row?.inboundSecretHash,
    inboundUrl: `${ctx.app.config.publicUrl.replace(/\/$/, '')}/api/mail/inbound`,
    listener: listeners.get(ctx.app.config) ?? null,
    maxBytes: cfg.maxBytes,
  };
}

const ADDRESS = /^[a-z0-9.!#$%&'*+/=?^_`{|}~-]+@([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

/**
 * Changes the sender policy and the forwarding addresses. Both are security settings (relaxing the
 * policy lets unverified mail in as tickets; a forwarding address is trusted not to be a sender),
 * so a recent re-authentication is needed (B8), and the change is audited with before and after.
 */
export async function updateMailSettings(ctx: RequestContext, input: MailSettingsInput): Promise<MailSettingsView> {
  await requireRecentAuth(ctx);
  const cfg = mailConfig.of(ctx.app.config);
  let forwarding: string[] | undefined;
  if (input.forwardingAddresses) {
    forwarding = [];
    for (const given of input.forwardingAddresses) {
      const a = given.trim().toLowerCase();
      if (!ADDRESS.test(a) || a.length > 254) throw badInput(`“${given.trim().slice(0, 80)}” is not an email address`, { forwardingAddresses: `“${given.trim().slice(0, 80)}” is not an email address` });
      if (a.endsWith(`@${cfg.domain}`)) {
        throw badInput('Bulwark’s own addresses cannot forward to Bulwark', { forwardingAddresses: `${a} is an address of this help desk’s mail domain, not one of your own` });
      }
      if (!forwarding.includes(a)) forwarding.push(a);
    }
  }
  const row = (await ctx.em.findOne(MailSettings, {})) ?? ctx.em.create(MailSettings, {});
  const before = { senderPolicy: row.senderPolicy, forwardingAddresses: [...row.forwardingAddresses] };
  if (input.senderPolicy) row.senderPolicy = input.senderPolicy;
  if (forwarding) row.forwardingAddresses = forwarding;
  row.updatedAt = ctx.app.now();
  const changes: Record<string, { before: unknown; after: unknown }> = {};
  if (before.senderPolicy !== row.senderPolicy) changes.senderPolicy = { before: before.senderPolicy, after: row.senderPolicy };
  if (JSON.stringify(before.forwardingAddresses) !== JSON.stringify(row.forwardingAddresses)) changes.forwardingAddresses = { before: before.forwardingAddresses, after: row.forwardingAddresses };
  if (Object.keys(changes).length) audit(ctx, MailAudit.settingsChanged, { targetId: row.id, changes });
  await ctx.em.flush();
  return mailSettings(ctx);
}

/**
 * The HTTP endpoint's secret: `bwm_<tenant><256 random bits>`. The tenant part only says where to
 * look (D4: the secret chooses the tenant, and a secret edited to name another finds nothing
 * there); only its SHA-256 is stored. Shown once; the previous one stops working at once.
 */
export async function rotateMailInboundSecret(ctx: RequestContext): Promise<MailInboundSecretView> {
  await requireRecentAuth(ctx);
  const tenant = Buffer.from((ctx.tenantId as string).replace(/-/g, ''), 'hex').toString('base64url');
  const secret = `bwm_${tenant}${randomBytes(32).toString('base64url')}`;
  const row = (await ctx.em.findOne(MailSettings, {})) ?? ctx.em.create(MailSettings, {});
  const had = !!row.inboundSecretHash;
  row.inboundSecretHash = hashSecret(secret);
  row.updatedAt = ctx.app.now();
  // B9: the secret never reaches the log; its hash's prefix is enough to tell two apart.
  audit(ctx, MailAudit.inboundSecretRotated, { targetId: row.id, details: { replacedOne: had, hashPrefix: row.inboundSecretHash.slice(0, 8) } });
  await ctx.em.flush();
  return { secret, settings: await mailSettings(ctx) };
}

const hashSecret = (secret: string) => createHash('sha256').update(secret).digest('hex');

/** The tenant an inbound secret belongs to, or null (malformed, unknown, rotated away). */
export async function tenantOfInboundSecret(orm: MikroORM, secret: string): Promise<string | null> {
  const m = /^bwm_([A-Za-z0-9_-]{22})([A-Za-z0-9_-]{43})$/.exec(secret);
  if (!m) return null;
  const hex = Buffer.from(m[1], 'base64url').toString('hex');
  if (hex.length !== 32) return null;
  const tenantId = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  const stored = await inTenantTransaction(orm, tenantId, (em) => em.findOne(MailSettings, {}).then((r) => r?.inboundSecretHash ?? null), { readOnly: true });
  if (!stored) return null;
  const given = Buffer.from(hashSecret(secret));
  return timingSafeEqual(given, Buffer.from(stored)) ? tenantId : null;
}

export async function listHeldMail(ctx: RequestContext, page: PageInput): Promise<HeldMailPage> {
  const [rows, total] = await ctx.em.findAndCount(MailRecord, { direction: 'in', status: 'held' }, { orderBy: { createdAt: 'desc', id: 'desc' }, limit: page.limit, offset: page.offset });
  return { nodes: rows.map(heldView), totalCount: total };
}

const heldView = (r: MailRecord): HeldMailView => ({
  id: r.id,
  from: r.fromAddress,
  subject: r.subject || '(no subject)',
  reason: r.reason ?? '',
  authentication: r.authentication ? { ...r.authentication, spf: r.authentication.spf ?? 'none', dkim: r.authentication.dkim ?? 'none', dmarc: r.authentication.dmarc ?? 'none', arc: r.authentication.arc ?? 'none' } : null,
  receivedAt: r.createdAt,
  status: r.status,
  ticketId: r.ticket?.id ?? null,
});

async function heldOne(ctx: RequestContext, id: string): Promise<MailRecord> {
  const r = isUuid(id) ? await ctx.em.findOne(MailRecord, { id, direction: 'in' }, { populate: ['raw'] }) : null;
  if (!r || !['held', 'released', 'discarded'].includes(r.status)) throw notFound('Held mail');
  // Two admins deciding at once: the second waits for the first and then sees it decided.
  await ctx.em.getConnection().execute('select pg_advisory_xact_lock(hashtextextended(?, 0))', [`mail:${ctx.tenantId}:held:${r.id}`], 'all', ctx.em.getTransactionContext());
  await ctx.em.refresh(r, { populate: ['raw'] });
  if (r.status !== 'held') throw conflict('This message was already decided: reload to see what changed', { id: 'decided' });
  return r;
}

/**
 * An admin vouches for a held message's sender: it is filed as if authenticated, from the person
 * it claims (their ticket or reply, threading as it would have). The raw message is dropped.
 */
export async function releaseHeldMail(ctx: RequestContext, id: string): Promise<HeldMailView> {
  const r = await heldOne(ctx, id);
  const parsed = await simpleParser(r.raw as Buffer, { skipImageLinks: true, skipTextLinks: true });
  const sender = senderOf(parsed);
  if (!sender) throw conflict('This message names no sender to file it from; discard it instead', { id: 'no sender' });
  const cfg = mailConfig.of(ctx.app.config);
  const tenant = await ctx.em.findOneOrFail(Tenant, { id: ctx.tenantId as string });
  const settings = await ctx.em.findOne(MailSettings, {});
  const filed = await fileAuthenticated(ctx, parsed, sender, r.toAddresses, ownAddresses(tenant.slug, cfg.domain, settings), r, null);
  if (filed.status === 'ticket' || filed.status === 'reply') r.status = 'released';
  r.raw = null;
  // The actor is the admin who decided (this request's principal, restored after filing).
  audit(ctx, MailAudit.messageReleased, { targetId: r.id, details: { decidedBy: actingUserId(ctx.principal), from: r.fromAddress, ticketId: filed.ticketId, filedAs: filed.status === 'ignored' ? 'nothing' : filed.status, reason: r.reason ?? null, authentication: r.authentication } });
  await ctx.em.flush();
  return heldView(r);
}

export async function discardHeldMail(ctx: RequestContext, id: string): Promise<HeldMailView> {
  const r = await heldOne(ctx, id);
  r.status = 'discarded';
  r.raw = null;
  audit(ctx, MailAudit.messageDiscarded, { targetId: r.id, details: { from: r.fromAddress, subject: r.subject, authentication: r.authentication } });
  await ctx.em.flush();
  return heldView(r);
}
