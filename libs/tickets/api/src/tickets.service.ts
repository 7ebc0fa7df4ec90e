import {
  badInput,
  forbidden,
  hasPermission,
  isUuid,
  notFound,
  unauthenticated,
  type PageInput,
  type Principal,
  type RequestContext,
} from '@bulwark/platform-api';
import { User } from '@bulwark/identity-api';
import type { FilterQuery } from '@mikro-orm/core';
import type { QBFilterQuery } from '@mikro-orm/postgresql';
import { Comment, Ticket } from './ticket.entity';
import { TicketPermission } from './tickets.permissions';
import type {
  AddCommentInput,
  CommentView,
  CreateTicketInput,
  TicketFilter,
  TicketPage,
  TicketSort,
  TicketView,
  UpdateTicketInput,
} from './tickets.types';

function actor(ctx: RequestContext): Principal {
  if (!ctx.principal) throw unauthenticated();
  return ctx.principal;
}

/**
 * Which tickets the principal may see at all. Requesters see their own requests only; every
 * operation goes through this, so another requester's ticket answers NOT_FOUND like a missing one.
 */
function visible(ctx: RequestContext): FilterQuery<Ticket> {
  const p = actor(ctx);
  if (hasPermission(p, TicketPermission.viewAll)) return {};
  if (p.kind !== 'user') return { id: null };
  return { requester: p.userId };
}

const TICKET_COLUMNS = ['id', 'subject', 'body', 'status', 'priority', 'channel', 'createdAt', 'updatedAt', 'requester', 'assignee'] as const;

interface TicketRow {
  id: string;
  subject: string;
  body: string;
  status: string;
  priority: string;
  channel: string;
  // raw rows: MikroORM's pg driver hands timestamps over as strings
  created_at: string | Date;
  updated_at: string | Date;
  requester_id: string;
  assignee_id: string | null;
}

const rowToView = (r: TicketRow): TicketView => ({
  id: r.id,
  subject: r.subject,
  body: r.body,
  status: r.status,
  priority: r.priority,
  channel: r.channel,
  createdAt: new Date(r.created_at),
  updatedAt: new Date(r.updated_at),
  requesterId: r.requester_id,
  assigneeId: r.assignee_id,
});

export const ticketToView = (t: Ticket): TicketView => ({
  id: t.id,
  subject: t.subject,
  body: t.body,
  status: t.status,
  priority: t.priority,
  channel: t.channel,
  createdAt: t.createdAt,
  updatedAt: t.updatedAt,
  requesterId: t.requester.id,
  assigneeId: t.assignee?.id ?? null,
});

function filterWhere(f: TicketFilter): FilterQuery<Ticket> {
  const where: Record<string, unknown> = {};
  if (f.status?.length) where.status = { $in: f.status };
  if (f.priority?.length) where.priority = { $in: f.priority };
  if (f.requesterId) where.requester = f.requesterId;
  if (f.unassigned) where.assignee = null;
  else if (f.assigneeId) where.assignee = f.assigneeId;
  if (f.search?.trim()) where.subject = { $ilike: `%${f.search.trim().replace(/[\\%_]/g, (c) => `\\${c}`)}%` };
  return where as FilterQuery<Ticket>;
}

/**
 * One query for the page (plain rows through the query builder, no entity hydration) and one for
 * the count, only when asked. People on the page load through the per-request user loader, so
 * the statement count does not grow with the page size.
 */
export async function listTickets(ctx: RequestContext, filter: TicketFilter, sort: TicketSort, page: PageInput): Promise<TicketPage> {
  const where = { $and: [visible(ctx), filterWhere(filter)] } as FilterQuery<Ticket>;
  const qb = ctx.em
    .createQueryBuilder(Ticket, 't')
    .select([...TICKET_COLUMNS])
    .where(where as QBFilterQuery<Ticket>)
    .orderBy([{ [sort.field]: sort.direction }, { id: sort.direction }])
    .limit(page.limit)
    .offset(page.offset);
  await qb.applyFilters(); // the tenant filter; query builders skip it otherwise
  const rows = await qb.execute<TicketRow[]>('all', false);
  return { nodes: rows.map(rowToView), count: () => ctx.em.count(Ticket, where) };
}

