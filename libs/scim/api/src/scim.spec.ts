/**
 * SCIM 2.0 provisioning (issue 17 item 4; RFC 7643, RFC 7644) against the whole server: the
 * request sequences Okta's and Microsoft Entra ID's provisioning clients send, as their
 * documentation shows them (Okta "SCIM 2.0 Protocol Reference"; Entra "Develop and plan
 * provisioning for a SCIM endpoint" and "Known issues with SCIM 2.0 protocol compliance"),
 * filters and paging, uniqueness, B6 (deprovisioning ends sessions and revokes tokens), B10 (a
 * token's scope), D2 (another tenant's ids are unknown ids), D10/D11 (the IP allowlist and lockdown
 * hold for SCIM), E9 (bad input is a 4xx) and F3 (what provisioning does is audited, once).
 */
import { platformPlugin } from '@bulwark/platform-api';
import { startTestServer, type TestServer } from '@bulwark/platform-api/testing';
import { accessPlugin } from '@bulwark/access-api';
import { auditPlugin } from '@bulwark/audit-api';
import { identityPlugin } from '@bulwark/identity-api';
import { createPersonas, PERSONA_PASSWORD, type Persona, type TenantPersonas } from '@bulwark/identity-api/testing';
import { ticketsPlugin } from '@bulwark/tickets-api';
import { randomUUID } from 'node:crypto';
import { scimPlugin } from './index';

/**
 * The features SCIM works with, in the composition's order: identity's people, access's guards
 * (D10, D11), tickets' groups, audit's log. (The whole list, @bulwark/composition-api, includes
 * this plugin: importing it here would be a dependency cycle.)
 */
const plugins = [platformPlugin, identityPlugin, accessPlugin, ticketsPlugin, scimPlugin, auditPlugin];

let t: TestServer;
let a: TenantPersonas;
let b: TenantPersonas;
/** Tenant A's provisioning token, made by its admin. */
let token: string;

interface ScimAnswer {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  headers: Headers;
}

const FROM = (ip: string) => ({ 'x-forwarded-for': ip });
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const LIST = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

async function scim(method: string, path: string, opts: { token?: string | null; body?: unknown; raw?: string; headers?: Record<string, string> } = {}): Promise<ScimAnswer> {
  const headers: Record<string, string> = { ...opts.headers };
  const bearer = opts.token === undefined ? token : opts.token;
  if (bearer) headers.authorization = `Bearer ${bearer}`;
  if (opts.body !== undefined || opts.raw !== undefined) headers['content-type'] ??= 'application/scim+json';
  const res = await fetch(`${t.url}/scim/v2${path}`, { method, headers, body: opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body)) });
  const text = await res.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = text;
  }
  return { status: res.status, body, headers: res.headers };
}
const q = (filter: string) => `filter=${encodeURIComponent(filter)}`;
const patch = (...Operations: object[]) => ({ schemas: [PATCH_OP], Operations });

async function sudo(p: Persona, headers: Record<string, string> = {}): Promise<string> {
  const r = await t.gql<{ reauthenticate: { token: string } }>(`mutation($p: String!) { reauthenticate(password: $p) { token } }`, { p: PERSONA_PASSWORD }, { token: p.token, headers });
  p.token = r.data!.reauthenticate.token;
  return p.token;
}

/** An API token made through GraphQL as an integration would be (B8: after a re-authentication). */
async function apiToken(p: Persona, permissions: string[], name = 'Identity provider'): Promise<{ token: string; id: string }> {
  await sudo(p);
  const r = await t.gql<{ createApiToken: { token: string; apiToken: { id: string } } }>(
    `mutation($i: ApiTokenInput!) { createApiToken(input: $i) { token apiToken { id } } }`,
    { i: { name, permissions } },
    { token: p.token },
  );
  if (!r.data) throw new Error(JSON.stringify(r.errors));
  return { token: r.data.createApiToken.token, id: r.data.createApiToken.apiToken.id };
}

const events = (tenantId: string, action: string, targetId?: string) =>
  t.ownerSql<{ actor_type: string; actor_id: string; target_id: string; outcome: string; changes: Record<string, unknown> | null; details: Record<string, unknown> | null }>(
    `select actor_type, actor_id, target_id, outcome, changes, details from audit_events where tenant_id = $1 and action = $2 ${targetId ? 'and target_id = $3' : ''} order by seq`,
    targetId ? [tenantId, action, targetId] : [tenantId, action],
  );

let tokenId: string;

beforeAll(async () => {
  t = await startTestServer(plugins, { BULWARK_TRUST_PROXY_HOPS: '1', BULWARK_PUBLIC_URL: 'https://desk.example.com' });
  a = await createPersonas(t, 'umbrella');
  b = await createPersonas(t, 'aperture');
  ({ token, id: tokenId } = await apiToken(a.admin, ['SCIM_PROVISION']));
});
afterAll(() => t?.close());

