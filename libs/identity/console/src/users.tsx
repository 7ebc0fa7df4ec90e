import { Datagrid, List, SearchInput, SelectInput, TextField } from 'react-admin';
import { gql, type ConsoleResource } from '@bulwark/platform-console';

type User = { id: string; name: string; email: string; role: string };
const FIELDS = 'id name email role';

const ROLE_CHOICES = ['owner', 'admin', 'agent', 'requester'].map((r) => ({ id: r, name: r[0].toUpperCase() + r.slice(1) }));

export const usersData: ConsoleResource['data'] = {
  async getList(_r, { pagination, filter }) {
    const { page = 1, perPage = 25 } = pagination ?? {};
    const f = (filter ?? {}) as { q?: string; role?: string; staffOnly?: boolean };
    const d = await gql<{ users: { totalCount: number; nodes: User[] } }>(
      `query($filter: UserFilter, $page: PageInput) { users(filter: $filter, page: $page) { totalCount nodes { ${FIELDS} } } }`,
      { filter: { search: f.q || undefined, role: f.role || undefined, staffOnly: f.staffOnly || undefined }, page: { offset: (page - 1) * perPage, limit: Math.min(perPage, 100) } },
    );
    return { data: d.users.nodes as never, total: d.users.totalCount };
  },
  async getMany(_r, { ids }) {
    const d = await gql<{ users: { nodes: User[] } }>(`query($ids: [ID!]) { users(filter: { ids: $ids }, page: { limit: 100 }) { nodes { ${FIELDS} } } }`, { ids });
    return { data: d.users.nodes as never };
  },
};

export const UserList = () => (
  <List filters={[<SearchInput key="q" source="q" alwaysOn />, <SelectInput key="role" source="role" choices={ROLE_CHOICES} alwaysOn />]} sort={{ field: 'name', order: 'ASC' }}>
    <Datagrid bulkActionButtons={false} rowClick={false}>
      <TextField source="name" sortable={false} />
      <TextField source="email" sortable={false} />
      <TextField source="role" sortable={false} />
    </Datagrid>
  </List>
);
