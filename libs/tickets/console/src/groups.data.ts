import { gql, type ConsoleResource } from '@bulwark/platform-console';

export interface TicketGroup {
  id: string;
  name: string;
  memberIds: string[];
  createdAt: string;
}

export const GROUP_FIELDS = 'id name memberIds createdAt';

/** Every group of the tenant, by name (the API does not page them; there are few). */
export async function listGroups(): Promise<TicketGroup[]> {
  return (await gql<{ ticketGroups: TicketGroup[] }>(`{ ticketGroups { ${GROUP_FIELDS} } }`)).ticketGroups;
}

/** The ticketGroups resource, for the tickets' Group column, filter and pickers (read only). */
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
};