describe('Microsoft Entra ID, as its documentation shows the requests', () => {
  it('test connection, create, read, query, update multi- and single-valued attributes, disable, delete', async () => {
    // Test Connection: a user that does not exist, by a random GUID: an empty ListResponse.
    const probe = await scim('GET', `/Users?${q(`userName eq "${randomUUID()}"`)}`);
    expect(probe.status).toBe(200);
    expect(probe.headers.get('content-type')).toMatch(/^application\/scim\+json/);
    expect(probe.body).toEqual({ schemas: [LIST], totalResults: 0, startIndex: 1, itemsPerPage: 0, Resources: [] });

    const create = await scim('POST', '/Users', {
      body: {
        schemas: [USER, ENTERPRISE],
        externalId: '0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef',
        userName: 'Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee',
        active: true,
        emails: [{ primary: true, type: 'work', value: 'Test_User_11bb11bb-cc22-dd33-ee44-55ff55ff55ff@testuser.com' }],
        meta: { resourceType: 'User' },
        name: { formatted: 'givenName familyName', familyName: 'familyName', givenName: 'givenName' },
        roles: [],
      },
    });
    expect(create.status).toBe(201);
    const id = create.body.id as string;
    expect(create.headers.get('location')).toBe(`https://desk.example.com/scim/v2/Users/${id}`);
    expect(create.body).toMatchObject({
      schemas: [USER],
      externalId: '0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef',
      userName: 'Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee',
      name: { formatted: 'givenName familyName', familyName: 'familyName', givenName: 'givenName' },
      active: true,
      emails: [{ value: 'test_user_11bb11bb-cc22-dd33-ee44-55ff55ff55ff@testuser.com', type: 'work', primary: true }],
      roles: [{ value: 'requester', primary: true }],
      meta: { resourceType: 'User', location: `https://desk.example.com/scim/v2/Users/${id}` },
    });
    const [row] = await t.ownerSql<{ email: string; name: string; role: string; status: string; tenant_id: string }>('select email, name, role, status, tenant_id from users where id = $1', [id]);
    expect(row).toEqual({ email: 'test_user_11bb11bb-cc22-dd33-ee44-55ff55ff55ff@testuser.com', name: 'givenName familyName', role: 'requester', status: 'active', tenant_id: a.tenantId });

    expect((await scim('GET', `/Users/${id}`)).body).toMatchObject({ id, userName: 'Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee', active: true });
    const byName = await scim('GET', `/Users?${q('userName eq "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee"')}`);
    expect(byName.body).toMatchObject({ schemas: [LIST], totalResults: 1, startIndex: 1, itemsPerPage: 1, Resources: [{ id }] });
    expect((await scim('GET', `/Users?${q('externalId eq "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"')}`)).body.Resources.map((r: { id: string }) => r.id)).toEqual([id]);
    expect((await scim('GET', `/Users?${q('emails[type eq "work"].value eq "Test_User_11bb11bb-cc22-dd33-ee44-55ff55ff55ff@testuser.com"')}`)).body.totalResults).toBe(1);

    // Update User [Multi-valued properties]
    const multi = await scim('PATCH', `/Users/${id}`, {
      body: patch({ op: 'Replace', path: 'emails[type eq "work"].value', value: 'updatedEmail@microsoft.com' }, { op: 'Replace', path: 'name.familyName', value: 'updatedFamilyName' }),
    });
    expect(multi.status).toBe(200);
    expect(multi.body).toMatchObject({ id, emails: [{ value: 'updatedemail@microsoft.com', type: 'work', primary: true }], name: { familyName: 'updatedFamilyName', givenName: 'givenName' } });
    // Update User [Single-valued properties]
    const single = await scim('PATCH', `/Users/${id}`, { body: patch({ op: 'Replace', path: 'userName', value: '5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com' }) });
    expect(single.body).toMatchObject({ userName: '5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com', emails: [{ value: 'updatedemail@microsoft.com' }] });
    expect((await scim('GET', `/Users?${q('userName eq "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee"')}`)).body.totalResults).toBe(0);
    // Without Entra's compliance flag: "Add" of a single-valued attribute Bulwark does not keep.
    expect((await scim('PATCH', `/Users/${id}`, { body: patch({ op: 'Add', path: 'nickName', value: 'Babs' }) })).status).toBe(200);
    // With the flag: several attributes in one replace, keyed by their paths.
    const many = await scim('PATCH', `/Users/${id}`, {
      body: patch(
        { op: 'replace', path: 'emails[type eq "work"].value', value: 'TestMhvaes@test.microsoft.com' },
        { op: 'replace', value: { displayName: 'Bjfe', 'name.givenName': 'Kkom', 'name.familyName': 'Unua', [`${ENTERPRISE}:employeeNumber`]: 'Aklq' } },
      ),
    });
    expect(many.status).toBe(200);
    expect(many.body).toMatchObject({ displayName: 'Bjfe', name: { givenName: 'Kkom', familyName: 'Unua' }, emails: [{ value: 'testmhvaes@test.microsoft.com' }] });
    expect((await t.ownerSql('select name from users where id = $1', [id]))[0]).toEqual({ name: 'Bjfe' });

    // Disable User, without the flag ("False" as text) and with it (false).
    const disable = await scim('PATCH', `/Users/${id}`, { body: patch({ op: 'Replace', path: 'active', value: 'False' }) });
    expect(disable.body.active).toBe(false);
    expect((await t.ownerSql('select status from users where id = $1', [id]))[0]).toEqual({ status: 'suspended' });
    // Still found by a query, with active false (Entra reads it back).
    expect((await scim('GET', `/Users?${q('userName eq "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"')}`)).body.Resources[0]).toMatchObject({ id, active: false });
    expect((await scim('PATCH', `/Users/${id}`, { body: patch({ op: 'replace', path: 'active', value: true }) })).body.active).toBe(true);
    expect((await scim('PATCH', `/Users/${id}`, { body: { Operations: [{ op: 'replace', path: 'active', value: false }], schemas: [PATCH_OP] } })).body.active).toBe(false);

    // Delete User: 204, then not found; Bulwark deletes the person (their tickets stay).
    const del = await scim('DELETE', `/Users/${id}`);
    expect(del.status).toBe(204);
    expect(del.body).toBeNull();
    const gone = await scim('GET', `/Users/${id}`);
    expect(gone.status).toBe(404);
    expect(gone.body).toMatchObject({ schemas: [ERROR], status: '404' });
    expect((await t.ownerSql('select status from users where id = $1', [id]))[0]).toEqual({ status: 'deleted' });
    expect((await scim('GET', `/Users?${q('externalId eq "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"')}`)).body.totalResults).toBe(0);
    // The identity provider may create it again: its identifiers are free.
    const again = await scim('POST', '/Users', { body: { userName: 'Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee', externalId: '0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef', emails: [{ value: 'again@testuser.com', primary: true }] } });
    expect(again.status).toBe(201);
  });

  it('creates a group empty, finds it by displayName without members, renames it, adds and removes members, deletes it', async () => {
    const create = await scim('POST', '/Groups', {
      body: {
        schemas: [GROUP, 'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group'],
        externalId: '8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159',
        displayName: 'displayName',
        meta: { resourceType: 'Group' },
      },
    });
    expect(create.status).toBe(201);
    const id = create.body.id as string;
    expect(create.body).toMatchObject({ schemas: [GROUP], id, externalId: '8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159', displayName: 'displayName', members: [], meta: { resourceType: 'Group' } });
    expect(create.headers.get('location')).toBe(`https://desk.example.com/scim/v2/Groups/${id}`);

    const read = await scim('GET', `/Groups/${id}?excludedAttributes=members`);
    expect(read.body).toMatchObject({ id, displayName: 'displayName' });
    expect(read.body).not.toHaveProperty('members');
    const found = await scim('GET', `/Groups?excludedAttributes=members&${q('displayName eq "displayName"')}`);
    expect(found.body).toMatchObject({ totalResults: 1, Resources: [{ id, externalId: '8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159' }] });
    expect(found.body.Resources[0]).not.toHaveProperty('members');

    const renamed = await scim('PATCH', `/Groups/${id}`, { body: patch({ op: 'Replace', path: 'displayName', value: '1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName' }) });
    expect(renamed.status).toBe(204);
    const add = await scim('PATCH', `/Groups/${id}`, { body: patch({ op: 'Add', path: 'members', value: [{ $ref: null, value: a.agent.id }, { $ref: null, value: a.lightAgent.id }] }) });
    expect(add.status).toBe(204);
    const members = async () => ((await scim('GET', `/Groups/${id}`)).body.members as { value: string }[]).map((m) => m.value).sort();
    expect(await members()).toEqual([a.agent.id, a.lightAgent.id].sort());
    expect((await scim('GET', `/Groups?${q(`members[value eq "${a.agent.id}"]`)}`)).body.Resources.map((g: { id: string }) => g.id)).toContain(id);
    // Remove without the flag (the value lists who goes) and with it (a value filter in the path).
    expect((await scim('PATCH', `/Groups/${id}`, { body: patch({ op: 'Remove', path: 'members', value: [{ value: a.agent.id }] }) })).status).toBe(204);
    expect(await members()).toEqual([a.lightAgent.id]);
    expect((await scim('PATCH', `/Groups/${id}`, { body: patch({ op: 'remove', path: `members[value eq "${a.lightAgent.id}"]` }) })).status).toBe(204);
    expect(await members()).toEqual([]);
    const [group] = await t.ownerSql<{ name: string }>('select name from ticket_groups where id = $1', [id]);
    expect(group.name).toBe('1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName');

    expect((await scim('DELETE', `/Groups/${id}`)).status).toBe(204);
    expect((await scim('GET', `/Groups/${id}`)).status).toBe(404);
    expect(await t.ownerSql('select 1 from scim_resources where group_id = $1', [id])).toEqual([]);
  });
});

