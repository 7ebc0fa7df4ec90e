import {
  queueMail,
  AppError,
  audit,
  badInput,
  conflict,
  enterTenant,
  forbidden,
  isUuid,
  notFound,
  Tenant,
  type Permission,
  type RequestContext,
} from '@bulwark/platform-api';
import {
  assertNotThrottled,
  decryptTotpSecret,
  dummyHash,
  matchTotp,
  newTenantToken,
  normalizeCode,
  normalizeEmail,
  recordSignInFailure,
  requireRecentAuth,
  tenantIdBySlug,
  User,
  verifyPassword,
} from '@bulwark/identity-api';
import { nextTicketNumber, Ticket } from '@bulwark/tickets-api';
import { checkNetwork } from '@bulwark/access-api';
import { fromSupportNetwork } from './credential';
import { supportConfig } from './support.config';
import { SupportAudit } from './support.audit';
import { SupportGrant, SupportOperator, SupportSession, type SupportAccessKind } from './support.entities';

/** An operator's TOTP secret is sealed bound to them, apart from every tenant's people. */
export const OPERATOR_TOTP_OWNER = (operatorId: string) => ({ tenantId: 'support-operators', userId: operatorId });

/** A10's numbers, for operators: 5 failures lock the account for 15 minutes. */
const LOCK_AFTER = 5;
const LOCK_MINUTES = 15;

const invalid = () => new AppError('UNAUTHENTICATED', 'Invalid email, password or code');
/** No workspace, or no open grant there for this operator: one answer (nothing to tell them apart). */
const noAccess = () => new AppError('NOT_FOUND', 'You have no open vendor support access to this workspace');

export interface SupportSignInInput {
  workspace: string;
  email: string;
  password: string;
  code: string;
}

/**
 * An operator's own sign-in (H1): password and a TOTP code always (2FA is mandatory), from the
 * support networks if the platform names any, into one workspace where an open grant names them
 * (or the whole team). Every failure answers alike and counts towards the operator's lock and the
 * address's throttle; right credentials without an open grant answer NOT_FOUND.
 */
export async function supportSignIn(ctx: RequestContext, input: SupportSignInInput) {
  const now = ctx.app.now();
  const { config } = ctx.app;
  const previous = ctx.principal;
  const tenantId = await tenantIdBySlug(ctx, input.workspace.trim().toLowerCase());
  if (tenantId) await enterTenant(ctx, tenantId, { replacePrincipal: true });
  const email = normalizeEmail(input.email).slice(0, 254);
  // Per address, whatever workspace is named: operators are the same in every workspace, and
  // anyone can make a workspace to try them against.
  await assertNotThrottled(ctx, null);
  const operator = await ctx.em.findOne(SupportOperator, { email });
  const ok = await verifyPassword(config.passwordPepper, input.password, operator?.passwordHash ?? (await dummyHash(config.passwordPepper, config.bcryptCost)));
  const locked = !!operator?.lockedUntil && operator.lockedUntil > now;
  const matched = operator && ok && !locked ? matchTotp(decryptTotpSecret(config.passwordPepper, operator.totpSecret, OPERATOR_TOTP_OWNER(operator.id)), normalizeCode(input.code), now, operator.totpLastStep ?? null) : null;
  // A code is good once, even for two sign-ins racing with it: the step is claimed in one update.
  const step = operator && matched !== null && (await claimStep(ctx, operator.id, matched)) ? matched : null;
  const network = fromSupportNetwork(ctx);
  if (!operator || !ok || step === null || locked || operator.status !== 'active' || !network) {
    if (operator && !locked && (!ok || step === null)) await countFailure(ctx, operator.id, now);
    if (!ok || step === null) await recordSignInFailure(ctx, null);
    const reason = !operator ? 'unknown operator' : locked ? 'locked' : !ok ? 'wrong password' : step === null ? 'wrong code' : operator.status !== 'active' ? `operator ${operator.status}` : 'network refused';
    ctx.log.warn('vendor support sign-in refused', { reason, operatorId: operator?.id, ip: ctx.ip });
    // The workspace's log says that a vendor sign-in failed, not why: whoever made a workspace
    // could otherwise learn from it whether a guessed operator password was right.
    if (tenantId) audit(ctx, SupportAudit.signInFailed, { actor: { type: 'anonymous', id: null, name: email }, outcome: 'failure', evenIfRolledBack: true });
    throw invalid().keepingChanges();
  }
  // A platform table, no tenant's data (hence no tenant_id): a success resets the count (A10).
  await ctx.em.getConnection().execute('update support_operators set failed_count = 0, locked_until = null where id = ?', [operator.id], 'run', ctx.em.getTransactionContext());
  const grant = tenantId ? await openGrantFor(ctx, operator.id) : null;
  if (!tenantId || !grant) {
    if (tenantId) audit(ctx, SupportAudit.signInFailed, { actor: { type: 'support', id: operator.id, name: operator.name }, outcome: 'failure', details: { reason: 'no open grant' }, evenIfRolledBack: true });
    throw noAccess().keepingChanges();
  }
  const settings = supportConfig.of(config);
  const { token, hash } = newTenantToken('bwo_', tenantId);
  const expiresAt = new Date(Math.min(now.getTime() + settings.sessionHours * 3600_000, grant.expiresAt.getTime()));
  const session = ctx.em.create(SupportSession, { grantId: grant.id, operatorId: operator.id, tokenHash: hash, createdAt: now, lastSeenAt: now, expiresAt });
  ctx.http?.setSessionCookie(token, Math.ceil((expiresAt.getTime() - now.getTime()) / 1000));
  // B2: signing in again replaces the session the request came with.
  if (previous?.kind === 'support' && previous.tenantId === tenantId) await ctx.em.nativeDelete(SupportSession, { tenantId, id: previous.sessionId });
  ctx.principal = {
    kind: 'support',
    tenantId,
    operatorId: operator.id,
    sessionId: session.id,
    name: operator.name,
    email: operator.email,
    grantId: grant.id,
    until: grant.expiresAt,
    permissions: new Set(grant.permissions as Permission[]),
  };
  // D10: the workspace's own IP allowlist holds operators too (admins add the vendor's networks).
  try {
    await checkNetwork(ctx);
  } catch (e) {
    ctx.principal = null;
    audit(ctx, SupportAudit.signInFailed, { actor: { type: 'support', id: operator.id, name: operator.name }, targetId: grant.id, outcome: 'failure', details: { reason: 'network refused by the workspace' }, evenIfRolledBack: true });
    throw e;
  }
  audit(ctx, SupportAudit.signedIn, { targetId: grant.id, details: { sessionId: session.id } });
  return { token, expiresAt };
}

