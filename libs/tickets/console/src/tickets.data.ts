import { gql, type Api, type ConsoleResource } from '@bulwark/platform-console';

/** What the list shows of each ticket: people's names, never ids. */
const LIST_FIELDS = `id number subject status priority channel createdAt updatedAt groupId requester { id name email } assignee { id name }`;
/**
 * What the ticket page reads. Tags and history are the desk's own notes (staff: tickets.update or
 * viewAll): asked for only with `$desk`, so a person without them still gets their page.
 */
const FILES = `attachments { id filename contentType size url }`;
const PAGE_FIELDS = `${LIST_FIELDS} body htmlBody ccEmails ${FILES}
  tags @include(if: $desk) history @include(if: $desk) { at actorName summary } organization @include(if: $orgs) { id name }
  comments { id body htmlBody public createdAt author { id name role } ${FILES} }`;

export type Person = Pick<Api.UserSummary, 'id' | 'name'> & { email?: string; role?: string };
export type FileLink = Pick<Api.Attachment, 'id' | 'filename' | 'contentType' | 'size' | 'url'>;
export type TicketComment = Pick<Api.TicketComment, 'id' | 'body' | 'htmlBody' | 'public' | 'createdAt'> & { author: Person | null; attachments?: FileLink[] };
export type TicketRecord = Pick<Api.Ticket, 'id' | 'number' | 'subject' | 'status' | 'priority' | 'channel' | 'createdAt' | 'updatedAt' | 'groupId'> & {
  body?: string;
  htmlBody?: string | null;
  ccEmails?: string[];
  tags?: string[];
  history?: Api.TicketHistoryEntry[];
  comments?: TicketComment[];
  attachments?: FileLink[];
  organization?: { id: string; name: string } | null;
  requester: Person;
  assignee: Person | null;
  requesterId: string;
  assigneeId: string | null;
};

type ApiTicket = Omit<TicketRecord, 'requesterId' | 'assigneeId'>;
const toRecord = (t: ApiTicket): TicketRecord => ({ ...t, requesterId: t.requester.id, assigneeId: t.assignee?.id ?? null });

const SORT: Record<string, Api.TicketSortField> = { createdAt: 'CREATED_AT', updatedAt: 'UPDATED_AT', subject: 'SUBJECT', status: 'STATUS', priority: 'PRIORITY', number: 'NUMBER' };

/** A date field of the filter form (yyyy-mm-dd, the reader's day) as the start of that day, or of the next one for "before". */
const dayStart = (v: unknown, next = false) => {
  const [y, m, d] = String(v).split('-').map(Number);
  if (!y || !m || !d) return undefined;
  return new Date(y, m - 1, d + (next ? 1 : 0)).toISOString();
};

/** The list's filters (react-admin's names) as the API's TicketFilter; the export and saved views send the same. */
export function ticketFilter(f: Record<string, unknown>): Api.TicketFilter {
  const out: Api.TicketFilter = {};
  if (typeof f.q === 'string' && f.q.trim()) out.search = f.q.trim();
  if (f.status) out.status = [f.status].flat() as Api.TicketStatus[];
  if (f.priority) out.priority = [f.priority].flat() as Api.TicketPriority[];
  if (f.assigneeId) out.assigneeId = String(f.assigneeId);
  if (f.requesterId) out.requesterId = String(f.requesterId);
  if (f.unassigned) out.unassigned = true;
  if (f.groupId) out.groupId = String(f.groupId);
  if (f.organizationId) out.organizationId = String(f.organizationId);
  if (Array.isArray(f.tags) && f.tags.length) out.tags = f.tags.map(String);
  if (f.createdAfter) out.createdAfter = dayStart(f.createdAfter);
  if (f.createdBefore) out.createdBefore = dayStart(f.createdBefore, true);
  if (f.updatedAfter) out.updatedAfter = dayStart(f.updatedAfter);
  if (f.updatedBefore) out.updatedBefore = dayStart(f.updatedBefore, true);
  if (f.view) out.view = String(f.view);
  return out;
}

export async function getTicket(id: string, desk: boolean, orgs = false): Promise<TicketRecord> {
  const d = await gql<{ ticket: ApiTicket }>(`query($id: ID!, $desk: Boolean!, $orgs: Boolean!) { ticket(id: $id) { ${PAGE_FIELDS} } }`, { id, desk, orgs });
  return toRecord(d.ticket);
}

/** The ticket with this number (#1001), or null when there is none one may see. */
export async function ticketIdByNumber(number: number): Promise<string | null> {
  try {
    return (await gql<{ ticket: { id: string } }>(`query($n: Int) { ticket(number: $n) { id } }`, { n: number })).ticket.id;
  } catch {
    return null;
  }
}

/** Saves the changed properties of a ticket at once (the page's side panel): one field, one call. */
export async function updateTicket(id: string, input: Api.UpdateTicketInput): Promise<void> {
  await gql(`mutation($id: ID!, $input: UpdateTicketInput!) { updateTicket(id: $id, input: $input) { id } }`, { id, input });
}

/** A reply or an internal note, with the ticket's new status in the same step when given. */
export async function addComment(ticketId: string, input: Api.AddCommentInput): Promise<void> {
  await gql(`mutation($id: ID!, $input: AddCommentInput!) { addComment(ticketId: $id, input: $input) { id } }`, { id: ticketId, input });
}