describe('Okta, as its SCIM 2.0 reference shows the requests', () => {
  it('looks the user up, creates, reads, replaces with PUT, deactivates and reactivates with PATCH', async () => {
    const lookup = await scim('GET', `/Users?${q('userName eq "test.user@okta.local"')}&startIndex=1&count=100`, { headers: { 'user-agent': 'Okta SCIM Client 1.0.0' } });
    expect(lookup.body).toMatchObject({ totalResults: 0, Resources: [] });
    const created = await scim('POST', '/Users', {
      body: {
        schemas: [USER],
        userName: 'test.user@okta.local',
        name: { givenName: 'Test', familyName: 'User' },
        emails: [{ primary: true, value: 'test.user@okta.local', type: 'work' }],
        displayName: 'Test User',
        locale: 'en-US',
        externalId: '00ujl29u0le5T6Aj10h7',
        groups: [],
        password: '1mz050nq',
        active: true,
      },
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect(created.body).toMatchObject({ userName: 'test.user@okta.local', displayName: 'Test User', externalId: '00ujl29u0le5T6Aj10h7', active: true, groups: [] });
    // The password is never taken: people sign in through single sign-on or set their own.
    expect((await t.ownerSql('select password_hash from users where id = $1', [id]))[0]).toEqual({ password_hash: null });

    const read = await scim('GET', `/Users/${id}`);
    const put = await scim('PUT', `/Users/${id}`, {
      body: { ...read.body, name: { givenName: 'Another', middleName: 'Excited', familyName: 'User' }, displayName: 'Another Excited User' },
    });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ id, name: { givenName: 'Another', middleName: 'Excited', familyName: 'User' }, displayName: 'Another Excited User', active: true });

    const off = await scim('PATCH', `/Users/${id}`, { body: patch({ op: 'replace', value: { active: false } }) });
    expect(off.status).toBe(200);
    expect(off.body).toMatchObject({ id, active: false, userName: 'test.user@okta.local' });
    expect((await t.ownerSql('select status from users where id = $1', [id]))[0]).toEqual({ status: 'suspended' });
    expect((await scim('PATCH', `/Users/${id}`, { body: patch({ op: 'replace', value: { active: true } }) })).body.active).toBe(true);
    // An app made with Okta's wizard deactivates with a PUT instead.
    expect((await scim('PUT', `/Users/${id}`, { body: { ...put.body, active: false } })).body.active).toBe(false);
    expect((await t.ownerSql('select status from users where id = $1', [id]))[0]).toEqual({ status: 'suspended' });
    // Password sync is a PATCH of the password: accepted, never kept.
    expect((await scim('PATCH', `/Users/${id}`, { body: patch({ op: 'replace', value: { password: 'n3wPassw0rd' } }) })).status).toBe(200);
    expect((await t.ownerSql('select password_hash from users where id = $1', [id]))[0]).toEqual({ password_hash: null });
  });

  it('pushes a group, renames it, changes and replaces its members, lists groups by page, deletes it', async () => {
    const created = await scim('POST', '/Groups', { body: { schemas: [GROUP], displayName: 'Test SCIMv2', members: [] } });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const rename = await scim('PATCH', `/Groups/${id}`, { body: patch({ op: 'replace', value: { id, displayName: 'Test SCIMv20' } }) });
    expect(rename.status).toBe(204);
    const change = await scim('PATCH', `/Groups/${id}`, {
      body: patch({ op: 'remove', path: `members[value eq "${a.auditor.id}"]` }, { op: 'add', path: 'members', value: [{ value: a.agent.id, display: a.agent.email }] }),
    });
    expect(change.status).toBe(204);
    expect((await scim('GET', `/Groups/${id}`)).body).toMatchObject({ displayName: 'Test SCIMv20', members: [{ value: a.agent.id, display: 'agent of umbrella', $ref: `https://desk.example.com/scim/v2/Users/${a.agent.id}` }] });
    const full = await scim('PATCH', `/Groups/${id}`, { body: patch({ op: 'replace', path: 'members', value: [{ value: a.lightAgent.id }, { value: a.auditor.id }] }) });
    expect(full.status).toBe(204);
    expect(((await scim('GET', `/Groups/${id}`)).body.members as { value: string }[]).map((m) => m.value).sort()).toEqual([a.lightAgent.id, a.auditor.id].sort());
    // Okta's wizard apps send a PUT with the whole group.
    const put = await scim('PUT', `/Groups/${id}`, { body: { schemas: [GROUP], id, displayName: 'Test SCIMv2 again', members: [{ value: a.agent.id }] } });
    expect(put.body).toMatchObject({ displayName: 'Test SCIMv2 again', members: [{ value: a.agent.id }] });
    const page = await scim('GET', '/Groups?startIndex=1&count=100');
    expect(page.body.Resources.map((g: { id: string }) => g.id)).toContain(id);
    expect((await scim('DELETE', `/Groups/${id}`)).status).toBe(204);
  });
});

