import { gql, type Api, type ConsoleResource } from '@bulwark/platform-console';

export type SsoConnection = Api.SsoConnection;
export type SsoKind = 'oidc' | 'saml' | 'jwt';

/** How people read a connection's kind. */
export const KIND_NAMES: Record<SsoKind, string> = { oidc: 'OpenID Connect', saml: 'SAML 2.0', jwt: 'JWT' };
export const kindName = (kind: string) => KIND_NAMES[kind as SsoKind] ?? kind;

export const CONNECTION_FIELDS = `id name kind enabled showButton domains provisionUsers defaultRole linkByEmail
  mapping { roleClaim roles { value role } groupClaim groups { value groupId } }
  oidc { issuer clientId scopes hasClientSecret }
  saml { idpEntityId idpSsoUrl idpSloUrl metadataUrl certificateFingerprints allowIdpInitiated }
  jwt { remoteLoginUrl remoteLogoutUrl }
  endpoints { label url }
  createdAt updatedAt`;

const LIST = `{ ssoConnections { ${CONNECTION_FIELDS} } }`;
const ONE = `query($id: ID!) { ssoConnection(id: $id) { ${CONNECTION_FIELDS} } }`;
const CREATE = `mutation($input: SsoConnectionInput!) { createSsoConnection(input: $input) { ${CONNECTION_FIELDS} } }`;
const UPDATE = `mutation($id: ID!, $input: SsoConnectionInput!) { updateSsoConnection(id: $id, input: $input) { ${CONNECTION_FIELDS} } }`;
const DELETE = `mutation($id: ID!) { deleteSsoConnection(id: $id) }`;
const TEST = `mutation($id: ID!) { testSsoConnection(id: $id) { ok checks { name ok message } } }`;
const PREVIEW = `query($mapping: SsoMappingInput!, $claims: String!) { previewSsoMapping(mapping: $mapping, claims: $claims) { role groups { id name } } }`;

/**
 * The sso-connections resource: the workspace's connections (few; not paged). Creating, changing
 * and deleting one needs a recent password confirmation, which callers ask for (withReauth).
 */
export const ssoConnectionsData: ConsoleResource['data'] = {
  async getList() {
    const { ssoConnections } = await gql<Pick<Api.Query, 'ssoConnections'>>(LIST);
    return { data: ssoConnections as never, total: ssoConnections.length };
  },
  async getOne(_r, { id }) {
    const { ssoConnection } = await gql<Pick<Api.Query, 'ssoConnection'>>(ONE, { id });
    return { data: ssoConnection as never };
  },
  async create(_r, { data }) {
    const { createSsoConnection } = await gql<Pick<Api.Mutation, 'createSsoConnection'>>(CREATE, { input: data });
    return { data: createSsoConnection as never };
  },
  async update(_r, { id, data }) {
    const { updateSsoConnection } = await gql<Pick<Api.Mutation, 'updateSsoConnection'>>(UPDATE, { id, input: data });
    return { data: updateSsoConnection as never };
  },
  async delete(_r, { id, previousData }) {
    await gql(DELETE, { id });
    return { data: previousData as never };
  },
};

export async function testConnection(id: string): Promise<Api.SsoTestResult> {
  return (await gql<Pick<Api.Mutation, 'testSsoConnection'>>(TEST, { id })).testSsoConnection;
}

export async function previewMapping(mapping: Api.SsoMappingInput, claims: string): Promise<Api.SsoMappingPreview> {
  return (await gql<Pick<Api.Query, 'previewSsoMapping'>>(PREVIEW, { mapping, claims })).previewSsoMapping;
}

/** Roles as people name them: built-in and custom (needs roles.read; otherwise the built-in names). */
export interface RoleChoice {
  key: string;
  name: string;
}
export const BUILT_IN_ROLES: RoleChoice[] = [
  { key: 'owner', name: 'Owner' },
  { key: 'admin', name: 'Admin' },
  { key: 'agent', name: 'Agent' },
  { key: 'light_agent', name: 'Light agent' },
  { key: 'auditor', name: 'Auditor' },
  { key: 'requester', name: 'Requester' },
];

export async function loadRoles(): Promise<RoleChoice[]> {
  try {
    return (await gql<{ roles: RoleChoice[] }>(`{ roles { key name } }`)).roles;
  } catch {
    return BUILT_IN_ROLES;
  }
}

/** Groups of staff, for mapping rules (needs users.read; otherwise none can be chosen). */
export async function loadGroups(): Promise<{ id: string; name: string }[]> {
  try {
    return (await gql<{ ticketGroups: { id: string; name: string }[] }>(`{ ticketGroups { id name } }`)).ticketGroups;
  } catch {
    return [];
  }
}