/** A10 for operators, in one statement, so concurrent failures all count. */
async function countFailure(ctx: RequestContext, operatorId: string, now: Date): Promise<void> {
  await ctx.em.getConnection().execute(
    `update support_operators set
       failed_count = case when failed_count + 1 >= ? then 0 else failed_count + 1 end,
       locked_until = case when failed_count + 1 >= ? then ? else locked_until end
     where id = ?`,
    [LOCK_AFTER, LOCK_AFTER, new Date(now.getTime() + LOCK_MINUTES * 60_000), operatorId],
    'run',
    ctx.em.getTransactionContext(),
  );
}

/** RFC 6238 §5.2: each time step once; of two sign-ins with one code, one gets it. */
async function claimStep(ctx: RequestContext, operatorId: string, step: number): Promise<boolean> {
  const r = await ctx.em
    .getConnection()
    .execute<{ affectedRows: number }>(
      'update support_operators set totp_last_step = ? where id = ? and (totp_last_step is null or totp_last_step < ?)',
      [step, operatorId, step],
      'run',
      ctx.em.getTransactionContext(),
    );
  return r.affectedRows === 1;
}

/** The newest open grant naming this operator (or the whole team) whose ticket is still open. */
async function openGrantFor(ctx: RequestContext, operatorId: string): Promise<SupportGrant | null> {
  const now = ctx.app.now();
  // One query: open grants whose ticket is still open (the session lookup's conditions, at sign-in).
  const grants = await ctx.em.find(
    SupportGrant,
    { endedAt: null, expiresAt: { $gt: now }, ticket: { status: { $nin: ['solved', 'closed'] } } },
    { orderBy: { createdAt: 'desc' } },
  );
  return grants.find((g) => !g.operatorIds.length || g.operatorIds.includes(operatorId)) ?? null;
}

/**
 * The read permissions a "read-only" grant holds: reading, never personal data or exports. The
 * audit log is not among them: its events name people by their email.
 */
export const READ_ONLY: readonly string[] = ['tickets.read', 'tickets.viewAll', 'users.read', 'organizations.read', 'roles.read', 'backups.read'];

