import {
  actingUserId,
  badInput,
  charCount,
  forbidden,
  hasPermission,
  isBlank,
  isUuid,
  notFound,
  richBody,
  unauthenticated,
  type PageInput,
  type Principal,
  type RequestContext,
} from '@bulwark/platform-api';
import { createUser, normalizeEmail, User } from '@bulwark/identity-api';
import type { FilterQuery } from '@mikro-orm/core';
import { normalizeTag, queryTicketPage } from './ticket-list.query';
import { resolveViews } from './views.service';
import { TicketGroup } from './group.entity';
import { myGroupIds } from './groups.service';
import { ticketScope } from './ticket-scope';
import { Comment, Ticket } from './ticket.entity';
import { TicketPermission } from './tickets.permissions';
import { normalizeOrigin, watchNewTicket, type TicketOrigin } from './spam.service';
import { linkAttachments } from './attachments.service';
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
  number: t.number,
  subject: t.subject,
  body: t.body,
  htmlBody: t.bodyHtml ?? null,
  tags: t.tags,
  ccEmails: t.ccEmails,
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
  const { nodes, total } = await queryTicketPage(ctx, await resolveViews(ctx, filter), sort, page, withTotal);
  return { nodes, count: total };
}

async function findVisible(ctx: RequestContext, id: string): Promise<Ticket> {
  if (!isUuid(id)) throw notFound('Ticket');
  // A held ticket (spam quarantine) is found by no one here, its requester included: only the queue shows it.
  const ticket = await ctx.em.findOne(Ticket, { $and: [{ id }, { quarantine: null }, await visible(ctx)] } as FilterQuery<Ticket>);
  if (!ticket) throw notFound('Ticket');
  return ticket;
}

/** One ticket by id or by its number (exactly one of them), if one may see it. */
export async function getTicket(ctx: RequestContext, id: string | undefined, number?: number): Promise<TicketView> {
  if ((id == null) === (number == null)) throw badInput('Give the ticket id or its number', { id: 'id or number' });
  if (id != null) return ticketToView(await findVisible(ctx, id));
  const found = Number.isSafeInteger(number) ? await ctx.em.findOne(Ticket, { number }, { fields: ['id'] }) : null;
  if (!found) throw notFound('Ticket');
  return ticketToView(await findVisible(ctx, found.id));
}

/** What the body input becomes when stored: plain `body`, or sanitized `htmlBody` and its text (E8). */
function bodyOf(input: { body?: string | null; htmlBody?: string | null }, required: boolean): { body: string; bodyHtml: string | null } | undefined {
  if (input.body != null && input.htmlBody != null) throw badInput('Give the text or the formatted text, not both', { htmlBody: 'body or htmlBody' });
  if (input.body == null && input.htmlBody == null) {
    if (required) throw badInput('Write what it is about', { body: 'required' });
    return undefined;
  }
  const rich = richBody(input);
  if (!rich) throw badInput('Write what it is about: the text is empty once formatting is removed', { [input.htmlBody != null ? 'htmlBody' : 'body']: 'empty' });
  const field = input.htmlBody != null ? 'htmlBody' : 'body';
  if (charCount(rich.body) > 20000) throw badInput('The text is longer than 20,000 characters', { [field]: 'too long' });
  // Sanitizing adds to the HTML (rel and target on links, `<br />`): its stored form is what must fit.
  if (rich.bodyHtml && charCount(rich.bodyHtml) > 100000) throw badInput('The formatted text is too long: remove some formatting or text', { htmlBody: 'too long' });
  return rich;
}

/** A subject as stored: trimmed, and refused when nothing is left (the table wants a character). */
function subjectOf(subject: string): string {
  const clean = subject.trim();
  if (isBlank(clean)) throw badInput('Write a subject', { subject: 'required' });
  return clean;
}

/** Tags as stored: normalized, each once, and refused (not dropped) when nothing is left of one. */
function tagsOf(tags: string[]): string[] {
  const out = [...new Set(tags.map(normalizeTag))];
  if (out.some((t) => !t || t.length > 40)) throw badInput('A tag is a word of letters, digits, dashes or underscores (40 at most)', { tags: 'invalid' });
  return out;
}

