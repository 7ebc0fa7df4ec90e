import { forbidden, hasPermission, type PageInput, type RequestContext } from '@bulwark/platform-api';
import { OrganizationPermission, toSummary, UserPermission, userSummaries, type UserSummary } from '@bulwark/identity-api';
import { TicketPermission } from './tickets.permissions';
import { isDeskStaff, ticketScope } from './ticket-scope';
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
  number: 't.number',
};

interface Row {
  id: string;
  number: number;
  subject: string;
  body: string;
  body_html: string | null;
  status: string;
  priority: string;
  channel: string;
  kind: string;
  tags: string[];
  cc_emails: string[];
  created_at: string | Date; // the driver hands timestamps over as strings
  updated_at: string | Date;
  requester_id: string;
  r_name: string;
  r_email: string;
  r_phone: string | null;
  r_role: string;
  r_status: string;
  r_organization_id: string | null;
  assignee_id: string | null;
  group_id: string | null;
  a_name: string | null;
  a_email: string | null;
  a_phone: string | null;
  a_role: string | null;
  a_status: string | null;
  a_organization_id: string | null;
  total: string | null;
}

/** SQL conditions and their positional parameters, in order. */
class Conditions {
  readonly conds: string[] = [];
  readonly params: unknown[] = [];
  add(sql: string, ...values: unknown[]): void {
    this.conds.push(sql);
    this.params.push(...values);
  }
  get where(): string {
    return this.conds.length ? this.conds.join(' and ') : 'true';
  }
}

/** The tickets a principal may see at all: the tenant, not held by the spam watcher, their scope. */
function scopeConditions(ctx: RequestContext): Conditions {
  if (!ctx.tenantId || !ctx.principal) throw new Error('the ticket list needs a tenant and a principal');
  const c = new Conditions();
  // Held tickets (the spam watcher's quarantine) are in no list, count, search or export.
  c.add('t.tenant_id = ?', ctx.tenantId);
  c.add('t.quarantine_id is null');
  // The ticket scope (ticket-scope.ts) in SQL; the groups as a subquery, so the page stays one statement.
  const scope = ticketScope(ctx);
  if (scope.kind === 'none') c.add('false');
  else if (scope.kind === 'own' && scope.withGroups) {
    const me = scope.userId;
    c.add(
      '(t.requester_id = ? or t.assignee_id = ? or t.group_id in (select m.group_id from ticket_group_members m where m.tenant_id = ? and m.user_id = ?))',
      me,
      me,
      ctx.tenantId,
      me,
    );
  } else if (scope.kind === 'own') c.add('(t.requester_id = ? or t.assignee_id = ?)', scope.userId, scope.userId);
  return c;
}

