import { gql, type Api, type ConsoleResource } from '@bulwark/platform-console';

/** A role as the matrix shows it; its key is its id (built-in names, `role:<uuid>` for custom ones). */
export type RoleRecord = Pick<Api.Role, 'key' | 'name' | 'description' | 'builtIn' | 'permissions' | 'ticketScope'> & { id: string };
export type PermissionRecord = Pick<Api.PermissionInfo, 'key' | 'feature' | 'description'> & { id: string };

const ROLE_FIELDS = 'key name description builtIn permissions ticketScope';
const CREATE = `mutation($input: RoleInput!) { createRole(input: $input) { key } }`;
const UPDATE = `mutation($key: ID!, $input: RoleInput!) { updateRole(key: $key, input: $input) { key } }`;
const DELETE = `mutation($key: ID!) { deleteRole(key: $key) }`;

const input = (data: Partial<RoleRecord>): Api.RoleInput => ({ name: data.name ?? '', description: data.description ?? '', permissions: data.permissions ?? [] });

/** The roles resource: built-in and custom roles, in the server's order (few; not paged). */
export const rolesData: ConsoleResource['data'] = {
  async getList() {
    const { roles } = await gql<{ roles: Omit<RoleRecord, 'id'>[] }>(`{ roles { ${ROLE_FIELDS} } }`);
    return { data: roles.map((r) => ({ ...r, id: r.key })) as never, total: roles.length };
  },
  async create(_r, { data }) {
    const { createRole } = await gql<{ createRole: { key: string } }>(CREATE, { input: input(data) });
    return { data: { ...data, id: createRole.key, key: createRole.key } as never };
  },
  async update(_r, { id, data }) {
    await gql(UPDATE, { key: id, input: input(data) });
    return { data: { ...data, id } as never };
  },
  async delete(_r, { id, previousData }) {
    await gql(DELETE, { key: id });
    return { data: previousData as never };
  },
};

/** What a role can be given: every permission of the catalog, grouped by feature in the matrix. */
export const permissionsData: ConsoleResource['data'] = {
  async getList() {
    const { permissionCatalog } = await gql<{ permissionCatalog: Omit<PermissionRecord, 'id'>[] }>(`{ permissionCatalog { key feature description } }`);
    return { data: permissionCatalog.map((p) => ({ ...p, id: p.key })) as never, total: permissionCatalog.length };
  },
};
