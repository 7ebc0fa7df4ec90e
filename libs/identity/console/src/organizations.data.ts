import { gql, type Api, type ConsoleResource } from '@bulwark/platform-console';

export type Organization = Pick<Api.Organization, 'id' | 'name' | 'domains' | 'createdAt' | 'memberCount'>;
type OrganizationInput = Api.OrganizationInput;

const FIELDS = 'id name domains createdAt memberCount';
const LIST = `query($search: String, $page: PageInput, $ids: [ID!]) { organizations(search: $search, page: $page, ids: $ids) { totalCount nodes { ${FIELDS} } } }`;
const ONE = `query($id: ID!) { organization(id: $id) { ${FIELDS} } }`;
const CREATE = `mutation($input: OrganizationInput!) { createOrganization(input: $input) { ${FIELDS} } }`;
const UPDATE = `mutation($id: ID!, $input: OrganizationInput!) { updateOrganization(id: $id, input: $input) { ${FIELDS} } }`;
const DELETE = `mutation($id: ID!) { deleteOrganization(id: $id) }`;

type Page = { organizations: { totalCount: number; nodes: Organization[] } };
const input = (data: Partial<OrganizationInput>): OrganizationInput => ({ name: data.name ?? '', domains: data.domains ?? [] });

/** The organizations resource: its screen, and the people list's Organization column, filter and picker. */
export const organizationsData: ConsoleResource['data'] = {
  async getList(_r, { pagination, filter }) {
    const { page = 1, perPage = 25 } = pagination ?? {};
    const q = String((filter as { q?: string } | undefined)?.q ?? '').trim();
    const d = await gql<Page>(LIST, { search: q || undefined, page: { offset: (page - 1) * perPage, limit: Math.min(perPage, 100) } });
    return { data: d.organizations.nodes as never, total: d.organizations.totalCount };
  },
  async getOne(_r, { id }) {
    return { data: (await gql<{ organization: Organization }>(ONE, { id })).organization as never };
  },
  async getMany(_r, { ids }) {
    const d = await gql<Page>(LIST, { ids: ids.map(String).slice(0, 100), page: { limit: 100 } });
    return { data: d.organizations.nodes as never };
  },
  async create(_r, { data }) {
    return { data: (await gql<{ createOrganization: Organization }>(CREATE, { input: input(data) })).createOrganization as never };
  },
  async update(_r, { id, data }) {
    return { data: (await gql<{ updateOrganization: Organization }>(UPDATE, { id, input: input(data) })).updateOrganization as never };
  },
  async delete(_r, { id, previousData }) {
    await gql(DELETE, { id });
    return { data: previousData as never };
  },
};
