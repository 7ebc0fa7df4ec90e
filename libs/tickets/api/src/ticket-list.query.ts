import type { PageInput, RequestContext } from '@bulwark/platform-api';
import { toSummary, userSummaries, type UserSummary } from '@bulwark/identity-api';
import { ticketScope } from './ticket-scope';
import type { TicketFilter, TicketSort, TicketView } from './tickets.types';

/**
 * The ticket list is the hottest read, so it is one hand-written statement: the page, the people
 * it shows (both joins) and, when asked, the total. It bypasses the ORM filter, and is safe
 * because (1) it names the context's tenant explicitly in every table's condition, (2) RLS forces
 * the same tenant underneath, and (3) the cross-tenant tests run it for every role (tickets.spec,
 * tenant-isolation.spec). Only whitelisted columns and positional parameters reach the SQL.
 */
const SORT_COLUMNS: Record<string, string> = {
  createdAt: 't.created_at',
  updatedAt: 't.updated_at',
  subject: 't.subject',
  status: 't.status',
  priorityRank: 't.priority_rank',
};

interface Row {
  id: string;
  subject: string;
  body: string;
  status: string;
  priority: string;
  channel: string;
  kind: string;
  created_at: string | Date; // the driver hands timestamps over as strings
  updated_at: string | Date;
  requester_id: string;
  r_name: string;
  r_email: string;
  r_phone: string | null;
  r_role: string;
  r_status: string;
  assignee_id: string | null;
  group_id: string | null;
  a_name: string | null;
  a_email: string | null;
  a_phone: string | null;
  a_role: string | null;
  a_status: string | null;
  total: string | null;
}

