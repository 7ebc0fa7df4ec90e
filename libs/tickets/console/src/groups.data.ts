import { gql, type Api, type ConsoleResource } from '@bulwark/platform-console';

export type TicketGroup = Pick<Api.TicketGroup, 'id' | 'name' | 'memberIds' | 'createdAt'>;
type GroupInput = Api.TicketGroupInput;

const GROUP_FIELDS = 'id name memberIds createdAt';
const CREATE = `mutation($input: TicketGroupInput!) { createTicketGroup(input: $input) { ${GROUP_FIELDS} } }`;
const UPDATE = `mutation($id: ID!, $input: TicketGroupInput!) { updateTicketGroup(id: $id, input: $input) { ${GROUP_FIELDS} } }`;
const DELETE = `mutation($id: ID!) { deleteTicketGroup(id: $id) }`;

/** Every group of the tenant, by name (the API does not page them; there are few). */
async function listGroups(): Promise<TicketGroup[]> {
  return (await gql<Pick<Api.Query, 'ticketGroups'>>(`{ ticketGroups { ${GROUP_FIELDS} } }`)).ticketGroups;
}

const input = (data: Partial<GroupInput>): GroupInput => ({ name: data.name ?? '', memberIds: data.memberIds ?? [] });

/** The groups resource: its list, and the tickets' Group column, filter and pickers. */
export const groupsData: ConsoleResource['data'] = {
  async getList(_r, { filter }) {
    const q = String(filter?.q ?? '')
      .trim()
      .toLowerCase();
    const groups = (await listGroups()).filter((g) => !q || g.name.toLowerCase().includes(q));
    return { data: groups as never, total: groups.length };
  },
  async getMany(_r, { ids }) {
    const wanted = new Set(ids.map(String));
    return { data: (await listGroups()).filter((g) => wanted.has(g.id)) as never };
  },
  async create(_r, { data }) {
    return { data: (await gql<{ createTicketGroup: TicketGroup }>(CREATE, { input: input(data) })).createTicketGroup as never };
  },
  async update(_r, { id, data }) {
    return { data: (await gql<{ updateTicketGroup: TicketGroup }>(UPDATE, { id, input: input(data) })).updateTicketGroup as never };
  },
  async delete(_r, { id, previousData }) {
    await gql(DELETE, { id });
    return { data: previousData as never };
  },
};