/**
 * What a grant may carry at all: ticket work and reading. Never a permission that makes
 * something outlive the grant or let someone else in (inviting people, roles, API tokens, SSO,
 * network rules, alert webhooks, backups' keys and files), nor deleting tickets (the request
 * itself among them).
 */
export const GRANTABLE: readonly string[] = [
  ...READ_ONLY,
  'tickets.viewGroup',
  'tickets.create',
  'tickets.update',
  'tickets.comment',
  'tickets.internalNotes',
  'users.viewPii',
  'audit.read',
];

export interface GrantInput {
  access: SupportAccessKind;
  /** For `custom`: the permissions, each one the granting admin holds. */
  permissions?: string[] | null;
  hours?: number | null;
  /** Empty or absent: the whole support team. */
  operatorIds?: string[] | null;
}

/** H1: scoped (never beyond the granting admin), time-boxed, for named operators or the team. */
async function checkedGrant(ctx: RequestContext, input: GrantInput): Promise<{ permissions: string[]; expiresAt: Date; operatorIds: string[] }> {
  const p = ctx.principal;
  if (p?.kind !== 'user') throw forbidden();
  const settings = supportConfig.of(ctx.app.config);
  const hours = input.hours ?? settings.defaultHours;
  if (!Number.isInteger(hours) || hours < 1 || hours > settings.maxHours) {
    throw badInput(`Access lasts from 1 hour to ${settings.maxHours / 24} days`, { hours: `between 1 and ${settings.maxHours}` });
  }
  let permissions: string[];
  if (input.access === 'read_only') {
    if (input.permissions?.length) throw badInput('Read-only access takes no list of permissions: choose custom access to name them', { permissions: 'only with custom access' });
    permissions = READ_ONLY.filter((k) => p.permissions.has(k as Permission));
  } else {
    permissions = [...new Set(input.permissions ?? [])];
    if (!permissions.length) throw badInput('Name at least one permission for custom access', { permissions: 'required' });
    const known = new Set(ctx.app.catalog.definitions.map((d) => d.key as string));
    const unknown = permissions.filter((k) => !known.has(k));
    if (unknown.length) throw badInput(`Unknown permission: ${unknown.join(', ')}`, { permissions: 'unknown' });
    // D14: what the admin lacks, or what no grant may carry, is refused, never silently dropped.
    if (permissions.some((k) => !p.permissions.has(k as Permission))) {
      throw new AppError('FORBIDDEN', 'You can only grant permissions you hold yourself', { fields: { permissions: 'beyond your own' } });
    }
    const never = permissions.filter((k) => !GRANTABLE.includes(k));
    if (never.length) {
      throw new AppError('FORBIDDEN', `Vendor support cannot be given ${never.join(', ')}: a grant carries ticket work and reading, nothing that outlives it`, {
        fields: { permissions: 'not grantable' },
      });
    }
  }
  const operatorIds = [...new Set(input.operatorIds ?? [])];
  for (const id of operatorIds) {
    const operator = isUuid(id) ? await ctx.em.findOne(SupportOperator, { id, status: 'active' }) : null;
    if (!operator) throw notFound('Support operator');
  }
  return { permissions, expiresAt: new Date(ctx.app.now().getTime() + hours * 3600_000), operatorIds };
}

export interface VendorSupportInput extends GrantInput {
  subject: string;
  body: string;
}

/**
 * An admin asks the vendor for help (issue 18 §1): a vendor support ticket in the workspace's own
 * desk, and with it a grant. Re-authenticated, like every grant of access (B8).
 */
export async function requestVendorSupport(ctx: RequestContext, input: VendorSupportInput): Promise<SupportGrant> {
  await requireRecentAuth(ctx);
  const checked = await checkedGrant(ctx, input);
  const p = ctx.principal as Extract<RequestContext['principal'], { kind: 'user' }>;
  const now = ctx.app.now();
  const subject = input.subject.trim();
  if (!subject) throw badInput('Say what the vendor should look at', { subject: 'required' });
  if (!input.body.trim()) throw badInput('Describe the problem for the vendor', { body: 'required' });
  const ticket = ctx.em.create(Ticket, {
    number: await nextTicketNumber(ctx),
    subject,
    body: input.body,
    kind: 'vendor_support',
    status: 'open',
    priority: 'normal',
    channel: 'web',
    requester: ctx.em.getReference(User, p.userId),
    createdAt: now,
    updatedAt: now,
  });
  return grant(ctx, ticket, input.access, checked);
}

