import { gql, type Api } from '@bulwark/platform-console';

type Person = Pick<Api.UserSummary, 'id' | 'name'>;

/** A request as its requester reads it: no priority, channel, group or assignee. */
export type PortalTicket = Pick<Api.Ticket, 'id' | 'number' | 'subject' | 'status' | 'createdAt' | 'updatedAt'>;

/** One message of the thread: `body` is plain text; `htmlBody` its formatted version, sanitized by the server (E8). */
export type PortalMessage = Pick<Api.TicketComment, 'id' | 'body' | 'htmlBody' | 'createdAt'> & { author: Person | null; attachments?: PortalFile[] };

/** A file on a message, with its short-lived link (the server checks again that one may see it). */
export type PortalFile = Pick<Api.Attachment, 'id' | 'filename' | 'contentType' | 'size' | 'url'>;

export type PortalRequest = PortalTicket &
  Pick<Api.Ticket, 'body' | 'htmlBody'> & {
    requester: Person;
    attachments: PortalFile[];
    comments: (PortalMessage & Pick<Api.TicketComment, 'public'>)[];
  };

export type RequestTab = 'open' | 'solved';

/** The tabs of "My requests": still being worked on, and done. */
export const TAB_STATUSES: Record<RequestTab, Api.TicketStatus[]> = {
  open: ['NEW', 'OPEN', 'PENDING'],
  solved: ['SOLVED', 'CLOSED'],
};

/** A request's state in a requester's words. */
export const STATUS_WORDS: Record<Api.TicketStatus, string> = {
  NEW: 'Received',
  OPEN: 'In progress',
  PENDING: 'Waiting for your reply',
  SOLVED: 'Solved',
  CLOSED: 'Closed',
};

export const STATUS_TONE: Record<Api.TicketStatus, 'info' | 'warning' | 'success' | 'default'> = {
  NEW: 'info',
  OPEN: 'info',
  PENDING: 'warning',
  SOLVED: 'success',
  CLOSED: 'default',
};

export const PAGE_SIZE = 20;
const LIST_FIELDS = 'id number subject status createdAt updatedAt';
const FILES = 'attachments { id filename contentType size url }';

/** The signed-in requester's own requests in one tab, latest change first. */
export async function myRequests(requesterId: string, tab: RequestTab, offset: number): Promise<{ nodes: PortalTicket[]; totalCount: number }> {
  const d = await gql<{ tickets: { nodes: PortalTicket[]; totalCount: number } }>(
    `query($filter: TicketFilter, $page: PageInput) { tickets(filter: $filter, sort: { field: UPDATED_AT, direction: DESC }, page: $page) { totalCount nodes { ${LIST_FIELDS} } } }`,
    { filter: { requesterId, status: TAB_STATUSES[tab] }, page: { offset, limit: PAGE_SIZE } },
  );
  return d.tickets;
}

/** One request by its number, with its thread (the API gives requesters public messages only). */
export async function requestByNumber(number: number): Promise<PortalRequest> {
  const d = await gql<{ ticket: PortalRequest }>(
    `query($number: Int!) { ticket(number: $number) { ${LIST_FIELDS} body htmlBody requester { id name } ${FILES} comments { id body htmlBody public createdAt author { id name } ${FILES} } } }`,
    { number },
  );
  return d.ticket;
}

/** The number of a ticket known by its id (a console link in a mail). */
export async function numberOfTicket(id: string): Promise<number> {
  return (await gql<{ ticket: { number: number } }>(`query($id: ID!) { ticket(id: $id) { number } }`, { id })).ticket.number;
}

/** Files a request from the portal: the requester's own, from the web. */
export async function fileRequest(input: { subject: string; body: string; attachmentIds?: string[] }): Promise<PortalTicket> {
  const d = await gql<{ createTicket: PortalTicket }>(`mutation($input: CreateTicketInput!) { createTicket(input: $input) { ${LIST_FIELDS} } }`, {
    input: { subject: input.subject.trim(), body: input.body, channel: 'WEB', ...(input.attachmentIds?.length ? { attachmentIds: input.attachmentIds } : {}) },
  });
  return d.createTicket;
}

/**
 * A public reply, and with `solved` the request marked solved in the same step. A requester's
 * reply to a solved request reopens it (the server does that, per the contract of issue 20).
 */
export async function replyTo(ticketId: string, body: string, solved = false, attachmentIds: string[] = []): Promise<void> {
  await gql(`mutation($id: ID!, $input: AddCommentInput!) { addComment(ticketId: $id, input: $input) { id } }`, {
    id: ticketId,
    input: { body, public: true, ...(solved ? { status: 'SOLVED' } : {}), ...(attachmentIds.length ? { attachmentIds } : {}) },
  });
}