export const listViews = async () => (await gql<{ views: Api.View[] }>(`{ views { id name builtIn count } }`)).views;
export const createView = async (name: string, filter: Api.TicketFilter) =>
  (await gql<{ createView: Api.View }>(`mutation($input: CreateViewInput!) { createView(input: $input) { id name builtIn count } }`, { input: { name, filter } })).createView;
export const deleteView = (id: string) => gql(`mutation($id: ID!) { deleteView(id: $id) }`, { id });

/** Tags in use, most used first, for pickers and the tag filter (staff only). */
export async function searchTags(search: string): Promise<string[]> {
  const d = await gql<{ ticketTags: Api.TagCount[] }>(`query($s: String) { ticketTags(search: $s) { name count } }`, { s: search.trim().slice(0, 40) || null });
  return d.ticketTags.map((t) => t.name);
}

/** People for pickers: by name (and address where one may read it); `staffOnly` for assignees. */
export async function searchPeople(search: string, staffOnly: boolean): Promise<Person[]> {
  const d = await gql<{ users: { nodes: Person[] } }>(`query($f: UserFilter) { users(filter: $f, page: { limit: 20 }) { nodes { id name email role } } }`, {
    f: { search: search.trim() || undefined, staffOnly: staffOnly || undefined },
  });
  return d.users.nodes;
}

/** The requester's other tickets, latest first, for their card. */
export async function requesterTickets(requesterId: string) {
  const d = await gql<{ tickets: { totalCount: number; nodes: Pick<Api.Ticket, 'id' | 'number' | 'subject' | 'status'>[] } }>(
    `query($f: TicketFilter) { tickets(filter: $f, sort: { field: UPDATED_AT, direction: DESC }, page: { limit: 6 }) { totalCount nodes { id number subject status } } }`,
    { f: { requesterId } },
  );
  return d.tickets;
}

const CREATE_KEYS = ['subject', 'htmlBody', 'priority', 'channel', 'requesterId', 'assigneeId', 'groupId', 'tags', 'ccEmails'] as const;

/** The create form's values as CreateTicketInput: an existing requester, or a new one by name and address. */
export function createInput(data: Record<string, unknown>): Api.CreateTicketInput {
  const input: Record<string, unknown> = {};
  for (const k of CREATE_KEYS) {
    const v = data[k];
    if (v !== '' && v != null && !(Array.isArray(v) && !v.length)) input[k] = v;
  }
  const files = data.attachments as { id: string }[] | undefined;
  if (files?.length) input.attachmentIds = files.map((f) => f.id);
  if (data.requesterKind === 'new') {
    delete input.requesterId;
    const r = (data.newRequester ?? {}) as { name?: string; email?: string };
    input.newRequester = { name: (r.name ?? '').trim(), email: (r.email ?? '').trim() };
  }
  return input as unknown as Api.CreateTicketInput;
}

/** The tickets resource's side of react-admin's DataProvider, over the public GraphQL API. */
export const ticketsData: ConsoleResource['data'] = {
  async getList(_r, { pagination, sort, filter }) {
    const { page = 1, perPage = 25 } = pagination ?? {};
    const d = await gql<{ tickets: { totalCount: number; nodes: ApiTicket[] } }>(
      `query($filter: TicketFilter, $sort: TicketSort, $page: PageInput) { tickets(filter: $filter, sort: $sort, page: $page) { totalCount nodes { ${LIST_FIELDS} } } }`,
      {
        filter: ticketFilter(filter ?? {}),
        sort: { field: SORT[sort?.field ?? ''] ?? 'UPDATED_AT', direction: sort?.order === 'ASC' ? 'ASC' : 'DESC' },
        page: { offset: (page - 1) * perPage, limit: Math.min(perPage, 100) },
      },
    );
    return { data: d.tickets.nodes.map(toRecord) as never, total: d.tickets.totalCount };
  },
  // `meta.desk`: the reader is desk staff (tags and history); see PAGE_FIELDS.
  async getOne(_r, { id, meta }) {
    return { data: (await getTicket(String(id), !!meta?.desk, !!meta?.orgs)) as never };
  },
  // One request for a page's worth of names (RecordName, references): the ones one may see.
  async getMany(_r, { ids }) {
    const wanted = [...new Set(ids.map(String))].slice(0, 100);
    const d = await gql<{ tickets: { nodes: ApiTicket[] } }>(`query($filter: TicketFilter, $page: PageInput) { tickets(filter: $filter, page: $page) { nodes { ${LIST_FIELDS} } } }`, {
      filter: { ids: wanted },
      page: { limit: Math.max(wanted.length, 1) },
    });
    return { data: d.tickets.nodes.map(toRecord) as never };
  },
  async create(_r, { data }) {
    const d = await gql<{ createTicket: ApiTicket }>(`mutation($input: CreateTicketInput!) { createTicket(input: $input) { ${LIST_FIELDS} } }`, {
      input: createInput(data as Record<string, unknown>),
    });
    return { data: toRecord(d.createTicket) as never };
  },
  async delete(_r, { id, previousData }) {
    await gql(`mutation($id: ID!) { deleteTicket(id: $id) }`, { id });
    return { data: (previousData ?? { id }) as never };
  },
};

/** Organizations by name, for the list's filter (those who may read them). */
export async function listOrganizations(): Promise<{ id: string; name: string }[]> {
  return (await gql<{ organizations: { nodes: { id: string; name: string }[] } }>(`{ organizations(page: { offset: 0, limit: 100 }) { nodes { id name } } }`)).organizations.nodes;
}