/** A new grant on an open vendor support ticket whose earlier access ended (or never started). */
export async function grantSupportAccess(ctx: RequestContext, ticketId: string, input: GrantInput): Promise<SupportGrant> {
  await requireRecentAuth(ctx);
  const ticket = isUuid(ticketId) ? await ctx.em.findOne(Ticket, { id: ticketId }) : null;
  if (!ticket) throw notFound('Ticket');
  if (ticket.kind !== 'vendor_support') throw badInput('Access is granted through a vendor support request, not an ordinary ticket', { ticketId: 'not a vendor support request' });
  // H2: a solved or closed ticket ended its access; reopening it does not bring access back.
  if (ticket.status === 'solved' || ticket.status === 'closed') throw conflict('This vendor support request is closed: open a new one to grant access again');
  const open = await ctx.em.count(SupportGrant, { ticket: ticketId, endedAt: null, expiresAt: { $gt: ctx.app.now() } });
  if (open) throw conflict('This request already grants access: revoke it first to change it');
  return grant(ctx, ticket, input.access, await checkedGrant(ctx, input));
}

async function grant(ctx: RequestContext, ticket: Ticket, access: SupportAccessKind, checked: { permissions: string[]; expiresAt: Date; operatorIds: string[] }): Promise<SupportGrant> {
  const p = ctx.principal as Extract<RequestContext['principal'], { kind: 'user' }>;
  const g = ctx.em.create(SupportGrant, { ticket, grantedBy: p.userId, access, createdAt: ctx.app.now(), ...checked });
  audit(ctx, SupportAudit.accessGranted, {
    targetId: g.id,
    details: { ticketId: ticket.id, access, permissions: g.permissions, operators: checked.operatorIds.length ? checked.operatorIds : 'support team', expiresAt: g.expiresAt.toISOString() },
  });
  await tellAdmins(ctx, 'Vendor support access granted', `${p.name ?? 'An admin'} granted vendor support access to this workspace until ${g.expiresAt.toUTCString()}, for the request "${ticket.subject}". It ends at once when that request is solved or closed, or when an admin revokes it.`);
  return g;
}

/** An admin ends a grant at once: the operator's next request is UNAUTHENTICATED (H2). */
export async function revokeSupportAccess(ctx: RequestContext, id: string): Promise<SupportGrant> {
  const p = ctx.principal;
  if (p?.kind !== 'user') throw forbidden();
  const g = isUuid(id) ? await ctx.em.findOne(SupportGrant, { id }) : null;
  if (!g) throw notFound('Support access');
  if (g.endedAt) return g;
  const now = ctx.app.now();
  Object.assign(g, { endedAt: now, endReason: 'revoked', endedBy: p.userId, endNoticedAt: now });
  await ctx.em.nativeDelete(SupportSession, { tenantId: g.tenantId, grantId: g.id });
  audit(ctx, SupportAudit.accessRevoked, { targetId: g.id });
  await tellAdmins(ctx, 'Vendor support access revoked', `${p.name ?? 'An admin'} revoked vendor support access to this workspace. Operators signed in under it were signed out.`);
  return g;
}

/**
 * The sweeper's work on one grant (in its tenant, as the system): a grant past its expiry ends,
 * and a grant that ended (its ticket closed, or expired) has its sessions removed, one event, and
 * its admins told, once: the mark is claimed with a conditional update, so of several API
 * processes sweeping at once only one tells.
 */
export async function endGrant(ctx: RequestContext, id: string): Promise<void> {
  const now = ctx.app.now();
  const g = await ctx.em.findOne(SupportGrant, { id });
  if (!g || g.endNoticedAt) return;
  if (!g.endedAt) {
    if (g.expiresAt > now) return;
    g.endedAt = g.expiresAt;
    g.endReason = 'expired';
  }
  const claimed = await ctx.em.nativeUpdate(SupportGrant, { tenantId: g.tenantId, id, endNoticedAt: null }, { endNoticedAt: now, endedAt: g.endedAt, endReason: g.endReason });
  if (!claimed) return;
  g.endNoticedAt = now;
  await ctx.em.nativeDelete(SupportSession, { tenantId: g.tenantId, grantId: id });
  audit(ctx, SupportAudit.accessEnded, { targetId: id, details: { reason: g.endReason } });
  const why = g.endReason === 'ticket_closed' ? 'its vendor support request was solved or closed' : 'it expired';
  await tellAdmins(ctx, 'Vendor support access ended', `Vendor support access to this workspace ended: ${why}. The audit log lists everything the operators did under it.`);
}