function conditions(ctx: RequestContext, f: TicketFilter): { where: string; params: unknown[] } {
  if (!ctx.tenantId || !ctx.principal) throw new Error('the ticket list needs a tenant and a principal');
  // Held tickets (the spam watcher's quarantine) are in no list, count, search or export.
  const conds = ['t.tenant_id = ?', 't.quarantine_id is null'];
  const params: unknown[] = [ctx.tenantId];
  const add = (sql: string, ...values: unknown[]) => {
    conds.push(sql);
    params.push(...values);
  };
  // The ticket scope (ticket-scope.ts) in SQL; the groups as a subquery, so the page stays one statement.
  const scope = ticketScope(ctx);
  if (scope.kind === 'none') add('false');
  else if (scope.kind === 'own' && scope.withGroups) {
    const me = scope.userId;
    add(
      '(t.requester_id = ? or t.assignee_id = ? or t.group_id in (select m.group_id from ticket_group_members m where m.tenant_id = ? and m.user_id = ?))',
      me,
      me,
      ctx.tenantId,
      me,
    );
  } else if (scope.kind === 'own') add('(t.requester_id = ? or t.assignee_id = ?)', scope.userId, scope.userId);
  if (f.status?.length) add('t.status in (?)', f.status);
  if (f.priority?.length) add('t.priority in (?)', f.priority);
  if (f.requesterId) add('t.requester_id = ?', f.requesterId);
  // Every filter given applies (D14: none is dropped), even when together they match nothing.
  if (f.unassigned) add('t.assignee_id is null');
  if (f.assigneeId) add('t.assignee_id = ?', f.assigneeId);
  if (f.groupId) add('t.group_id = ?', f.groupId);
  if (f.search?.trim()) add(`t.subject ilike ? escape '\\'`, `%${f.search.trim().replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
  return { where: conds.join(' and '), params };
}

/** The columns of a page: the ticket and both people, by the joins below. */
const SELECT = `
    select t.id, t.subject, t.body, t.status, t.priority, t.channel, t.kind, t.created_at, t.updated_at, t.group_id,
           t.requester_id, r.name as r_name, r.email as r_email, r.phone as r_phone, r.role as r_role, r.status as r_status,
           t.assignee_id, a.name as a_name, a.email as a_email, a.phone as a_phone, a.role as a_role, a.status as a_status`;
const FROM = `
    from tickets t
    join users r on r.tenant_id = t.tenant_id and r.id = t.requester_id
    left join users a on a.tenant_id = t.tenant_id and a.id = t.assignee_id`;

const run = <R>(ctx: RequestContext, sql: string, params: unknown[]) => ctx.em.getConnection().execute<R[]>(sql, params, 'all', ctx.em.getTransactionContext());

const requesterOf = (r: Row): UserSummary => toSummary({ id: r.requester_id, name: r.r_name, email: r.r_email, phone: r.r_phone, role: r.r_role, status: r.r_status });
const assigneeOf = (r: Row): UserSummary | null =>
  r.assignee_id ? toSummary({ id: r.assignee_id, name: r.a_name as string, email: r.a_email as string, phone: r.a_phone, role: r.a_role as string, status: r.a_status as string }) : null;

const toView = (r: Row): TicketView => ({
  id: r.id,
  subject: r.subject,
  body: r.body,
  status: r.status,
  priority: r.priority,
  channel: r.channel,
  kind: r.kind,
  createdAt: new Date(r.created_at),
  updatedAt: new Date(r.updated_at),
  requesterId: r.requester_id,
  assigneeId: r.assignee_id,
  groupId: r.group_id,
});

export async function queryTicketPage(
  ctx: RequestContext,
  filter: TicketFilter,
  sort: TicketSort,
  page: PageInput,
  withTotal: boolean,
): Promise<{ nodes: TicketView[]; total: () => Promise<number> }> {
  const { where, params } = conditions(ctx, filter);
  const column = SORT_COLUMNS[sort.field] ?? SORT_COLUMNS.createdAt;
  const dir = sort.direction === 'asc' ? 'asc' : 'desc';
  const countSql = `select count(*) from tickets t where ${where}`;
  const sql = `${SELECT}, ${withTotal ? `(${countSql})` : 'null'} as total ${FROM}
    where ${where}
    order by ${column} ${dir}, t.id ${dir}
    limit ? offset ?`;
  const rows = await run<Row>(ctx, sql, [...(withTotal ? params : []), ...params, page.limit, page.offset]);

  // The people are already here: hand them to the request's loader instead of querying again.
  const people = userSummaries(ctx);
  const prime = (s: UserSummary) => people.clear(s.id).prime(s.id, s);
  const nodes = rows.map((r): TicketView => {
    prime(requesterOf(r));
    const assignee = assigneeOf(r);
    if (assignee) prime(assignee);
    return toView(r);
  });
  const total = async () => {
    if (rows.length && withTotal) return Number(rows[0].total);
    // A page past the end has no row to carry the total.
    const [c] = await run<{ count: string }>(ctx, countSql, params);
    return Number(c.count);
  };
  return { nodes, total };
}

/** Where an export's next page starts: before this creation time and id (newest first). */
export interface ExportCursor {
  createdAt: string;
  id: string;
}

/** The largest uuid: a first cursor at a time takes every ticket created up to it. */
export const LAST_ID = 'ffffffff-ffff-ffff-ffff-ffffffffffff';

/**
 * One page of an export (D12): the list's conditions (the principal's scope, the filter) in
 * keyset order, newest first, so a page costs the same however deep the file goes and tickets
 * filed while it streams neither shift nor repeat rows.
 */
export async function queryTicketExportPage(
  ctx: RequestContext,
  filter: TicketFilter,
  after: ExportCursor,
  limit: number,
): Promise<{ rows: { ticket: TicketView; requester: UserSummary; assignee: UserSummary | null }[]; next: ExportCursor | null }> {
  const { where, params } = conditions(ctx, filter);
  const sql = `${SELECT} ${FROM}
    where ${where} and (t.created_at, t.id) < (?, ?::uuid)
    order by t.created_at desc, t.id desc
    limit ?`;
  const rows = await run<Row>(ctx, sql, [...params, after.createdAt, after.id, limit]);
  const last = rows.at(-1);
  return {
    rows: rows.map((r) => ({ ticket: toView(r), requester: requesterOf(r), assignee: assigneeOf(r) })),
    // The timestamp as the driver hands it over (text, to the microsecond): a Date would cut it to
    // milliseconds, and the next page would repeat or skip tickets of the same millisecond.
    next: last && rows.length === limit ? { createdAt: last.created_at instanceof Date ? last.created_at.toISOString() : last.created_at, id: last.id } : null,
  };
}