const likePattern = (text: string) => `%${text.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;

/**
 * Full-text search (PostgreSQL, GIN indexes on the stored tsvectors): every word as a prefix in
 * the ticket's subject and body, or in one of its replies (internal notes only for those who may
 * read them); the requester's name (users.read) or email (users.viewPii, so a masked address
 * cannot be probed letter by letter); a number (#1001). Each branch names the tenant and uses an
 * index, and their union is one semi-join, so a search costs about what its matches do.
 */
function searchCondition(ctx: RequestContext, c: Conditions, text: string): void {
  const tenant = ctx.tenantId;
  const branches: string[] = [];
  const params: unknown[] = [];
  // Letters and digits only reach to_tsquery, each as a prefix ("print" finds "printer").
  const words = (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).slice(0, 8);
  if (words.length) {
    // A prefix only from three letters on: a one-letter prefix matches nearly every row.
    const query = words.map((w) => (w.length >= 3 ? `${w}:*` : w)).join(' & ');
    branches.push(`select s.id from tickets s where s.tenant_id = ? and s.search_vector @@ to_tsquery('simple', ?)`);
    params.push(tenant, query);
    const notes = hasPermission(ctx.principal, TicketPermission.internalNotes) ? '' : ' and n.public';
    branches.push(`select n.ticket_id from ticket_comments n where n.tenant_id = ? and n.search_vector @@ to_tsquery('simple', ?)${notes}`);
    params.push(tenant, query);
  }
  const who = [
    ...(hasPermission(ctx.principal, UserPermission.read) ? ['u.name ilike ?'] : []),
    ...(hasPermission(ctx.principal, UserPermission.viewPii) ? ['u.email ilike ?'] : []),
  ];
  if (who.length && text.trim().length >= 2) {
    branches.push(`select k.id from tickets k join users u on u.tenant_id = k.tenant_id and u.id = k.requester_id where k.tenant_id = ? and (${who.join(' or ')})`);
    params.push(tenant, ...who.map(() => likePattern(text.trim())));
  }
  const number = /^#?(\d{1,9})$/.exec(text.trim());
  if (number) {
    branches.push('select m.id from tickets m where m.tenant_id = ? and m.number = ?');
    params.push(tenant, Number(number[1]));
  }
  // Nothing searchable (only punctuation) matches nothing rather than everything (D14).
  c.add(branches.length ? `t.id in (${branches.join(' union ')})` : 'false', ...params);
}

/** A tag as stored: lower case, words joined by dashes ("VIP customer" is vip-customer). */
export const normalizeTag = (tag: string) =>
  tag
    .trim()
    .toLowerCase()
    .replace(/[\s]+/g, '-')
    .replace(/[^\p{L}\p{N}_-]/gu, '');

/** A filter's conditions. Every field given applies (D14: none is dropped), even when together they match nothing. */
export function filterConditions(ctx: RequestContext, c: Conditions, f: TicketFilter): void {
  if (f.status?.length) c.add('t.status in (?)', f.status);
  if (f.priority?.length) c.add('t.priority in (?)', f.priority);
  if (f.requesterId) c.add('t.requester_id = ?', f.requesterId);
  if (f.unassigned) c.add('t.assignee_id is null');
  if (f.assigneeId) c.add('t.assignee_id = ?', f.assigneeId);
  if (f.groupId) c.add('t.group_id = ?', f.groupId);
  if (f.number) c.add('t.number = ?', f.number);
  if (f.ids) c.add(f.ids.length ? 't.id in (?)' : 'false', ...(f.ids.length ? [f.ids] : []));
  if (f.organizationId) {
    // Filtering by organization would tell who belongs to it: those who may not read organizations are refused (D14).
    if (!hasPermission(ctx.principal, OrganizationPermission.read)) throw forbidden();
    c.add('t.requester_id in (select o.id from users o where o.tenant_id = ? and o.organization_id = ?)', ctx.tenantId, f.organizationId);
  }
  // Tags are the desk's notes (isDeskStaff): filtering by one would tell a requester their ticket has it.
  if (f.tags?.length && !isDeskStaff(ctx)) throw forbidden();
  const tags = (f.tags ?? []).map(normalizeTag).filter(Boolean);
  if (f.tags?.length) c.add(tags.length ? 't.tags @> array[?]::text[]' : 'false', ...(tags.length ? [tags] : []));
  if (f.createdAfter) c.add('t.created_at >= ?', new Date(f.createdAfter));
  if (f.createdBefore) c.add('t.created_at < ?', new Date(f.createdBefore));
  if (f.updatedAfter) c.add('t.updated_at >= ?', new Date(f.updatedAfter));
  if (f.updatedBefore) c.add('t.updated_at < ?', new Date(f.updatedBefore));
  if (f.search?.trim()) searchCondition(ctx, c, f.search.trim());
}

/** The scope and every filter given (a view's and the caller's), all of them. */
function conditions(ctx: RequestContext, filters: TicketFilter | TicketFilter[]): Conditions {
  const c = scopeConditions(ctx);
  for (const f of [filters].flat()) filterConditions(ctx, c, f);
  return c;
}

/** The columns of a page: the ticket and both people, by the joins below. */
const SELECT = `
    select t.id, t.number, t.subject, t.body, t.body_html, t.status, t.priority, t.channel, t.kind, t.tags, t.cc_emails,
           t.created_at, t.updated_at, t.group_id,
           t.requester_id, r.name as r_name, r.email as r_email, r.phone as r_phone, r.role as r_role, r.status as r_status,
           r.organization_id as r_organization_id,
           t.assignee_id, a.name as a_name, a.email as a_email, a.phone as a_phone, a.role as a_role, a.status as a_status,
           a.organization_id as a_organization_id`;
const FROM = `
    from tickets t
    join users r on r.tenant_id = t.tenant_id and r.id = t.requester_id
    left join users a on a.tenant_id = t.tenant_id and a.id = t.assignee_id`;

const run = <R>(ctx: RequestContext, sql: string, params: unknown[]) => ctx.em.getConnection().execute<R[]>(sql, params, 'all', ctx.em.getTransactionContext());

const requesterOf = (r: Row): UserSummary => toSummary({ id: r.requester_id, name: r.r_name, email: r.r_email, phone: r.r_phone, role: r.r_role, status: r.r_status, organizationId: r.r_organization_id });
const assigneeOf = (r: Row): UserSummary | null =>
  r.assignee_id
    ? toSummary({ id: r.assignee_id, name: r.a_name as string, email: r.a_email as string, phone: r.a_phone, role: r.a_role as string, status: r.a_status as string, organizationId: r.a_organization_id })
    : null;

const toView = (r: Row): TicketView => ({
  id: r.id,
  number: r.number,
  subject: r.subject,
  body: r.body,
  htmlBody: r.body_html,
  status: r.status,
  priority: r.priority,
  channel: r.channel,
  kind: r.kind,
  tags: r.tags,
  ccEmails: r.cc_emails,
  createdAt: new Date(r.created_at),
  updatedAt: new Date(r.updated_at),
  requesterId: r.requester_id,
  assigneeId: r.assignee_id,
  groupId: r.group_id,
});

export async function queryTicketPage(
  ctx: RequestContext,
  filter: TicketFilter | TicketFilter[],
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
  filter: TicketFilter | TicketFilter[],
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

/**
 * How many tickets each filter selects, in one statement over the principal's scope (a view per
 * filter: `count(*) filter (where ...)` side by side), so the views' counts cost one scan.
 */
export async function countTicketsBy(ctx: RequestContext, filters: TicketFilter[][]): Promise<number[]> {
  if (!filters.length) return [];
  const base = scopeConditions(ctx);
  const columns: string[] = [];
  const params: unknown[] = [];
  filters.forEach((fs, i) => {
    const c = new Conditions();
    for (const f of fs) filterConditions(ctx, c, f);
    columns.push(`count(*) filter (where ${c.where}) as c${i}`);
    params.push(...c.params);
  });
  const [row] = await run<Record<string, string>>(ctx, `select ${columns.join(', ')} from tickets t where ${base.where}`, [...params, ...base.params]);
  return filters.map((_, i) => Number(row[`c${i}`]));
}

/** The tags of the tickets one can see, most used first (pickers and filters). */
export async function queryTagCounts(ctx: RequestContext, search: string | undefined, limit: number): Promise<{ name: string; count: number }[]> {
  const c = scopeConditions(ctx);
  const prefix = search ? normalizeTag(search) : '';
  const rows = await run<{ name: string; count: string }>(
    ctx,
    `select tag as name, count(*) as count from tickets t cross join lateral unnest(t.tags) tag
      where ${c.where}${prefix ? ` and tag like ? escape '\\'` : ''}
      group by tag order by count(*) desc, tag limit ?`,
    [...c.params, ...(prefix ? [`${prefix.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`] : []), limit],
  );
  return rows.map((r) => ({ name: r.name, count: Number(r.count) }));
}
