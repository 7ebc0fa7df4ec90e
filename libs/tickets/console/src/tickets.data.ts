import { gql, type ConsoleResource } from '@bulwark/platform-console';

const FIELDS = `id subject body status priority channel createdAt updatedAt groupId requester { id name email } assignee { id name email }`;

type Ticket = { id: string; requester?: { id: string } | null; assignee?: { id: string } | null } & Record<string, unknown>;
const toRecord = (t: Ticket) => ({ ...t, requesterId: t.requester?.id ?? null, assigneeId: t.assignee?.id ?? null });

const SORT: Record<string, string> = { createdAt: 'CREATED_AT', updatedAt: 'UPDATED_AT', subject: 'SUBJECT', status: 'STATUS', priority: 'PRIORITY' };
const EDITABLE = ['subject', 'body', 'status', 'priority', 'assigneeId', 'requesterId', 'groupId'] as const;

/** The list's filters (react-admin's names) as the API's TicketFilter; the export sends the same. */
export function ticketFilter(f: Record<string, unknown>) {
  const out: Record<string, unknown> = {};
  if (f.q) out.search = f.q;
  if (f.status) out.status = [f.status].flat();
  if (f.priority) out.priority = [f.priority].flat();
  if (f.assigneeId) out.assigneeId = f.assigneeId;
  if (f.requesterId) out.requesterId = f.requesterId;
  if (f.unassigned) out.unassigned = true;
  if (f.groupId) out.groupId = f.groupId;
  return out;
}

async function getTicket(id: string) {
  const d = await gql<{ ticket: Ticket }>(`query($id: ID!) { ticket(id: $id) { ${FIELDS} comments { id body public createdAt author { id name } } } }`, { id });
  return toRecord(d.ticket);
}

/** The tickets resource's side of react-admin's DataProvider, over the public GraphQL API. */
export const ticketsData: ConsoleResource['data'] = {
  async getList(_r, { pagination, sort, filter }) {
    const { page = 1, perPage = 25 } = pagination ?? {};
    const d = await gql<{ tickets: { totalCount: number; nodes: Ticket[] } }>(
      `query($filter: TicketFilter, $sort: TicketSort, $page: PageInput) { tickets(filter: $filter, sort: $sort, page: $page) { totalCount nodes { ${FIELDS} } } }`,
      {
        filter: ticketFilter(filter ?? {}),
        sort: { field: SORT[sort?.field ?? ''] ?? 'UPDATED_AT', direction: sort?.order === 'ASC' ? 'ASC' : 'DESC' },
        page: { offset: (page - 1) * perPage, limit: Math.min(perPage, 100) },
      },
    );
    return { data: d.tickets.nodes.map(toRecord) as never, total: d.tickets.totalCount };
  },
  async getOne(_r, { id }) {
    return { data: (await getTicket(String(id))) as never };
  },
  async getMany(_r, { ids }) {
    return { data: (await Promise.all(ids.map((id) => getTicket(String(id))))) as never };
  },
  async create(_r, { data }) {
    const input = Object.fromEntries(Object.entries(data as Record<string, unknown>).filter(([k, v]) => v !== '' && v != null && ['subject', 'body', 'priority', 'channel', 'requesterId', 'assigneeId', 'groupId'].includes(k)));
    const d = await gql<{ createTicket: Ticket }>(`mutation($input: CreateTicketInput!) { createTicket(input: $input) { ${FIELDS} } }`, { input });
    return { data: toRecord(d.createTicket) as never };
  },
  async update(_r, { id, data, previousData }) {
    // Send only what changed: an agent without a right to some field is not refused for it.
    const input: Record<string, unknown> = {};
    for (const k of EDITABLE) {
      const now = (data as Record<string, unknown>)[k];
      if (now !== undefined && now !== (previousData as Record<string, unknown>)[k]) input[k] = now === '' ? null : now;
    }
    const d = await gql<{ updateTicket: Ticket }>(`mutation($id: ID!, $input: UpdateTicketInput!) { updateTicket(id: $id, input: $input) { ${FIELDS} } }`, { id, input });
    return { data: toRecord(d.updateTicket) as never };
  },
  async delete(_r, { id, previousData }) {
    await gql(`mutation($id: ID!) { deleteTicket(id: $id) }`, { id });
    return { data: (previousData ?? { id }) as never };
  },
};