describe('filters and paging', () => {
  it('pages in a stable order with startIndex and count (at most 100), and filters with eq and and only', async () => {
    const made: string[] = [];
    for (const n of [1, 2, 3, 4, 5]) {
      const r = await scim('POST', '/Users', { body: { userName: `pager${n}@umbrella.test`, externalId: `pager-${n}`, name: { givenName: 'Pager', familyName: String(n) } } });
      made.push(r.body.id);
    }
    const all = await scim('GET', '/Users?count=1000');
    expect(all.body.itemsPerPage).toBe(all.body.totalResults > 100 ? 100 : all.body.totalResults);
    const total = all.body.totalResults as number;
    const ids = (all.body.Resources as { id: string }[]).map((r) => r.id);
    expect(ids.slice(-5)).toEqual(made);
    const p2 = await scim('GET', `/Users?startIndex=${total - 3}&count=2`);
    expect(p2.body).toMatchObject({ totalResults: total, startIndex: total - 3, itemsPerPage: 2 });
    expect(p2.body.Resources.map((r: { id: string }) => r.id)).toEqual(made.slice(1, 3));
    expect((await scim('GET', '/Users?count=0')).body).toMatchObject({ totalResults: total, itemsPerPage: 0, Resources: [] });
    expect((await scim('GET', '/Users?startIndex=0&count=1')).body).toMatchObject({ startIndex: 1, itemsPerPage: 1 });
    expect((await scim('GET', '/Users?count=many')).status).toBe(400);

    const one = async (filter: string) => (await scim('GET', `/Users?${q(filter)}`)).body.Resources.map((r: { id: string }) => r.id);
    expect(await one('userName eq "PAGER2@umbrella.test"')).toEqual([made[1]]); // case-insensitive, as userName is
    expect(await one('USERNAME EQ "pager2@umbrella.test"')).toEqual([made[1]]);
    expect(await one('externalId eq "pager-3"')).toEqual([made[2]]);
    expect(await one('externalId eq "PAGER-3"')).toEqual([]); // externalId is case-exact
    expect(await one(`${USER}:userName eq "pager4@umbrella.test"`)).toEqual([made[3]]);
    expect(await one('externalId eq pager-5')).toEqual([made[4]]); // unquoted, as one Entra example writes it
    expect(await one('userName eq "pager1@umbrella.test" and externalId eq "pager-1"')).toEqual([made[0]]);
    expect(await one('userName eq "pager1@umbrella.test" and externalId eq "pager-2"')).toEqual([]);
    expect(await one(`id eq "${made[0]}"`)).toEqual([made[0]]);
    // People who never came through SCIM: their userName is their email.
    expect(await one(`userName eq "${a.agent.email}"`)).toEqual([a.agent.id]);

    for (const bad of ['userName co "pager"', 'userName eq "a" or userName eq "b"', 'title eq "boss"', 'userName eq', '(userName eq "a")', 'not (userName eq "a")', 'userName gt "a"', 'userName eq "open']) {
      const r = await scim('GET', `/Users?${q(bad)}`);
      expect([bad, r.status, r.body.scimType]).toEqual([bad, 400, 'invalidFilter']);
    }
    expect((await scim('GET', `/Users?${q('userName eq "x"')}&${q('userName eq "y"')}`)).status).toBe(400);
    expect((await scim('GET', `/Groups?${q('displayName co "x"')}`)).body.scimType).toBe('invalidFilter');
  });
});

describe('uniqueness', () => {
  it('answers 409 uniqueness for a userName, email or externalId that is taken, and a group name', async () => {
    const first = await scim('POST', '/Users', { body: { userName: 'dup@umbrella.test', externalId: 'dup-1' } });
    expect(first.status).toBe(201);
    for (const body of [
      { userName: 'DUP@umbrella.test' },
      { userName: 'someone-else', emails: [{ value: 'dup@umbrella.test' }] },
      { userName: 'other@umbrella.test', externalId: 'dup-1' },
      { userName: a.agent.email }, // a person who never came through SCIM
    ]) {
      const r = await scim('POST', '/Users', { body });
      expect([r.status, r.body]).toEqual([409, expect.objectContaining({ schemas: [ERROR], status: '409', scimType: 'uniqueness' })]);
    }
    const change = await scim('PATCH', `/Users/${first.body.id}`, { body: patch({ op: 'replace', path: 'emails[type eq "work"].value', value: a.requester.email }) });
    expect([change.status, change.body.scimType]).toEqual([409, 'uniqueness']);
    await scim('POST', '/Groups', { body: { displayName: 'Tier 3' } });
    const group = await scim('POST', '/Groups', { body: { displayName: 'Tier 3' } });
    expect([group.status, group.body.scimType]).toEqual([409, 'uniqueness']);
  });
});