/** Owners and admins hear of access starting and ending (issue 18 §1), once the change commits. */
async function tellAdmins(ctx: RequestContext, subject: string, text: string): Promise<void> {
  const admins = await ctx.em.find(User, { role: { $in: ['owner', 'admin'] }, status: 'active' }, { fields: ['email'] });
  for (const a of admins) await queueMail(ctx, { to: a.email, subject, text });
}

export interface GrantView {
  id: string;
  ticketId: string;
  ticketSubject: string;
  access: string;
  permissions: string[];
  supportTeam: boolean;
  operators: { id: string; name: string }[];
  grantedByName: string;
  createdAt: Date;
  expiresAt: Date;
  endedAt: Date | null;
  endReason: string | null;
  active: boolean;
}

/** Grants with what a person reads in them (ticket subject, names), newest first. */
export async function listGrants(ctx: RequestContext, opts: { activeOnly: boolean; id?: string }): Promise<GrantView[]> {
  const now = ctx.app.now();
  const where = { ...(opts.activeOnly ? { endedAt: null, expiresAt: { $gt: now } } : {}), ...(opts.id ? { id: opts.id } : {}) };
  const grants = await ctx.em.find(SupportGrant, where, { orderBy: { createdAt: 'desc' }, limit: 200 });
  if (!grants.length) return [];
  const tickets = new Map((await ctx.em.find(Ticket, { id: { $in: grants.map((g) => g.ticket.id) } }, { fields: ['subject', 'status'] })).map((t) => [t.id, t]));
  const people = new Map((await ctx.em.find(User, { id: { $in: grants.map((g) => g.grantedBy) } }, { fields: ['name'] })).map((u) => [u.id, u.name]));
  const operatorIds = [...new Set(grants.flatMap((g) => g.operatorIds))];
  const operators = new Map(operatorIds.length ? (await ctx.em.find(SupportOperator, { id: { $in: operatorIds } }, { fields: ['name'] })).map((o) => [o.id, o.name]) : []);
  const views = grants.map((g) => {
    const ticket = tickets.get(g.ticket.id);
    const closed = ticket?.status === 'solved' || ticket?.status === 'closed';
    return {
      id: g.id,
      ticketId: g.ticket.id,
      ticketSubject: ticket?.subject ?? '',
      access: g.access,
      permissions: g.permissions,
      supportTeam: !g.operatorIds.length,
      operators: g.operatorIds.map((id) => ({ id, name: operators.get(id) ?? 'a former operator' })),
      grantedByName: people.get(g.grantedBy) ?? 'a former member',
      createdAt: g.createdAt,
      expiresAt: g.expiresAt,
      // Ended for the operators already when the sweeper has not come by yet: say so at once.
      endedAt: g.endedAt ?? (g.expiresAt <= now ? g.expiresAt : null),
      endReason: g.endReason ?? (g.expiresAt <= now ? 'expired' : closed ? 'ticket_closed' : null),
      active: !g.endedAt && g.expiresAt > now && !closed,
    };
  });
  return opts.activeOnly ? views.filter((v) => v.active) : views;
}

/** The banner's question: open grants (for those who may read them) and, for an operator, their own. */
export async function supportStatus(ctx: RequestContext) {
  const p = ctx.principal;
  const grants = p && p.permissions.has('support.read' as Permission) ? await listGrants(ctx, { activeOnly: true }) : [];
  let operatorSession = null;
  if (p?.kind === 'support') {
    const tenant = await ctx.em.findOne(Tenant, { id: p.tenantId }, { fields: ['name'] });
    operatorSession = { workspaceName: tenant?.name ?? '', operatorName: p.name, until: p.until, permissions: [...p.permissions] };
  }
  return { grants, operatorSession };
}

/** Operators an admin may name in a grant: the active ones, by name. */
export async function listOperators(ctx: RequestContext): Promise<{ id: string; name: string }[]> {
  const rows = await ctx.em.find(SupportOperator, { status: 'active' }, { fields: ['name'], orderBy: { name: 'asc' }, limit: 500 });
  return rows.map((o) => ({ id: o.id, name: o.name }));
}
