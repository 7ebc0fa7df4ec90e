import {
  actingUserId,
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
import { queryTicketPage } from './ticket-list.query';
import { TicketGroup } from './group.entity';
import { myGroupIds } from './groups.service';
import { ticketScope } from './ticket-scope';
import { Comment, Ticket } from './ticket.entity';
import { TicketPermission } from './tickets.permissions';
import { normalizeOrigin, watchNewTicket, type TicketOrigin } from './spam.service';
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

/** The ticket scope (ticket-scope.ts) as an ORM condition; every operation on one ticket goes through it. */
async function visible(ctx: RequestContext): Promise<FilterQuery<Ticket>> {
  actor(ctx);
  const scope = ticketScope(ctx);
  if (scope.kind === 'all') return {};
  if (scope.kind === 'none') return { id: null };
  const own: FilterQuery<Ticket>[] = [{ requester: scope.userId }, { assignee: scope.userId }];
  if (scope.withGroups) {
    const groups = await myGroupIds(ctx, scope.userId);
    if (groups.length) own.push({ group: { $in: groups } });
  }
  return { $or: own };
}

/** A group referenced by id in an input: of this tenant, or NOT_FOUND. */
async function groupOf(ctx: RequestContext, id: string): Promise<TicketGroup> {
  const g = isUuid(id) ? await ctx.em.findOne(TicketGroup, { id }) : null;
  if (!g) throw notFound('Group');
  return g;
}

export const ticketToView = (t: Ticket): TicketView => ({
  id: t.id,
  subject: t.subject,
  body: t.body,
  status: t.status,
  priority: t.priority,
  channel: t.channel,
  kind: t.kind,
  createdAt: t.createdAt,
  updatedAt: t.updatedAt,
  requesterId: t.requester.id,
  assigneeId: t.assignee?.id ?? null,
  groupId: t.group?.id ?? null,
});

/** Tickets one can see, one page at a time (see ticket-list.query.ts for why it is raw SQL). */
export async function listTickets(
  ctx: RequestContext,
  filter: TicketFilter,
  sort: TicketSort,
  page: PageInput,
  withTotal = true,
): Promise<TicketPage> {
  const { nodes, total } = await queryTicketPage(ctx, filter, sort, page, withTotal);
  return { nodes, count: total };
}

async function findVisible(ctx: RequestContext, id: string): Promise<Ticket> {
  if (!isUuid(id)) throw notFound('Ticket');
  // A held ticket (spam quarantine) is found by no one here, its requester included: only the queue shows it.
  const ticket = await ctx.em.findOne(Ticket, { $and: [{ id }, { quarantine: null }, await visible(ctx)] } as FilterQuery<Ticket>);
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

/** `origin`: where an anonymous channel's ticket came from (none passes it yet; see spam.service). */
export async function createTicket(ctx: RequestContext, input: CreateTicketInput, origin: TicketOrigin = {}): Promise<TicketView> {
  const p = actor(ctx);
  const self = actingUserId(p);
  // Filing for someone else, assigning and routing are staff work (tickets.update). Without it
  // those arguments are refused, never dropped (D14): a ticket silently filed under the caller
  // would look like success to an integration that meant another requester. Naming oneself is
  // what happens anyway, so it is not refused.
  if (!hasPermission(p, TicketPermission.update)) {
    if ((input.requesterId && input.requesterId !== self) || input.assigneeId || input.groupId) throw forbidden();
  }
  let requester: User;
  if (input.requesterId && input.requesterId !== self) requester = await person(ctx, input.requesterId, 'Requester', false);
  // A reference, not a load: the id is the authenticated principal's own (or its token's
  // creator's), of this tenant; the composite foreign key and RLS would refuse anything else.
  else if (self) requester = ctx.em.getReference(User, self);
  else throw badInput('requesterId is required', { requesterId: 'required' });
  const assignee = input.assigneeId ? await person(ctx, input.assigneeId, 'Assignee', true) : null;
  const group = input.groupId ? await groupOf(ctx, input.groupId) : null;
  // The spam watcher counts after every other check, so a refused request counts for nothing.
  const from = normalizeOrigin(origin);
  const hold = await watchNewTicket(ctx, requester.id, from, hasPermission(p, TicketPermission.update));
  const now = ctx.app.now();
  const ticket = ctx.em.create(Ticket, {
    quarantine: hold?.quarantine ?? null,
    senderAddress: from.senderAddress,
    clientIp: from.clientIp,
    subject: input.subject.trim(),
    body: input.body,
    priority: input.priority ?? 'normal',
    channel: input.channel ?? 'api',
    status: 'new',
    requester,
    assignee,
    group,
    createdAt: now,
    updatedAt: now,
  });
  // Stored, held, and said so: the error keeps the field's changes (the ticket and the quarantine).
  if (hold) throw hold.error;
  return ticketToView(ticket);
}

/** Fields a ticket always has: null cannot clear them, and is refused rather than skipped (D14). */
const REQUIRED_ON_UPDATE = ['subject', 'body', 'status', 'priority', 'requesterId'] as const;

export async function updateTicket(ctx: RequestContext, id: string, input: UpdateTicketInput): Promise<TicketView> {
  for (const k of REQUIRED_ON_UPDATE) if (input[k] === null) throw badInput(`A ticket always has a ${k === 'requesterId' ? 'requester' : k}`, { [k]: 'required' });
  const ticket = await findVisible(ctx, id);
  if (input.subject != null) ticket.subject = input.subject.trim();
  if (input.body != null) ticket.body = input.body;
  if (input.status) ticket.status = input.status;
  if (input.priority) ticket.priority = input.priority;
  if (input.requesterId) ticket.requester = await person(ctx, input.requesterId, 'Requester', false);
  if (input.assigneeId !== undefined) {
    ticket.assignee = input.assigneeId === null ? null : await person(ctx, input.assigneeId, 'Assignee', true);
  }
  if (input.groupId !== undefined) ticket.group = input.groupId === null ? null : await groupOf(ctx, input.groupId);
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
  const author = actingUserId(p);
  if (!author) throw forbidden();
  if (!input.public && !hasPermission(p, TicketPermission.internalNotes)) throw forbidden();
  const ticket = await findVisible(ctx, ticketId);
  const now = ctx.app.now();
  const comment = ctx.em.create(Comment, {
    ticket,
    // The signed-in principal's own id (of this tenant); the composite foreign key and RLS refuse others.
    author: ctx.em.getReference(User, author),
    body: input.body,
    public: input.public,
    createdAt: now,
  });
  ticket.updatedAt = now;
  return { id: comment.id, body: comment.body, public: comment.public, createdAt: now, authorId: author, ticketId };
}