describe('organizations', () => {
  it("puts a provisioned requester in the organization of their email's domain (issue 20)", async () => {
    const org = await t.gql<{ createOrganization: { id: string } }>(`mutation { createOrganization(input: { name: "Black Mesa", domains: ["blackmesa.example"] }) { id } }`, {}, { token: a.admin.token });
    const made = await scim('POST', '/Users', { body: { userName: 'gordon@blackmesa.example' } });
    expect(made.status).toBe(201);
    const [row] = await t.ownerSql<{ organization_id: string | null }>('select organization_id from users where id = $1', [made.body.id]);
    expect(row.organization_id).toBe(org.data!.createOrganization.id);
  });
});

describe('who provisions, and what (B6, B10, D14)', () => {
  it('B6 deprovisioning suspends the person, ends their sessions and revokes their API tokens on the next request', async () => {
    const c = await createPersonas(t, 'umbrella-b6');
    const owners = await apiToken(c.owner, ['SCIM_PROVISION'], 'Okta');
    const theirs = await apiToken(c.admin, ['USERS_READ'], 'their integration');
    const ME = `{ me { id } }`;
    expect((await t.gql(ME, {}, { token: c.admin.token })).data).toBeTruthy();
    expect((await t.gql(`{ users { totalCount } }`, {}, { token: theirs.token })).data).toBeTruthy();
    const off = await scim('PATCH', `/Users/${c.admin.id}`, { token: owners.token, body: patch({ op: 'replace', value: { active: false } }) });
    expect(off.status).toBe(200);
    expect((await t.gql(ME, {}, { token: c.admin.token })).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect((await t.gql(`{ users { totalCount } }`, {}, { token: theirs.token })).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect(await t.ownerSql('select 1 from sessions where user_id = $1', [c.admin.id])).toEqual([]);
    expect((await t.ownerSql<{ revoked: boolean }>('select revoked_at is not null as revoked from api_tokens where id = $1', [theirs.id]))[0].revoked).toBe(true);
    // F3: one event, identity's, with the token as actor; no second SCIM event for the same change.
    expect(await events(c.tenantId, 'identity.userSuspended', c.admin.id)).toEqual([expect.objectContaining({ actor_type: 'token', actor_id: owners.id })]);
    expect(await events(c.tenantId, 'scim.userUpdated', c.admin.id)).toEqual([]);
    // DELETE deprovisions too (Entra's hard delete): the person is deleted as Bulwark deletes people.
    const del = await scim('DELETE', `/Users/${c.agent.id}`, { token: owners.token });
    expect(del.status).toBe(204);
    expect((await t.gql(ME, {}, { token: c.agent.token })).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect(await events(c.tenantId, 'identity.userDeleted', c.agent.id)).toHaveLength(1);
  });

  it('B10 needs an API token whose scope is scim.provision: none or a dead one is 401, another scope 403 (audited)', async () => {
    const none = await scim('GET', '/Users', { token: null });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(none.body).toMatchObject({ schemas: [ERROR], status: '401' });
    expect((await scim('GET', '/Users', { token: 'bwt_nonsense-nonsense-nonsense' })).status).toBe(401);
    expect((await scim('GET', '/Users', { token: a.admin.token })).status).toBe(401); // a session is not an API token
    const forged = token.slice(0, 4) + Buffer.from(b.tenantId.replace(/-/g, ''), 'hex').toString('base64url') + token.slice(26);
    expect((await scim('GET', '/Users', { token: forged })).status).toBe(401); // D4: edited to name another tenant
    const reader = await apiToken(a.admin, ['USERS_READ'], 'reader');
    const refused = await scim('POST', '/Users', { token: reader.token, body: { userName: 'nope@umbrella.test' } });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ schemas: [ERROR], status: '403' });
    expect(await t.ownerSql(`select 1 from users where email = 'nope@umbrella.test'`)).toEqual([]);
    expect(await events(a.tenantId, 'platform.accessDenied')).toContainEqual(expect.objectContaining({ actor_type: 'token', actor_id: reader.id, target_id: 'SCIM POST /Users', outcome: 'denied' }));
    // Revoked: refused at the next request.
    const short = await apiToken(a.admin, ['SCIM_PROVISION'], 'short-lived');
    expect((await scim('GET', '/Users?count=1', { token: short.token })).status).toBe(200);
    await sudo(a.admin);
    await t.gql(`mutation($id: ID!) { revokeApiToken(id: $id) { id } }`, { id: short.id }, { token: a.admin.token });
    expect((await scim('GET', '/Users?count=1', { token: short.token })).status).toBe(401);
  });

  it('never makes or changes an owner, gives only roles within its creator\'s, and refuses rather than ignores (D14)', async () => {
    const owner = await scim('PATCH', `/Users/${a.owner.id}`, { body: patch({ op: 'replace', value: { active: false } }) });
    expect(owner.status).toBe(403);
    expect((await t.ownerSql('select status from users where id = $1', [a.owner.id]))[0]).toEqual({ status: 'active' });
    expect(await events(a.tenantId, 'platform.accessDenied')).toContainEqual(expect.objectContaining({ actor_id: tokenId, target_id: 'SCIM PATCH /Users' }));
    expect((await scim('DELETE', `/Users/${a.owner.id}`)).status).toBe(403);
    expect((await scim('PATCH', `/Users/${a.owner.id}`, { body: patch({ op: 'replace', path: 'displayName', value: 'Mallory' }) })).status).toBe(403);
    // Linking an owner to the provider's record changes nothing of the account: allowed.
    const link = await scim('PATCH', `/Users/${a.owner.id}`, { body: patch({ op: 'add', path: 'externalId', value: 'okta-owner' }) });
    expect([link.status, link.body.externalId]).toEqual([200, 'okta-owner']);
    // Once: neither relinked nor renamed afterwards.
    expect((await scim('PATCH', `/Users/${a.owner.id}`, { body: patch({ op: 'replace', path: 'externalId', value: 'okta-other' }) })).status).toBe(403);
    expect((await scim('PATCH', `/Users/${a.owner.id}`, { body: patch({ op: 'replace', path: 'userName', value: 'hijacked' }) })).status).toBe(403);
    // E9: a userName whose lower case is not ASCII is a person, not a server error.
    const greek = await scim('POST', '/Users', { body: { userName: 'ΟΔΟΣ@umbrella.test', emails: [{ value: 'odos@umbrella.test', primary: true }] } });
    expect(greek.status).toBe(201);

    expect((await scim('POST', '/Users', { body: { userName: 'boss@umbrella.test', roles: [{ value: 'owner', primary: true }] } })).status).toBe(403);
    expect((await scim('PATCH', `/Users/${a.agent.id}`, { body: patch({ op: 'replace', path: 'roles', value: [{ value: 'owner' }] }) })).status).toBe(403);
    const unknown = await scim('POST', '/Users', { body: { userName: 'who@umbrella.test', roles: [{ value: 'wizard' }] } });
    expect([unknown.status, unknown.body.scimType]).toEqual([400, 'invalidValue']);
    const agent = await scim('POST', '/Users', { body: { userName: 'new.agent@umbrella.test', roles: [{ value: 'Agent', primary: 'True', type: 'WindowsAzureActiveDirectoryRole' }] } });
    expect(agent.body.roles).toEqual([{ value: 'agent', primary: true }]);
    const promote = await scim('PATCH', `/Users/${agent.body.id}`, { body: patch({ op: 'replace', path: 'roles[primary eq "True"].value', value: 'admin' }) });
    expect([promote.status, promote.body.detail, promote.body.roles]).toEqual([200, undefined, [{ value: 'admin', primary: true }]]);
    expect(await events(a.tenantId, 'identity.roleChanged', agent.body.id)).toEqual([expect.objectContaining({ actor_type: 'token', changes: { role: { before: 'agent', after: 'admin' } } })]);
    const plain = await scim('POST', '/Users', { body: { userName: 'plain@umbrella.test' } });
    expect(plain.body.roles).toEqual([{ value: 'requester', primary: true }]);
    // Groups are of staff: a requester is refused, with a reason.
    const g = await scim('POST', '/Groups', { body: { displayName: 'Staff only', members: [{ value: plain.body.id }] } });
    expect([g.status, g.body.scimType]).toEqual([400, 'invalidValue']);
  });
});

describe('D2 another tenant\'s ids are unknown ids', () => {
  it('answers B\'s person and group exactly as ids that do not exist, and changes nothing of B', async () => {
    const [bGroup] = await t.ownerSql<{ id: string }>(`insert into ticket_groups (id, tenant_id, name, created_at) values (gen_random_uuid(), $1, 'B team', now()) returning id`, [b.tenantId]);
    const before = await t.ownerSql('select * from users where tenant_id = $1 order by id', [b.tenantId]);
    const groupsBefore = await t.ownerSql('select * from ticket_groups where tenant_id = $1 order by id', [b.tenantId]);
    const ghost = randomUUID();
    const same = (x: ScimAnswer, y: ScimAnswer) => expect({ status: x.status, body: x.body }).toEqual({ status: y.status, body: y.body });
    for (const [kind, bId] of [['Users', b.agent.id], ['Groups', bGroup.id]] as const) {
      same(await scim('GET', `/${kind}/${bId}`), await scim('GET', `/${kind}/${ghost}`));
      const body = kind === 'Users' ? { userName: 'x@y.test', active: false } : { displayName: 'Taken over' };
      same(await scim('PUT', `/${kind}/${bId}`, { body }), await scim('PUT', `/${kind}/${ghost}`, { body }));
      const ops = patch({ op: 'replace', value: kind === 'Users' ? { active: false } : { displayName: 'Taken over' } });
      same(await scim('PATCH', `/${kind}/${bId}`, { body: ops }), await scim('PATCH', `/${kind}/${ghost}`, { body: ops }));
      same(await scim('DELETE', `/${kind}/${bId}`), await scim('DELETE', `/${kind}/${ghost}`));
    }
    expect((await scim('GET', `/Users/${b.agent.id}`)).status).toBe(404);
    // As a member, in a filter.
    const mine = await scim('POST', '/Groups', { body: { displayName: 'A team' } });
    const addB = await scim('PATCH', `/Groups/${mine.body.id}`, { body: patch({ op: 'add', path: 'members', value: [{ value: b.agent.id }] }) });
    const addGhost = await scim('PATCH', `/Groups/${mine.body.id}`, { body: patch({ op: 'add', path: 'members', value: [{ value: ghost }] }) });
    same(addB, addGhost);
    expect(addB.status).toBe(400);
    expect((await scim('GET', `/Users?${q(`userName eq "${b.agent.email}"`)}`)).body.totalResults).toBe(0);
    expect((await scim('GET', `/Users?${q(`id eq "${b.agent.id}"`)}`)).body.totalResults).toBe(0);
    expect((await scim('GET', `/Groups?${q('displayName eq "B team"')}`)).body.totalResults).toBe(0);
    expect(await t.ownerSql('select * from users where tenant_id = $1 order by id', [b.tenantId])).toEqual(before);
    expect(await t.ownerSql('select * from ticket_groups where tenant_id = $1 order by id', [b.tenantId])).toEqual(groupsBefore);
    expect(await t.ownerSql('select * from scim_resources where tenant_id = $1', [b.tenantId])).toEqual([]);
  });
});

describe('D10 and D11: the IP allowlist and lockdown hold for SCIM', () => {
  const OFFICE = '203.0.113.0/24';
  afterEach(async () => {
    await t.ownerSql(`update access_settings set ip_mode = 'off', lockdown = false where tenant_id = $1`, [a.tenantId]);
    await t.ownerSql(`delete from ip_rules where tenant_id = $1`, [a.tenantId]);
    await new Promise((r) => setTimeout(r, 1100)); // other processes' caches: 1 s
  });

  it('refuses a SCIM request from outside the allowlist (audited), serves one from inside', async () => {
    await t.ownerSql(
      `insert into access_settings (id, tenant_id, ip_mode) values (gen_random_uuid(), $1, 'enforce') on conflict (tenant_id) do update set ip_mode = 'enforce'`,
      [a.tenantId],
    );
    await t.ownerSql(`insert into ip_rules (id, tenant_id, cidr, created_at) values (gen_random_uuid(), $1, $2, now())`, [a.tenantId, OFFICE]);
    await new Promise((r) => setTimeout(r, 1100));
    const outside = await scim('POST', '/Users', { body: { userName: 'far@umbrella.test' }, headers: FROM('198.51.100.7') });
    expect(outside.status).toBe(403);
    expect(outside.body).toMatchObject({ schemas: [ERROR], status: '403' });
    expect((await scim('GET', '/Users?count=1', { headers: FROM('198.51.100.7') })).status).toBe(403);
    expect(await t.ownerSql(`select 1 from users where email = 'far@umbrella.test'`)).toEqual([]);
    expect(await events(a.tenantId, 'platform.accessDenied')).toContainEqual(expect.objectContaining({ actor_id: tokenId, target_id: 'SCIM POST /Users', details: { code: 'FORBIDDEN', reason: 'network' } }));
    expect((await scim('GET', '/Users?count=1', { headers: FROM('203.0.113.9') })).status).toBe(200);
    expect((await scim('POST', '/Users', { body: { userName: 'near@umbrella.test' }, headers: FROM('::ffff:203.0.113.10') })).status).toBe(201);
  });

  it('refuses changes in lockdown, keeps reads', async () => {
    await t.ownerSql(`insert into access_settings (id, tenant_id, lockdown) values (gen_random_uuid(), $1, true) on conflict (tenant_id) do update set lockdown = true`, [a.tenantId]);
    await new Promise((r) => setTimeout(r, 1100));
    const change = await scim('POST', '/Users', { body: { userName: 'locked@umbrella.test' } });
    expect(change.status).toBe(403);
    expect(change.body.detail).toMatch(/lockdown/i);
    expect((await scim('GET', '/Users?count=1')).status).toBe(200);
  });
});

describe('E9 what a client sends is answered with a 4xx, never a 5xx', () => {
  it('refuses bad JSON, wrong shapes, unknown attributes and paths, bad values, and unknown endpoints', async () => {
    const user = (await scim('POST', '/Users', { body: { userName: 'shapes@umbrella.test' } })).body.id as string;
    const cases: [string, string, { body?: unknown; raw?: string; headers?: Record<string, string> }, number, string | undefined][] = [
      ['POST', '/Users', { raw: '{"userName": ' }, 400, 'invalidSyntax'],
      ['POST', '/Users', { body: [] }, 400, 'invalidSyntax'],
      ['POST', '/Users', { raw: 'userName=x', headers: { 'content-type': 'text/plain' } }, 400, 'invalidSyntax'],
      ['POST', '/Users', { raw: '{"userName": "form@umbrella.test"}', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 400, 'invalidSyntax'],
      ['POST', '/Users', { body: { userName: 'x@umbrella.test', favouriteColour: 'red' } }, 400, 'invalidSyntax'],
      ['POST', '/Users', { body: { userName: 'x@umbrella.test', username: 'y@umbrella.test' } }, 400, 'invalidSyntax'],
      ['POST', '/Users', { body: { userName: 42 } }, 400, 'invalidValue'],
      ['POST', '/Users', { body: { emails: [{ value: 'x@umbrella.test' }] } }, 400, 'invalidValue'],
      ['POST', '/Users', { body: { userName: 'not-an-email' } }, 400, 'invalidValue'],
      ['POST', '/Users', { body: { userName: 'x@umbrella.test', active: 'maybe' } }, 400, 'invalidValue'],
      ['POST', '/Users', { body: { userName: 'x@umbrella.test', emails: 'x@umbrella.test' } }, 400, 'invalidValue'],
      ['POST', '/Users', { body: { userName: 'x@umbrella.test', name: 'X' } }, 400, 'invalidValue'],
      ['POST', '/Users', { body: { userName: 'x@umbrella.test', roles: [{ value: 'agent' }, { value: 'admin' }] } }, 400, 'invalidValue'],
      ['POST', '/Users', { body: { userName: 'x@umbrella.test', displayName: 'x'.repeat(201) } }, 400, 'invalidValue'],
      ['POST', '/Users', { raw: '{"userName": "x\\u0000@umbrella.test"}' }, 400, 'invalidSyntax'],
      ['POST', '/Users', { raw: '{"__proto__": {"admin": true}, "userName": "p@umbrella.test"}' }, 400, 'invalidSyntax'],
      ['PATCH', `/Users/${user}`, { body: { Operations: [] } }, 400, 'invalidSyntax'],
      ['PATCH', `/Users/${user}`, { body: patch({ op: 'move', path: 'userName', value: 'x' }) }, 400, 'invalidSyntax'],
      ['PATCH', `/Users/${user}`, { body: patch({ op: 'replace', path: 'favouriteColour', value: 'red' }) }, 400, 'invalidPath'],
      ['PATCH', `/Users/${user}`, { body: patch({ op: 'replace', path: 'emails[type eq "work"', value: 'x' }) }, 400, 'invalidPath'],
      ['PATCH', `/Users/${user}`, { body: patch({ op: 'replace', path: 'userName[type eq "work"]', value: 'x' }) }, 400, 'invalidPath'],
      ['PATCH', `/Users/${user}`, { body: patch({ op: 'remove' }) }, 400, 'noTarget'],
      ['PATCH', `/Users/${user}`, { body: patch({ op: 'replace', value: 'x' }) }, 400, 'invalidValue'],
      ['PATCH', `/Users/${user}`, { body: patch({ op: 'replace', path: 'active', value: 'Maybe' }) }, 400, 'invalidValue'],
      ['PATCH', `/Users/${user}`, { body: patch({ op: 'remove', path: 'userName' }) }, 400, 'invalidValue'],
      ['PATCH', `/Users/${user}`, { body: patch({ op: 'replace', path: 'emails[type eq "work"].value', value: 'nonsense' }) }, 400, 'invalidValue'],
      ['PUT', '/Users/not-a-uuid', { body: { userName: 'x@umbrella.test' } }, 404, undefined],
      ['POST', '/Groups', { body: { members: [] } }, 400, 'invalidValue'],
      ['POST', '/Groups', { body: { displayName: 'x'.repeat(81) } }, 400, 'invalidValue'],
      ['POST', '/Groups', { body: { displayName: 'Bad members', members: [{ value: 'not-an-id' }] } }, 400, 'invalidValue'],
      ['POST', '/Groups', { body: { displayName: 'Bad members', members: 'everyone' } }, 400, 'invalidValue'],
      ['GET', '/Bulk', {}, 404, undefined],
      ['POST', '/Bulk', { body: {} }, 404, undefined],
      ['GET', '/Me', {}, 404, undefined],
      ['GET', '/Schemas/urn:nothing', {}, 404, undefined],
    ];
    for (const [method, path, opts, status, scimType] of cases) {
      const r = await scim(method, path, opts);
      expect([method, path, JSON.stringify(opts).slice(0, 80), r.status, scimType ? r.body?.scimType : undefined]).toEqual([method, path, JSON.stringify(opts).slice(0, 80), status, scimType]);
    }
    expect(t.logs().filter((l) => l.includes('"level":"error"'))).toEqual([]);
  });

  it('describes itself: ServiceProviderConfig, ResourceTypes and Schemas', async () => {
    const spc = await scim('GET', '/ServiceProviderConfig');
    expect(spc.body).toMatchObject({ patch: { supported: true }, bulk: { supported: false }, filter: { supported: true, maxResults: 100 }, authenticationSchemes: [{ type: 'oauthbearertoken' }] });
    const types = await scim('GET', '/ResourceTypes');
    expect(types.body.Resources.map((r: { id: string; endpoint: string }) => [r.id, r.endpoint])).toEqual([['User', '/Users'], ['Group', '/Groups']]);
    expect((await scim('GET', '/ResourceTypes/User')).body.schema).toBe(USER);
    const schemas = await scim('GET', '/Schemas');
    expect(schemas.body.Resources.map((s: { id: string }) => s.id)).toEqual([USER, GROUP]);
    expect((await scim('GET', `/Schemas/${USER}`)).body.attributes.map((x: { name: string }) => x.name)).toContain('userName');
    expect((await scim('GET', '/ServiceProviderConfig', { token: null })).status).toBe(401);
  });
});

describe('F3 provisioning is audited, one event per change, the token as actor', () => {
  it('records creation, profile changes, role changes, suspension and group changes once each', async () => {
    const made = await scim('POST', '/Users', { body: { userName: 'audited@umbrella.test', externalId: 'aud-1', roles: [{ value: 'agent' }] } });
    const id = made.body.id as string;
    await scim('PATCH', `/Users/${id}`, { body: patch({ op: 'replace', value: { displayName: 'Audited Person' } }) });
    await scim('PATCH', `/Users/${id}`, { body: patch({ op: 'replace', path: 'roles', value: [{ value: 'light_agent' }] }) });
    await scim('PATCH', `/Users/${id}`, { body: patch({ op: 'replace', path: 'active', value: false }) });
    await scim('PATCH', `/Users/${id}`, { body: patch({ op: 'replace', path: 'active', value: false }) }); // no change: no event
    await scim('PATCH', `/Users/${id}`, { body: patch({ op: 'replace', path: 'active', value: true }) });
    const group = await scim('POST', '/Groups', { body: { displayName: 'Audited group', externalId: 'grp-1' } });
    await scim('PATCH', `/Groups/${group.body.id}`, { body: patch({ op: 'add', path: 'members', value: [{ value: id }] }) });
    await scim('PATCH', `/Groups/${group.body.id}`, { body: patch({ op: 'replace', path: 'externalId', value: 'grp-2' }) });
    await scim('DELETE', `/Groups/${group.body.id}`);

    const by = { actor_type: 'token', actor_id: tokenId };
    expect(await events(a.tenantId, 'scim.userProvisioned', id)).toEqual([expect.objectContaining({ ...by, details: { userName: 'audited@umbrella.test', externalId: 'aud-1', role: 'agent' } })]);
    expect(await events(a.tenantId, 'scim.userUpdated', id)).toEqual([expect.objectContaining({ ...by, changes: { name: { before: 'audited', after: 'Audited Person' } } })]);
    expect(await events(a.tenantId, 'identity.roleChanged', id)).toEqual([expect.objectContaining({ ...by, changes: { role: { before: 'agent', after: 'light_agent' } } })]);
    expect(await events(a.tenantId, 'identity.userSuspended', id)).toEqual([expect.objectContaining(by)]);
    expect(await events(a.tenantId, 'identity.userReactivated', id)).toEqual([expect.objectContaining(by)]);
    const g = group.body.id as string;
    expect(await events(a.tenantId, 'tickets.groupCreated', g)).toEqual([expect.objectContaining(by)]);
    expect(await events(a.tenantId, 'tickets.groupUpdated', g)).toEqual([expect.objectContaining({ ...by, changes: { members: { before: [], after: [id] } } })]);
    expect(await events(a.tenantId, 'scim.groupLinked', g)).toEqual([expect.objectContaining({ ...by, changes: { externalId: { before: 'grp-1', after: 'grp-2' } } })]);
    expect(await events(a.tenantId, 'tickets.groupDeleted', g)).toEqual([expect.objectContaining(by)]);
  });
});
