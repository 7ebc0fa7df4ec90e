import { createHash, createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/core';
import { actingUserId, AppError, audit, badInput, isUuid, notFound, withSystemContext, type AppServices, type RequestContext } from '@bulwark/platform-api';
import { fileStore, type FileStore } from '@bulwark/backups-api';
import { User } from '@bulwark/identity-api';
import { AttachmentSettings, TicketAttachment } from './attachments.entities';
import { AttachmentAudit } from './attachments.permissions';
import { DEFAULT_ALLOWED_TYPES, DEFAULT_MAX_BYTES, FILE_KINDS, labelOf, MAX_BYTES_BOUNDS, NEVER_ALLOWED, sniff } from './attachments.sniff';
import type { Comment, Ticket } from './ticket.entity';

/** At most this many files on one message. */
export const MAX_ATTACHMENTS_PER_MESSAGE = 20;
/** An upload not linked to a message within this long is swept. */
export const UNLINKED_TTL_MS = 24 * 60 * 60_000;
/** How long a download link works. */
export const LINK_MINUTES = 5;

export interface AttachmentLimits {
  maxBytes: number;
  allowedTypes: string[];
}

export interface AttachmentView {
  id: string;
  filename: string;
  contentType: string;
  size: number;
  createdAt: Date;
}

const stores = new WeakMap<AppServices['config'], FileStore>();
/** The file store of this server (one per configuration: its S3 client is reused). */
export const filesOf = (app: Pick<AppServices, 'config'>): FileStore => {
  let s = stores.get(app.config);
  if (!s) stores.set(app.config, (s = fileStore(app.config)));
  return s;
};

// ---- limits ----

export async function attachmentLimits(ctx: RequestContext): Promise<AttachmentLimits & { row: AttachmentSettings | null }> {
  const row = await ctx.em.findOne(AttachmentSettings, {});
  return { maxBytes: row?.maxBytes ?? DEFAULT_MAX_BYTES, allowedTypes: row?.allowedTypes ?? [...DEFAULT_ALLOWED_TYPES], row };
}

export async function updateAttachmentLimits(ctx: RequestContext, input: AttachmentLimits): Promise<AttachmentLimits> {
  const fields: Record<string, string> = {};
  const [min, max] = MAX_BYTES_BOUNDS;
  if (!Number.isInteger(input.maxBytes) || input.maxBytes < min || input.maxBytes > max) fields.maxBytes = `Choose between 1 KB and ${max / 1024 / 1024} MB`;
  const types = [...new Set(input.allowedTypes)];
  const unknown = types.find((t) => !Object.hasOwn(FILE_KINDS, t)); // not `in`: "constructor" is no kind of file
  if (unknown) fields.allowedTypes = `Unknown kind of file: ${unknown.slice(0, 100)}`;
  else if (types.some((t) => NEVER_ALLOWED.includes(t))) fields.allowedTypes = 'Programs and scripts cannot be allowed';
  if (Object.keys(fields).length) throw badInput('Some limits are out of range', fields);
  const current = await attachmentLimits(ctx);
  const row = current.row ?? ctx.em.create(AttachmentSettings, { maxBytes: input.maxBytes, allowedTypes: types });
  const changes: Record<string, { before: unknown; after: unknown }> = {};
  if (current.maxBytes !== input.maxBytes) changes.maxBytes = { before: current.maxBytes, after: input.maxBytes };
  if ([...current.allowedTypes].sort().join() !== [...types].sort().join()) changes.allowedTypes = { before: current.allowedTypes, after: types };
  Object.assign(row, { maxBytes: input.maxBytes, allowedTypes: types, updatedAt: ctx.app.now() });
  if (Object.keys(changes).length) audit(ctx, AttachmentAudit.settingsChanged, { targetId: row.id, changes });
  return { maxBytes: input.maxBytes, allowedTypes: types };
}

const megabytes = (n: number) => (n < 1024 * 1024 ? `${Math.floor(n / 1024)} KB` : `${+(n / 1024 / 1024).toFixed(1)} MB`);

/** Why a file is refused, in words (null: accepted), its type as its content shows it. */
/** The refusal of a file over the limit, in words (also said before reading such a body). */
export const tooLarge = (limits: AttachmentLimits) => `The file is larger than this help desk accepts (${megabytes(limits.maxBytes)})`;

export function judgeFile(limits: AttachmentLimits, content: Buffer): { type: string; refusal: string | null } {
  const type = sniff(content);
  if (content.length > limits.maxBytes) return { type, refusal: tooLarge(limits) };
  if (!content.length) return { type, refusal: 'The file is empty' };
  if (NEVER_ALLOWED.includes(type) || !limits.allowedTypes.includes(type)) {
    return { type, refusal: `This kind of file is not accepted here (${labelOf(type)}, judged by its content, not its name)` };
  }
  return { type, refusal: null };
}

/** A file name as stored and shown: its last path part, no control characters, at most 255 characters. */
export function cleanFilename(name: string): string {
  // Control characters, and those that change how the rest reads: direction overrides and marks
  // ("invoice\u202Egnp.exe" shows as "invoiceexe.png") and line separators.
  // Zero-width characters go too: two names that look the same should be the same.
  const base = name.split(/[\\/]/).pop()?.replace(/[\p{Cc}\p{Bidi_Control}\p{Zl}\p{Zp}\u200b\u2060\ufeff"]/gu, '').trim() ?? '';
  // At most 255 characters, cut between characters, never inside one (an emoji's two halves).
  return [...(base || 'file')].slice(0, 255).join('');
}

// ---- upload ----

/**
 * Stores an upload of the acting person, on no message yet (attachmentIds link it). The caller
 * has read the body within `limits.maxBytes` (+1, to tell oversize). Throws BAD_USER_INPUT in words.
 */
export async function storeUpload(ctx: RequestContext, limits: AttachmentLimits, filename: string, content: Buffer): Promise<AttachmentView> {
  const userId = actingUserId(ctx.principal);
  if (!userId) throw new AppError('FORBIDDEN', 'Only a person can attach files');
  const { type, refusal } = judgeFile(limits, content);
  if (refusal) throw badInput(refusal, { file: refusal });
  const a = ctx.em.create(TicketAttachment, {
    filename: cleanFilename(filename),
    contentType: type,
    size: content.length,
    sha256: createHash('sha256').update(content).digest(),
    uploadedBy: ctx.em.getReference(User, userId),
    createdAt: ctx.app.now(),
  });
  await ctx.em.flush();
  // Before the commit: a failed commit leaves a file no row names (as harmless as a swept one).
  await filesOf(ctx.app).put(`${ctx.tenantId}/${a.id}`, content);
  return viewOf(a);
}

export const viewOf = (a: Pick<TicketAttachment, 'id' | 'filename' | 'contentType' | 'size' | 'createdAt'>): AttachmentView => ({
  id: a.id,
  filename: a.filename,
  contentType: a.contentType,
  size: Number(a.size),
  createdAt: a.createdAt,
});

// ---- linking ----

/**
 * Puts the acting person's own uploads on a message they are writing (createTicket: the ticket;
 * addComment: the comment and its ticket), in the caller's transaction. An id that is not such an
 * upload of this workspace (another person's, another workspace's, swept, or made up) is
 * NOT_FOUND, like a missing one; one already on a message is BAD_USER_INPUT.
 */
export async function linkAttachments(ctx: RequestContext, ids: readonly string[] | null | undefined, to: { ticket: Ticket; comment?: Comment | null }): Promise<AttachmentView[]> {
  const wanted = [...new Set(ids ?? [])];
  if (!wanted.length) return [];
  if (wanted.length > MAX_ATTACHMENTS_PER_MESSAGE) throw badInput(`At most ${MAX_ATTACHMENTS_PER_MESSAGE} files on one message`, { attachmentIds: 'too many' });
  const userId = actingUserId(ctx.principal);
  if (!userId || !wanted.every(isUuid)) throw notFound('Attachment');
  const rows = await ctx.em.find(TicketAttachment, { id: { $in: wanted }, uploadedBy: userId });
  if (rows.length !== wanted.length) throw notFound('Attachment');
  if (rows.some((r) => r.ticket)) throw badInput('A file is already on another message: upload it again', { attachmentIds: 'already attached' });
  const now = ctx.app.now();
  for (const r of rows) Object.assign(r, { ticket: to.ticket, comment: to.comment ?? null, linkedAt: now });
  return rows.map(viewOf);
}

// ---- links ----

const linkKey = (masterKey: string) => Buffer.from(hkdfSync('sha256', masterKey, 'bulwark', 'attachment links', 32));
const sign = (masterKey: string, payload: string) => createHmac('sha256', linkKey(masterKey)).update(payload).digest('base64url');

/**
 * A download link for one person, good for LINK_MINUTES: `/api/tickets/attachments/<tenant>/<id>/
 * <person>/<expiry>/<signature>` (HMAC under a key derived from the master key). It is only a
 * pointer: the GET judges that person now (their role, the ticket's scope, the allowlist), so
 * the link never reaches further or lives longer than their permission to see the ticket.
 */
export function downloadUrl(ctx: RequestContext, attachmentId: string): string | null {
  const userId = actingUserId(ctx.principal);
  if (!userId || !ctx.tenantId) return null;
  const expires = Math.floor(ctx.app.now().getTime() / 1000) + LINK_MINUTES * 60;
  const payload = `${ctx.tenantId}/${attachmentId}/${userId}/${expires}`;
  return `/api/tickets/attachments/${payload}/${sign(ctx.app.config.masterKey, payload)}`;
}

/** The link's parts if its signature holds and it has not expired; else null (one answer for all). */
export function verifyLink(app: Pick<AppServices, 'config' | 'now'>, p: Record<string, string>): { tenantId: string; attachmentId: string; userId: string } | null {
  const { tenant, id, user, expires, signature } = p;
  if (![tenant, id, user].every((v) => typeof v === 'string' && isUuid(v)) || !/^\d{1,12}$/.test(expires ?? '') || typeof signature !== 'string') return null;
  const payload = `${tenant}/${id}/${user}/${expires}`;
  const given = Buffer.from(signature);
  const ok = [app.config.masterKey, app.config.masterKeyPrevious].some((k) => {
    if (!k) return false;
    const expected = Buffer.from(sign(k, payload));
    return expected.length === given.length && timingSafeEqual(expected, given);
  });
  if (!ok || Number(expires) * 1000 <= app.now().getTime()) return null;
  return { tenantId: tenant, attachmentId: id, userId: user };
}

// ---- the sweeper ----

/** Uploads never put on a message within a day: their rows, then their files. */
export async function sweepUnlinkedAttachments(services: AppServices & { orm: MikroORM }): Promise<number> {
  const before = new Date(services.now().getTime() - UNLINKED_TTL_MS);
  const due = await services.orm.em.getConnection().execute<{ tenant_id: string; id: string }[]>('select * from bulwark_attachments_to_sweep(?)', [before]);
  let swept = 0;
  for (const d of due) {
    const gone = await withSystemContext(services.orm, services, d.tenant_id, 'attachment sweeper', (ctx) =>
      ctx.em.nativeDelete(TicketAttachment, { id: d.id, ticket: null, createdAt: { $lt: before } }),
    ).catch((error: unknown) => {
      services.log.error('sweeping an attachment failed', { tenantId: d.tenant_id, attachmentId: d.id, error });
      return 0;
    });
    if (!gone) continue;
    swept++;
    await filesOf(services)
      .remove(`${d.tenant_id}/${d.id}`)
      .catch((error: unknown) => services.log.warn('removing a swept attachment file failed', { tenantId: d.tenant_id, attachmentId: d.id, error }));
  }
  return swept;
}

/**
 * Files no row names any more, written over a day ago: those of deleted tickets and comments (the
 * rows go by cascade, the storage knows nothing of it), of an upload whose commit failed, of a
 * deleted workspace. Each workspace's candidates are checked against its rows inside it; a
 * workspace that cannot be entered is left alone. A day's grace covers uploads and restores
 * that wrote their file before their rows committed.
 */
export async function sweepOrphanFiles(services: AppServices & { orm: MikroORM }): Promise<number> {
  const before = services.now().getTime() - UNLINKED_TTL_MS;
  const byTenant = new Map<string, string[]>();
  for (const f of await filesOf(services).list()) {
    if (f.modifiedAt.getTime() >= before) continue;
    const [tenant, id] = f.storageKey.split('/');
    byTenant.set(tenant, [...(byTenant.get(tenant) ?? []), id]);
  }
  let removed = 0;
  for (const [tenant, ids] of byTenant) {
    const orphans = await withSystemContext(services.orm, services, tenant, 'attachment file sweeper', async (ctx) => {
      const kept = new Set((await ctx.em.find(TicketAttachment, { id: { $in: ids } }, { fields: ['id'] })).map((a) => a.id));
      return ids.filter((id) => !kept.has(id));
    }).catch((error: unknown) => {
      services.log.warn('could not check a workspace’s stored files', { tenantId: tenant, error });
      return [];
    });
    for (const id of orphans) {
      await filesOf(services)
        .remove(`${tenant}/${id}`)
        .then(() => removed++)
        .catch((error: unknown) => services.log.warn('removing an orphaned attachment file failed', { tenantId: tenant, attachmentId: id, error }));
    }
  }
  return removed;
}

// ---- files that come with mail ----

export interface IncomingFile {
  filename: string;
  content: Buffer;
}

/**
 * The files of an email judged as uploads are (the workspace's size and kind limits, the kind from
 * the content): those taken, and for each one left out a line in words that the channel puts in
 * the ticket, so that a refused file drops itself, not the message.
 */
export async function judgeIncomingFiles(ctx: RequestContext, files: IncomingFile[]): Promise<{ taken: IncomingFile[]; notes: string[] }> {
  const limits = await attachmentLimits(ctx);
  const taken: IncomingFile[] = [];
  const notes: string[] = [];
  for (const f of files) {
    const name = cleanFilename(f.filename);
    if (taken.length >= MAX_ATTACHMENTS_PER_MESSAGE) {
      notes.push(`${name}: more than ${MAX_ATTACHMENTS_PER_MESSAGE} files on one message`);
      continue;
    }
    const { refusal } = judgeFile(limits, f.content);
    if (refusal) notes.push(`${name}: ${refusal.charAt(0).toLowerCase()}${refusal.slice(1)}`);
    else taken.push({ filename: name, content: f.content });
  }
  return { taken, notes };
}

/** Stores files judged taken (judgeIncomingFiles) on the message they came with, as its sender's. */
export async function attachIncomingFiles(ctx: RequestContext, files: IncomingFile[], to: { ticket: Ticket; comment?: Comment | null }, senderId: string): Promise<void> {
  const now = ctx.app.now();
  for (const f of files) {
    const a = ctx.em.create(TicketAttachment, {
      filename: cleanFilename(f.filename),
      contentType: sniff(f.content),
      size: f.content.length,
      sha256: createHash('sha256').update(f.content).digest(),
      uploadedBy: ctx.em.getReference(User, senderId),
      ticket: to.ticket,
      comment: to.comment ?? null,
      createdAt: now,
      linkedAt: now,
    });
    await filesOf(ctx.app).put(`${ctx.tenantId}/${a.id}`, f.content);
  }
}