async function findVisible(ctx: RequestContext, id: string): Promise<Ticket> {
  if (!isUuid(id)) throw notFound('Ticket');
  const ticket = await ctx.em.findOne(Ticket, { $and: [{ id }, visible(ctx)] } as FilterQuery<Ticket>);
  if (!ticket) throw notFound('Ticket');
  return ticket;
}

export async function getTicket(ctx: RequestContext, id: string): Promise<TicketView> {
  return ticketToView(await findVisible(ctx, id));
}

/** A person referenced by id in an input: of this tenant (the filter sees no other), or NOT_FOUND. */
async function person(ctx: RequestContext, id: string, what: string, staffOnly: boolean): Promise<User> {
  if (!isUuid(id)) throw notFound(what);
  const user = await ctx.em.findOne(User, { id });
  if (!user) throw notFound(what);
  if (staffOnly && user.role === 'requester') throw badInput(`${what} must be a staff member`, { [what.toLowerCase() + 'Id']: 'not staff' });
  return user;
}

export async function createTicket(ctx: RequestContext, input: CreateTicketInput): Promise<TicketView> {
  const p = actor(ctx);
  const staff = hasPermission(p, TicketPermission.update);
  let requester: User;
  if (input.requesterId && staff) requester = await person(ctx, input.requesterId, 'Requester', false);
  // A reference, not a load: the id is the authenticated principal's own, of this tenant; the
  // composite foreign key and RLS would refuse anything else at flush.
  else if (p.kind === 'user') requester = ctx.em.getReference(User, p.userId);
  else throw badInput('requesterId is required', { requesterId: 'required' });
  if (!staff && input.assigneeId) throw forbidden();
  const assignee = input.assigneeId ? await person(ctx, input.assigneeId, 'Assignee', true) : null;
  const now = ctx.app.now();
  const ticket = ctx.em.create(Ticket, {
    subject: input.subject.trim(),
    body: input.body,
    priority: input.priority ?? 'normal',
    channel: input.channel ?? 'api',
    status: 'new',
    requester,
    assignee,
    createdAt: now,
    updatedAt: now,
  });
  return ticketToView(ticket);
}

export async function updateTicket(ctx: RequestContext, id: string, input: UpdateTicketInput): Promise<TicketView> {
  const ticket = await findVisible(ctx, id);
  if (input.subject !== undefined) ticket.subject = input.subject.trim();
  if (input.body !== undefined) ticket.body = input.body;
  if (input.status) ticket.status = input.status;
  if (input.priority) ticket.priority = input.priority;
  if (input.requesterId) ticket.requester = await person(ctx, input.requesterId, 'Requester', false);
  if (input.assigneeId !== undefined) {
    ticket.assignee = input.assigneeId === null ? null : await person(ctx, input.assigneeId, 'Assignee', true);
  }
  ticket.updatedAt = ctx.app.now();
  return ticketToView(ticket);
}

export async function deleteTicket(ctx: RequestContext, id: string): Promise<boolean> {
  const ticket = await findVisible(ctx, id);
  ctx.em.remove(ticket);
  return true;
}

export async function addComment(ctx: RequestContext, ticketId: string, input: AddCommentInput): Promise<CommentView> {
  const p = actor(ctx);
  if (p.kind !== 'user') throw forbidden();
  if (!input.public && !hasPermission(p, TicketPermission.internalNotes)) throw forbidden();
  const ticket = await findVisible(ctx, ticketId);
  const now = ctx.app.now();
  const comment = ctx.em.create(Comment, {
    ticket,
    author: ctx.em.getReference(User, p.userId),
    body: input.body,
    public: input.public,
    createdAt: now,
  });
  ticket.updatedAt = now;
  return { id: comment.id, body: comment.body, public: comment.public, createdAt: now, authorId: p.userId, ticketId };
}