const ccsOf = (emails: string[]) => [...new Set(emails.map(normalizeEmail))];

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
  // Tags and copied addresses are the desk's (mail goes to the copied), so staff's too.
  if (!hasPermission(p, TicketPermission.update)) {
    if ((input.requesterId && input.requesterId !== self) || input.assigneeId || input.groupId || input.newRequester || input.tags?.length || input.ccEmails?.length) {
      throw forbidden();
    }
  }
  if (input.requesterId && input.newRequester) throw badInput('Choose a requester or enter a new one, not both', { newRequester: 'requesterId or newRequester' });
  const body = bodyOf(input, true) as { body: string; bodyHtml: string | null };
  let requester: User;
  if (input.newRequester) requester = await requesterByEmail(ctx, input.newRequester.name, input.newRequester.email);
  else if (input.requesterId && input.requesterId !== self) requester = await person(ctx, input.requesterId, 'Requester', false);
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
    number: await nextTicketNumber(ctx),
    quarantine: hold?.quarantine ?? null,
    senderAddress: from.senderAddress,
    clientIp: from.clientIp,
    subject: subjectOf(input.subject),
    ...body,
    tags: tagsOf(input.tags ?? []),
    ccEmails: ccsOf(input.ccEmails ?? []),
    priority: input.priority ?? 'normal',
    channel: input.channel ?? 'api',
    status: 'new',
    requester,
    assignee,
    group,
    createdAt: now,
    updatedAt: now,
  });
  // The caller's own uploads go on the ticket's first message (attachments.service), held or not.
  await linkAttachments(ctx, input.attachmentIds, { ticket });
  // Stored, held, and said so: the error keeps the field's changes (the ticket and the quarantine).
  if (hold) throw hold.error;
  return ticketToView(ticket);
}

/**
 * The next number of this tenant's tickets (#1001, ...), from its counter row (ticket-workspace.migration):
 * asked before the insert so the ticket knows it without reading itself back.
 */
export async function nextTicketNumber(ctx: RequestContext): Promise<number> {
  const row = await ctx.em.getConnection().execute<{ n: number }>('select bulwark_next_ticket_number() as n', [], 'get', ctx.em.getTransactionContext());
  return Number(row.n);
}

/**
 * The requester an agent names by address: the person with that address, or a new requester
 * account without a password (they set one through a reset link, or sign in with SSO).
 */
async function requesterByEmail(ctx: RequestContext, name: string, email: string): Promise<User> {
  const existing = await ctx.em.findOne(User, { email: normalizeEmail(email) });
  if (existing) return existing;
  if (isBlank(name)) throw badInput("Enter the new requester's name", { newRequester: 'name required' });
  return createUser(ctx, { email, name, role: 'requester' });
}

/** Fields a ticket always has: null cannot clear them, and is refused rather than skipped (D14). */
const REQUIRED_ON_UPDATE = ['subject', 'body', 'status', 'priority', 'requesterId'] as const;

export async function updateTicket(ctx: RequestContext, id: string, input: UpdateTicketInput): Promise<TicketView> {
  for (const k of REQUIRED_ON_UPDATE) if (input[k] === null) throw badInput(`A ticket always has a ${k === 'requesterId' ? 'requester' : k}`, { [k]: 'required' });
  for (const k of ['tags', 'ccEmails'] as const) if (input[k] === null) throw badInput('Give the whole list (empty to clear it)', { [k]: 'required' });
  if (input.htmlBody === null) throw badInput('A ticket always has a body', { htmlBody: 'required' });
  const body = bodyOf(input, false);
  const ticket = await findVisible(ctx, id);
  if (input.subject != null) ticket.subject = subjectOf(input.subject);
  if (body) Object.assign(ticket, body);
  if (input.tags) ticket.tags = tagsOf(input.tags);
  if (input.ccEmails) ticket.ccEmails = ccsOf(input.ccEmails);
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
  const staff = hasPermission(p, TicketPermission.update);
  // A requester may close their own request ("mark as solved"), nothing else; staff set any status.
  if (input.status && !staff && input.status !== 'solved') throw forbidden();
  const body = bodyOf(input, true) as { body: string; bodyHtml: string | null };
  const ticket = await findVisible(ctx, ticketId);
  const fromRequester = ticket.requester.id === author && !staff;
  if (input.status && !staff && !fromRequester) throw forbidden(); // only one's own request
  if (ticket.status === 'closed' && !staff) throw badInput('This request is closed: open a new one', { body: 'closed' });
  const now = ctx.app.now();
  const comment = ctx.em.create(Comment, {
    ticket,
    // The signed-in principal's own id (of this tenant); the composite foreign key and RLS refuse others.
    author: ctx.em.getReference(User, author),
    ...body,
    public: input.public,
    createdAt: now,
  });
  await linkAttachments(ctx, input.attachmentIds, { ticket, comment });
  if (input.status) ticket.status = input.status;
  // The requester answering a solved or waiting ticket puts it back in the agents' queue.
  else if (fromRequester && input.public && (ticket.status === 'solved' || ticket.status === 'pending')) ticket.status = 'open';
  ticket.updatedAt = now;
  return { id: comment.id, body: comment.body, htmlBody: comment.bodyHtml ?? null, public: comment.public, createdAt: now, authorId: author, ticketId };
}
