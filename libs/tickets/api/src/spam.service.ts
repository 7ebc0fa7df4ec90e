import { AppError, actingUserId, audit, badInput, conflict, isUuid, notFound, type PageInput, type RequestContext } from '@bulwark/platform-api';
import { User } from '@bulwark/identity-api';
import { SpamAudit } from './spam.audit';
import { SPAM_BOUNDS, SPAM_DEFAULTS, SpamQuarantine, SpamSettings, type QuarantineStatus, type SpamSubjectKind } from './spam.entities';
import { Ticket } from './ticket.entity';
import type { HeldTicketView, QuarantinePage, QuarantineView, SpamSettingsInput, SpamSettingsView } from './spam.types';

/**
 * The spam watcher (issue 18, H3). Every ticket a requester files for themselves is counted, with
 * the ones before it in the tenant's window, straight from the tickets table (so every API process
 * shares the count, with no other store). Over the limit, the ticket is still stored, but held:
 * it joins its subject's quarantine, where admins release, block or delete. The caller gets
 * RATE_LIMITED with when the window lets them in again, and the held ticket stays (keepChanges).
 *
 * Not counted: tickets staff file (holders of tickets.update, who may file for anyone): an agent
 * taking phone calls is not a flood, and the watcher is about requesters and the integrations
 * that file as them. Seeds (demo, bench) insert directly and are not requests at all.
 */

/** Where a ticket came from, for anonymous channels; none sets it yet (inbound email comes later). */
export interface TicketOrigin {
  senderAddress?: string | null;
  clientIp?: string | null;
}

/** Addresses as counted: a sender's case does not make them someone else. */
export const normalizeOrigin = (o: TicketOrigin): TicketOrigin => ({ senderAddress: o.senderAddress?.trim().toLowerCase() || null, clientIp: o.clientIp || null });

interface Subject {
  kind: SpamSubjectKind;
  key: string;
  /** The tickets column the subject is counted by (never from input: a fixed name per kind). */
  column: 'requester_id' | 'sender_address' | 'client_ip';
}

/** The answer to a flooding caller: the ticket was stored (held), so the field keeps its changes. */
export interface Hold {
  quarantine: SpamQuarantine;
  error: AppError;
}

const run = <R>(ctx: RequestContext, sql: string, params: unknown[]) => ctx.em.getConnection().execute<R[]>(sql, params, 'all', ctx.em.getTransactionContext());

const OPEN: QuarantineStatus[] = ['active', 'blocked'];

/**
 * A subject's quarantines. A requester's are found by the uuid column, which a backup copied into a
 * new workspace maps to the copy's ids (restore.service), not by the text key, which it keeps.
 */
const ofSubject = (s: { kind: SpamSubjectKind; key: string }) =>
  s.kind === 'requester' ? { subjectKind: s.kind, requester: s.key } : { subjectKind: s.kind, subjectKey: s.key };
const lockKey = (ctx: RequestContext, kind: SpamSubjectKind, key: string) => `spam:${ctx.tenantId}:${kind}:${key}`;

/**
 * How long a request waits for the one before it of the same subject. Each waiting request holds
 * a pooled connection, so a burst from one requester must not queue up to the statement timeout
 * (5 s, a server error) or the operation's deadline (10 s, a 503): past this it is answered
 * RATE_LIMITED, and nothing of it is stored.
 */
export const SPAM_LOCK_WAIT_MS = 4_000;

/** The subject's lock, for the rest of the transaction (see watchNewTicket). */
async function lockSubject(ctx: RequestContext, key: string, busy: string): Promise<void> {
  const [{ previous }] = await run<{ previous: string }>(ctx, `select current_setting('lock_timeout') as previous, set_config('lock_timeout', ?, true)`, [`${SPAM_LOCK_WAIT_MS}ms`]);
  try {
    await run(ctx, 'select pg_advisory_xact_lock(hashtextextended(?, 0))', [key]);
  } catch (error) {
    // lock_not_available, or the runtime role's statement_timeout (5 s) if an operator set it
    // below this wait: the field's savepoint is rolled back with the statement that failed.
    const code = (error as { code?: unknown }).code;
    if (code === '55P03' || code === '57014') {
      throw new AppError('RATE_LIMITED', busy, { retryAfter: 5 });
    }
    throw error;
  }
  await run(ctx, `select set_config('lock_timeout', ?, true)`, [previous]);
}

export async function currentSpamSettings(ctx: RequestContext): Promise<{ enabled: boolean; limit: number; windowMinutes: number; row: SpamSettings | null }> {
  const row = await ctx.em.findOne(SpamSettings, {});
  return row ? { enabled: row.enabled, limit: row.limit, windowMinutes: row.windowMinutes, row } : { ...SPAM_DEFAULTS, row: null };
}

function minutesWords(seconds: number): string {
  if (seconds < 90) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minutes`;
}

/**
 * Decides about a new ticket before it is created: null (file it as usual), a hold (file it into
 * the returned quarantine and answer with the error), or a refusal thrown (the subject is blocked).
 * The count is exact under concurrency: a transaction-level advisory lock per tenant and subject
 * serialises the requests of one subject until each one's transaction ends, so the next one counts
 * the ticket the previous one stored. Subjects are locked in one fixed order (requester, sender,
 * address), so two requests never wait on each other in a cycle.
 */
export async function watchNewTicket(ctx: RequestContext, requesterId: string, origin: TicketOrigin, filedByStaff: boolean): Promise<Hold | null> {
  if (filedByStaff || !ctx.tenantId) return null;
  const subjects: Subject[] = [{ kind: 'requester', key: requesterId, column: 'requester_id' }];
  if (origin.senderAddress) subjects.push({ kind: 'sender', key: origin.senderAddress, column: 'sender_address' });
  if (origin.clientIp) subjects.push({ kind: 'address', key: origin.clientIp, column: 'client_ip' });
  const settings = await currentSpamSettings(ctx);
  const now = ctx.app.now();
  let hold: Hold | null = null;
  for (const s of subjects) {
    await lockSubject(ctx, lockKey(ctx, s.kind, s.key), 'Too many of your tickets are arriving at once. Nothing was filed this time: try again in a few seconds.');
    const open = await ctx.em.findOne(SpamQuarantine, { ...ofSubject(s), status: { $in: OPEN } });
    // An admin's block holds whether or not the rules are on: nothing is stored.
    if (open?.status === 'blocked') {
      throw new AppError('FORBIDDEN', 'This help desk is not accepting new tickets from you at the moment. If you need help, contact it another way.', { reason: 'spam_blocked' });
    }
    if (!settings.enabled || hold) continue;
    // The window starts at the last release at the latest: a released requester starts afresh.
    const released = await ctx.em.findOne(SpamQuarantine, { ...ofSubject(s), status: 'released' }, { orderBy: { decidedAt: 'desc' } });
    const windowStart = new Date(now.getTime() - settings.windowMinutes * 60_000);
    const since = released?.decidedAt && released.decidedAt > windowStart ? released.decidedAt : windowStart;
    const cond = `tenant_id = ? and ${s.column} = ? and quarantine_id is null and created_at > ?`;
    const [{ n }] = await run<{ n: number }>(ctx, `select count(*)::int as n from tickets where ${cond}`, [ctx.tenantId, s.key, since]);
    if (n < settings.limit) continue;
    // They may file again once enough of the counted tickets have left the window.
    const [{ created_at }] = await run<{ created_at: string | Date }>(ctx, `select created_at from tickets where ${cond} order by created_at asc, id asc offset ? limit 1`, [
      ctx.tenantId,
      s.key,
      since,
      n - settings.limit,
    ]);
    const retryAfter = Math.max(1, Math.ceil((new Date(created_at).getTime() + settings.windowMinutes * 60_000 - now.getTime()) / 1000));
    const quarantine = open ?? (await startQuarantine(ctx, s, { count: n, limit: settings.limit, windowMinutes: settings.windowMinutes }));
    quarantine.lastHeldAt = now;
    const error = new AppError(
      'RATE_LIMITED',
      `You have filed ${n} tickets in the last ${settings.windowMinutes} minutes, more than this help desk accepts. ` +
        `This ticket was received and is held for review: it appears once the help desk releases it. You can file new tickets again in ${minutesWords(retryAfter)}.`,
      { retryAfter, held: true },
    ).keepingChanges();
    hold = { quarantine, error };
  }
  return hold;
}

async function startQuarantine(ctx: RequestContext, s: Subject, rule: { count: number; limit: number; windowMinutes: number }): Promise<SpamQuarantine> {
  const now = ctx.app.now();
  const requester = s.kind === 'requester' ? await ctx.em.findOne(User, { id: s.key }) : null;
  const q = ctx.em.create(SpamQuarantine, {
    subjectKind: s.kind,
    subjectKey: s.key,
    requester,
    ticketCount: rule.count,
    limit: rule.limit,
    windowMinutes: rule.windowMinutes,
    since: now,
    lastHeldAt: now,
    status: 'active',
  });
  // During the requester's own mutation: the event commits with the held ticket, or neither does (F5).
  audit(ctx, SpamAudit.quarantined, {
    targetId: q.id,
    details: { subject: requester?.name ?? s.key, subjectKind: s.kind, requesterId: requester?.id ?? null, ticketCount: rule.count, limit: rule.limit, windowMinutes: rule.windowMinutes },
  });
  return q;
}

// ---- settings ----

export async function spamSettings(ctx: RequestContext): Promise<SpamSettingsView> {
  const s = await currentSpamSettings(ctx);
  return { enabled: s.enabled, limit: s.limit, windowMinutes: s.windowMinutes, defaults: { ...SPAM_DEFAULTS } };
}

export async function updateSpamSettings(ctx: RequestContext, input: SpamSettingsInput): Promise<SpamSettingsView> {
  const fields: Record<string, string> = {};
  const [minLimit, maxLimit] = SPAM_BOUNDS.limit;
  const [minWindow, maxWindow] = SPAM_BOUNDS.windowMinutes;
  if (input.limit < minLimit || input.limit > maxLimit) fields.limit = `Choose between ${minLimit} and ${maxLimit} tickets`;
  if (input.windowMinutes < minWindow || input.windowMinutes > maxWindow) fields.windowMinutes = `Choose between ${minWindow} minute and ${maxWindow} minutes (a day)`;
  if (Object.keys(fields).length) throw badInput('Some rules are out of range', fields);
  const current = await currentSpamSettings(ctx);
  const row = current.row ?? ctx.em.create(SpamSettings, {});
  const changes: Record<string, { before: unknown; after: unknown }> = {};
  const next = { enabled: input.enabled, limit: input.limit, windowMinutes: input.windowMinutes };
  for (const k of ['enabled', 'limit', 'windowMinutes'] as const) if (current[k] !== next[k]) changes[k] = { before: current[k], after: next[k] };
  Object.assign(row, next, { updatedAt: ctx.app.now() });
  if (Object.keys(changes).length) audit(ctx, SpamAudit.settingsChanged, { targetId: row.id, changes });
  return { ...next, defaults: { ...SPAM_DEFAULTS } };
}

// ---- the quarantine queue ----

const toView = (q: SpamQuarantine, held: { count: number; tickets: HeldTicketView[] }): QuarantineView => ({
  id: q.id,
  subjectKind: q.subjectKind,
  address: q.subjectKind === 'requester' ? null : q.subjectKey,
  requesterId: q.requester?.id ?? null,
  ticketCount: q.ticketCount,
  limit: q.limit,
  windowMinutes: q.windowMinutes,
  since: q.since,
  lastHeldAt: q.lastHeldAt,
  status: q.status,
  decidedById: q.decidedBy?.id ?? null,
  decidedAt: q.decidedAt ?? null,
  heldCount: held.count,
  heldTickets: held.tickets,
});

/** The first held tickets of each quarantine (oldest first) and how many there are: one statement for the page. */
async function heldOf(ctx: RequestContext, ids: string[], perQuarantine: number): Promise<Map<string, { count: number; tickets: HeldTicketView[] }>> {
  const out = new Map<string, { count: number; tickets: HeldTicketView[] }>();
  if (!ids.length) return out;
  const rows = await run<{ quarantine_id: string; id: string; subject: string; channel: string; created_at: string | Date; n: string; rn: string }>(
    ctx,
    `select * from (
       select quarantine_id, id, subject, channel, created_at,
              count(*) over (partition by quarantine_id) as n,
              row_number() over (partition by quarantine_id order by created_at, id) as rn
         from tickets where tenant_id = ? and quarantine_id in (?)
     ) h where rn <= ? order by quarantine_id, rn`,
    [ctx.tenantId, ids, perQuarantine],
  );
  for (const r of rows) {
    const entry = out.get(r.quarantine_id) ?? { count: Number(r.n), tickets: [] };
    entry.tickets.push({ id: r.id, subject: r.subject, channel: r.channel, createdAt: new Date(r.created_at) });
    out.set(r.quarantine_id, entry);
  }
  return out;
}

export async function listQuarantines(ctx: RequestContext, statuses: QuarantineStatus[], page: PageInput): Promise<QuarantinePage> {
  const where = { status: { $in: statuses.length ? statuses : OPEN } };
  const [rows, total] = await ctx.em.findAndCount(SpamQuarantine, where, { orderBy: { since: 'desc', id: 'desc' }, limit: page.limit, offset: page.offset });
  const held = await heldOf(ctx, rows.map((q) => q.id), 20);
  return { nodes: rows.map((q) => toView(q, held.get(q.id) ?? { count: 0, tickets: [] })), totalCount: total };
}

async function openQuarantine(ctx: RequestContext, id: string): Promise<SpamQuarantine> {
  const q = isUuid(id) ? await ctx.em.findOne(SpamQuarantine, { id }) : null;
  if (!q) throw notFound('Quarantine');
  // The same subject's next flood waits for this decision (see watchNewTicket).
  await lockSubject(ctx, lockKey(ctx, q.subjectKind, q.requester?.id ?? q.subjectKey), 'Tickets of this requester are arriving right now: try again in a few seconds.');
  await ctx.em.refresh(q);
  return q;
}

async function decided(ctx: RequestContext, q: SpamQuarantine, status: QuarantineStatus): Promise<void> {
  q.status = status;
  const me = actingUserId(ctx.principal);
  q.decidedBy = me ? ctx.em.getReference(User, me) : null;
  q.decidedAt = ctx.app.now();
}

const subjectName = async (ctx: RequestContext, q: SpamQuarantine) => (q.requester ? ((await ctx.em.findOne(User, { id: q.requester.id }))?.name ?? q.subjectKey) : q.subjectKey);

const alreadyDecided = () => conflict('This quarantine was already decided: reload to see what changed', { id: 'decided' });

/** Release: the held tickets reappear where their creation time puts them; the requester starts afresh. */
export async function releaseQuarantine(ctx: RequestContext, id: string): Promise<QuarantineView> {
  const q = await openQuarantine(ctx, id);
  if (!OPEN.includes(q.status)) throw alreadyDecided();
  const before = q.status;
  const tickets = await ctx.em.nativeUpdate(Ticket, { quarantine: q.id }, { quarantine: null });
  await decided(ctx, q, 'released');
  audit(ctx, SpamAudit.released, { targetId: q.id, changes: { status: { before, after: 'released' } }, details: { subject: await subjectName(ctx, q), tickets } });
  return toView(q, { count: 0, tickets: [] });
}

/** Block: their new tickets are refused until someone releases them; what is held stays held. */
export async function blockQuarantine(ctx: RequestContext, id: string): Promise<QuarantineView> {
  const q = await openQuarantine(ctx, id);
  if (q.status !== 'active') throw alreadyDecided();
  await decided(ctx, q, 'blocked');
  audit(ctx, SpamAudit.blocked, { targetId: q.id, changes: { status: { before: 'active', after: 'blocked' } }, details: { subject: await subjectName(ctx, q) } });
  return toView(q, (await heldOf(ctx, [q.id], 20)).get(q.id) ?? { count: 0, tickets: [] });
}

/**
 * Delete the held tickets (each one's deletion is captured like any ticket's), never the person.
 * An active quarantine is closed by it; a blocked one stays blocked.
 */
export async function deleteQuarantinedTickets(ctx: RequestContext, id: string): Promise<QuarantineView> {
  const q = await openQuarantine(ctx, id);
  if (!OPEN.includes(q.status)) throw alreadyDecided();
  const held = await ctx.em.find(Ticket, { quarantine: q.id });
  for (const t of held) ctx.em.remove(t);
  const before = q.status;
  await decided(ctx, q, q.status === 'blocked' ? 'blocked' : 'deleted');
  audit(ctx, SpamAudit.deleted, {
    targetId: q.id,
    changes: before === q.status ? undefined : { status: { before, after: q.status } },
    details: { subject: await subjectName(ctx, q), tickets: held.length },
  });
  return toView(q, { count: 0, tickets: [] });
}
