/**
 * IP allowlists (SECURITY.md D10), lockdown (D11), custom roles and B8 on these settings. The
 * server trusts one proxy hop here, so `X-Forwarded-For` sets the client address like a real
 * load balancer would; one check runs without trust to show spoofing does not work.
 */
import { platformPlugin } from '@bulwark/platform-api';
import { startTestServer, type TestServer } from '@bulwark/platform-api/testing';
import { identityPlugin } from '@bulwark/identity-api';
import { createPersonas, mintSession, PERSONA_PASSWORD, type Persona, type TenantPersonas } from '@bulwark/identity-api/testing';
import { ticketsPlugin } from '@bulwark/tickets-api';
import { accessPlugin } from './index';

const plugins = [platformPlugin, identityPlugin, accessPlugin, ticketsPlugin];
let t: TestServer;
let a: TenantPersonas;
let b: TenantPersonas;

const code = (r: { errors?: { extensions?: { code?: string } }[] }) => r.errors?.[0]?.extensions?.code;
const from = (ip: string) => ({ 'x-forwarded-for': ip });
const OFFICE = '203.0.113.0/24';
const LIST = `{ tickets { totalCount } }`;
const CREATE = `mutation { createTicket(input: { subject: "s", body: "b" }) { id } }`;
const ALLOW = `mutation($input: IpAllowlistInput!) { setIpAllowlist(input: $input) { ipMode ipRules { cidr } yourAddress } }`;
const LOCK = `mutation($on: Boolean!) { setLockdown(on: $on) { lockdown } }`;

/** B8: a fresh re-authentication, from the given address; returns the rotated token. */
async function sudo(p: Persona, ip: string): Promise<string> {
  const r = await t.gql<{ reauthenticate: { token: string } }>(`mutation($p: String!) { reauthenticate(password: $p) { token } }`, { p: PERSONA_PASSWORD }, { token: p.token, headers: from(ip) });
  if (!r.data) throw new Error(JSON.stringify(r.errors));
  p.token = r.data.reauthenticate.token;
  return p.token;
}
const waitForCaches = () => new Promise((r) => setTimeout(r, 1100)); // other processes' view: 1 s

beforeAll(async () => {
  t = await startTestServer(plugins, { BULWARK_TRUST_PROXY_HOPS: '1' });
  a = await createPersonas(t, 'oscorp');
  b = await createPersonas(t, 'lexcorp');
});
afterAll(() => t?.close());

describe('D10 IP allowlists', () => {
  afterEach(async () => {
    await t.ownerSql(`update access_settings set ip_mode = 'off'`);
    await t.ownerSql(`delete from ip_rules`);
    await waitForCaches();
  });

  it('needs a recent re-authentication (B8) and refuses a list that would lock out its author', async () => {
    expect(code(await t.gql(ALLOW, { input: { mode: 'enforce', rules: [{ cidr: OFFICE }] } }, { token: a.admin.token, headers: from('203.0.113.5') }))).toBe('REAUTH_REQUIRED');
    const token = await sudo(a.admin, '198.51.100.7');
    const lockout = await t.gql(ALLOW, { input: { mode: 'enforce', rules: [{ cidr: OFFICE }] } }, { token, headers: from('198.51.100.7') });
    expect(code(lockout)).toBe('BAD_USER_INPUT');
    expect(lockout.errors?.[0].message).toMatch(/lock you out: your address 198\.51\.100\.7/);
    const bad = await t.gql(ALLOW, { input: { mode: 'enforce', rules: [{ cidr: '10.0.0.0/33' }, { cidr: 'nonsense' }] } }, { token, headers: from('198.51.100.7') });
    expect(bad.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: { 'rules.0.cidr': expect.any(String), 'rules.1.cidr': expect.any(String) } });
  });

  it('lets staff in only from listed networks (v4, v6, IPv4-mapped), requesters too when asked', async () => {
    const token = await sudo(a.admin, '203.0.113.5');
    const set = await t.gql<{ setIpAllowlist: { ipMode: string; ipRules: { cidr: string }[]; yourAddress: string } }>(
      ALLOW,
      { input: { mode: 'enforce', rules: [{ cidr: '203.0.113.77/24', label: 'office' }, { cidr: '2001:db8::/32', label: 'vpn' }] } },
      { token, headers: from('203.0.113.5') },
    );
    expect(set.data!.setIpAllowlist).toEqual({ ipMode: 'enforce', ipRules: [{ cidr: OFFICE }, { cidr: '2001:db8::/32' }], yourAddress: '203.0.113.5' });
    const as = (p: Persona, ip: string) => t.gql(LIST, {}, { token: p.token, headers: from(ip) });
    expect(code(await as(a.agent, '198.51.100.7'))).toBe('FORBIDDEN');
    expect((await as(a.agent, '203.0.113.200')).data).toBeTruthy();
    expect((await as(a.agent, '::ffff:203.0.113.9')).data).toBeTruthy(); // IPv4-mapped IPv6
    expect((await as(a.agent, '2001:db8:1::5')).data).toBeTruthy();
    expect(code(await as(a.agent, '2001:db9::5'))).toBe('FORBIDDEN');
    expect((await as(a.requester, '198.51.100.7')).data).toBeTruthy(); // requesters are not covered...
    expect((await as(b.agent, '198.51.100.7')).data).toBeTruthy(); // ...nor is another tenant
    await t.gql(ALLOW, { input: { mode: 'enforce', includesRequesters: true, rules: [{ cidr: OFFICE }] } }, { token, headers: from('203.0.113.5') });
    expect(code(await as(a.requester, '198.51.100.7'))).toBe('FORBIDDEN'); // ...until the tenant says so
  });

  it('holds API tokens to the allowlist as well', async () => {
    const token = await sudo(a.admin, '203.0.113.5');
    const made = await t.gql<{ createApiToken: { token: string } }>(
      `mutation($i: ApiTokenInput!) { createApiToken(input: $i) { token } }`,
      { i: { name: 'Partner sync', permissions: ['TICKETS_READ', 'TICKETS_VIEW_ALL'] } },
      { token, headers: from('203.0.113.5') },
    );
    const apiToken = made.data!.createApiToken.token;
    await t.gql(ALLOW, { input: { mode: 'enforce', rules: [{ cidr: OFFICE }] } }, { token, headers: from('203.0.113.5') });
    expect(code(await t.gql(LIST, {}, { token: apiToken, headers: from('198.51.100.7') }))).toBe('FORBIDDEN');
    expect((await t.gql(LIST, {}, { token: apiToken, headers: from('203.0.113.9') })).data).toBeTruthy();
  });

  it('in report mode lets the request through and logs what it would block', async () => {
    const token = await sudo(a.admin, '203.0.113.5');
    await t.gql(ALLOW, { input: { mode: 'report', rules: [{ cidr: OFFICE }] } }, { token, headers: from('203.0.113.5') });
    expect((await t.gql(LIST, {}, { token: a.agent.token, headers: from('198.51.100.99') })).data).toBeTruthy();
    expect(t.logs().some((l) => l.includes('report only') && l.includes('198.51.100.99'))).toBe(true);
  });

  it('does not trust X-Forwarded-For from an untrusted peer', async () => {
    const direct = await startTestServer(plugins); // 0 trusted hops: the TCP peer is the client
    try {
      const p = await createPersonas(direct, 'oscorp-direct');
      const [{ id: tenantId }] = await direct.ownerSql<{ id: string }>(`select id from tenants where slug = 'oscorp-direct'`);
      await direct.ownerSql(`insert into access_settings (id, tenant_id, ip_mode) values (gen_random_uuid(), $1, 'enforce')`, [tenantId]);
      await direct.ownerSql(`insert into ip_rules (id, tenant_id, cidr, created_at) values (gen_random_uuid(), $1, $2, now())`, [tenantId, OFFICE]);
      const spoofed = await direct.gql(LIST, {}, { token: p.agent.token, headers: from('203.0.113.5') });
      expect(code(spoofed)).toBe('FORBIDDEN');
    } finally {
      await direct.close();
    }
  });
});

describe('D11 lockdown', () => {
  it('refuses mutations with LOCKDOWN, keeps reads, and lets admins on allowlisted networks act', async () => {
    const token = await sudo(a.admin, '203.0.113.5');
    await t.gql(ALLOW, { input: { mode: 'report', rules: [{ cidr: OFFICE }] } }, { token, headers: from('203.0.113.5') });
    expect((await t.gql(LOCK, { on: true }, { token, headers: from('203.0.113.5') })).data).toEqual({ setLockdown: { lockdown: true } });
    expect(code(await t.gql(CREATE, {}, { token: a.agent.token, headers: from('203.0.113.5') }))).toBe('LOCKDOWN');
    expect((await t.gql(LIST, {}, { token: a.agent.token, headers: from('203.0.113.5') })).data).toBeTruthy();
    expect(code(await t.gql(CREATE, {}, { token, headers: from('198.51.100.7') }))).toBe('LOCKDOWN'); // admin, wrong network
    expect((await t.gql(CREATE, {}, { token, headers: from('203.0.113.5') })).data).toBeTruthy(); // admin, allowlisted
    expect((await t.gql(CREATE, {}, { token: b.agent.token })).data).toBeTruthy(); // another tenant is not in lockdown
    // signing in still works, and an admin can lift it from anywhere they can reach
    const login = await t.gql(`mutation($i: LoginInput!) { login(input: $i) { token } }`, { i: { tenant: 'oscorp', email: 'agent@oscorp.test', password: PERSONA_PASSWORD } });
    expect(login.data).toBeTruthy();
    expect((await t.gql(LOCK, { on: false }, { token, headers: from('198.51.100.7') })).data).toEqual({ setLockdown: { lockdown: false } });
    expect((await t.gql(CREATE, {}, { token: a.agent.token })).data).toBeTruthy();
  });

  it('lets no API token through, whatever its scope', async () => {
    const token = await sudo(a.admin, '203.0.113.5');
    const made = await t.gql<{ createApiToken: { token: string } }>(`mutation { createApiToken(input: { name: "net", permissions: [NETWORK_MANAGE, TICKETS_CREATE] }) { token } }`, {}, { token, headers: from('203.0.113.5') });
    const apiToken = made.data!.createApiToken.token;
    await t.gql(ALLOW, { input: { mode: 'enforce', rules: [{ cidr: OFFICE }] } }, { token, headers: from('203.0.113.5') });
    await t.gql(LOCK, { on: true }, { token, headers: from('203.0.113.5') });
    try {
      expect(code(await t.gql(CREATE, {}, { token: apiToken, headers: from('203.0.113.9') }))).toBe('LOCKDOWN');
    } finally {
      await t.gql(LOCK, { on: false }, { token, headers: from('203.0.113.5') });
      await t.ownerSql(`update access_settings set ip_mode = 'off'`);
      await t.ownerSql(`delete from ip_rules`);
      await waitForCaches();
    }
  });

  it('can be switched on for the whole platform by operators', async () => {
    await t.ownerSql(`insert into platform_settings (key, value) values ('lockdown', 'true') on conflict (key) do update set value = 'true'`);
    await waitForCaches();
    try {
      expect(code(await t.gql(CREATE, {}, { token: b.agent.token }))).toBe('LOCKDOWN');
      expect((await t.gql(LIST, {}, { token: b.agent.token })).data).toBeTruthy();
      const s = await t.gql<{ accessSettings: { platformLockdown: boolean } }>(`{ accessSettings { platformLockdown } }`, {}, { token: b.admin.token });
      expect(s.data!.accessSettings.platformLockdown).toBe(true);
    } finally {
      await t.ownerSql(`update platform_settings set value = 'false' where key = 'lockdown'`);
      await waitForCaches();
    }
    expect((await t.gql(CREATE, {}, { token: b.agent.token })).data).toBeTruthy();
  });
});

describe('custom roles', () => {
  const CREATE_ROLE = `mutation($input: RoleInput!) { createRole(input: $input) { key name builtIn permissions } }`;

  it('lists the built-in roles as fixed, and creates custom ones from permissions one holds', async () => {
    const c = await createPersonas(t, 'oscorp-roles'); // a fresh admin: no recent re-authentication yet
    const roles = await t.gql<{ roles: { key: string; builtIn: boolean; permissions: string[] }[] }>(`{ roles { key builtIn permissions } }`, {}, { token: c.admin.token });
    expect(roles.data!.roles.filter((r) => r.builtIn).map((r) => r.key)).toEqual(['owner', 'admin', 'agent', 'light_agent', 'auditor', 'requester']);
    expect(code(await t.gql(CREATE_ROLE, { input: { name: 'Triage', permissions: ['TICKETS_READ'] } }, { token: c.admin.token }))).toBe('REAUTH_REQUIRED');
    const token = await sudo(c.admin, '127.0.0.1');
    const made = await t.gql<{ createRole: { key: string; permissions: string[] } }>(CREATE_ROLE, { input: { name: 'Triage', permissions: ['TICKETS_READ', 'TICKETS_VIEW_ALL', 'TICKETS_UPDATE'] } }, { token });
    expect(made.data!.createRole.key).toMatch(/^role:[0-9a-f-]{36}$/);
    expect(made.data!.createRole.permissions).toEqual(['TICKETS_READ', 'TICKETS_VIEW_ALL', 'TICKETS_UPDATE']);
    expect(code(await t.gql(CREATE_ROLE, { input: { name: 'Triage', permissions: [] } }, { token }))).toBe('CONFLICT');
    expect(code(await t.gql(CREATE_ROLE, { input: { name: 'x', permissions: ['TICKETS_READ'] } }, { token: c.agent.token }))).toBe('FORBIDDEN');
    // built-in roles cannot be edited; another tenant's role does not exist here
    const upd = `mutation($key: ID!, $input: RoleInput!) { updateRole(key: $key, input: $input) { name } }`;
    expect(code(await t.gql(upd, { key: 'agent', input: { name: 'Agent', permissions: [] } }, { token }))).toBe('BAD_USER_INPUT');
    const bToken = await sudo(b.admin, '127.0.0.1');
    expect(code(await t.gql(upd, { key: made.data!.createRole.key, input: { name: 'Mine', permissions: [] } }, { token: bToken }))).toBe('NOT_FOUND');
  });

  it('gives the "group" ticket scope: own tickets and those of one\'s groups, nothing else', async () => {
    const c = await createPersonas(t, 'oscorp-groups');
    const token = await sudo(c.admin, '127.0.0.1');
    const made = await t.gql<{ createRole: { key: string; ticketScope: string } }>(
      `mutation($input: RoleInput!) { createRole(input: $input) { key ticketScope } }`,
      { input: { name: 'Tier 2', permissions: ['TICKETS_READ', 'TICKETS_VIEW_GROUP', 'TICKETS_UPDATE', 'TICKETS_COMMENT'] } },
      { token },
    );
    expect(made.data!.createRole.ticketScope).toBe('group');
    await t.gql(`mutation($i: ChangeRoleInput!) { changeUserRole(input: $i) { role } }`, { i: { id: c.lightAgent.id, role: made.data!.createRole.key } }, { token });
    const tier2 = await mintSession(t, c.tenantId, c.lightAgent.id);
    const group = (gid: string[]) => t.gql<{ createTicketGroup: { id: string } }>(`mutation($i: TicketGroupInput!) { createTicketGroup(input: $i) { id } }`, { i: { name: `G ${gid.length}`, memberIds: gid } }, { token });
    const mine = (await group([c.lightAgent.id])).data!.createTicketGroup.id;
    const other = (await group([])).data!.createTicketGroup.id;
    const make = async (subject: string, groupId?: string) =>
      (await t.gql<{ createTicket: { id: string } }>(`mutation($i: CreateTicketInput!) { createTicket(input: $i) { id } }`, { i: { subject, body: 'x', requesterId: c.requester.id, ...(groupId ? { groupId } : {}) } }, { token: c.agent.token })).data!.createTicket.id;
    const inMine = await make('in my group', mine);
    const inOther = await make('in another group', other);
    const loose = await make('in no group');
    const list = await t.gql<{ tickets: { nodes: { id: string }[]; totalCount: number } }>(`{ tickets { totalCount nodes { id } } }`, {}, { token: tier2 });
    expect(list.data!.tickets.nodes.map((n) => n.id)).toEqual([inMine]);
    expect(list.data!.tickets.totalCount).toBe(1);
    const one = (id: string) => t.gql(`query($id: ID!) { ticket(id: $id) { id } }`, { id }, { token: tier2 });
    expect((await one(inMine)).data).toEqual({ ticket: { id: inMine } });
    for (const id of [inOther, loose]) expect(code(await one(id))).toBe('NOT_FOUND');
    expect(code(await t.gql(`mutation($id: ID!) { updateTicket(id: $id, input: { subject: "x" }) { id } }`, { id: inOther }, { token: tier2 }))).toBe('NOT_FOUND');
    expect((await t.gql(`mutation($id: ID!) { updateTicket(id: $id, input: { subject: "triaged" }) { id } }`, { id: inMine }, { token: tier2 })).data).toBeTruthy();
    // Built-in scopes, named: agents all, requesters own.
    const roles = await t.gql<{ roles: { key: string; ticketScope: string }[] }>(`{ roles { key ticketScope } }`, {}, { token });
    expect(Object.fromEntries(roles.data!.roles.filter((r) => ['agent', 'requester'].includes(r.key)).map((r) => [r.key, r.ticketScope]))).toEqual({ agent: 'all', requester: 'own' });
  });

  it('lets nobody hand an API token a permission they lack', async () => {
    const c = await createPersonas(t, 'oscorp-tokens');
    const token = await sudo(c.admin, '127.0.0.1');
    const key = (await t.gql<{ createRole: { key: string } }>(CREATE_ROLE, { input: { name: 'Token keeper', permissions: ['TOKENS_MANAGE', 'TICKETS_READ'] } }, { token })).data!.createRole.key;
    await t.gql(`mutation($i: ChangeRoleInput!) { changeUserRole(input: $i) { role } }`, { i: { id: c.agent.id, role: key } }, { token });
    const keeper = { ...c.agent, token: await mintSession(t, c.tenantId, c.agent.id) };
    await sudo(keeper, '127.0.0.1');
    const CREATE_TOKEN = `mutation($i: ApiTokenInput!) { createApiToken(input: $i) { token } }`;
    expect(code(await t.gql(CREATE_TOKEN, { i: { name: 'too much', permissions: ['TICKETS_READ', 'USERS_MANAGE'] } }, { token: keeper.token }))).toBe('FORBIDDEN');
    expect((await t.gql(CREATE_TOKEN, { i: { name: 'enough', permissions: ['TICKETS_READ'] } }, { token: keeper.token })).data).toBeTruthy();
  });

  it('can be required to use two-factor sign-in, like a built-in role (another tenant\'s role cannot)', async () => {
    const c = await createPersonas(t, 'oscorp-2fa');
    const token = await sudo(c.admin, '127.0.0.1');
    const made = await t.gql<{ createRole: { key: string } }>(CREATE_ROLE, { input: { name: 'Field staff', permissions: ['TICKETS_READ'] } }, { token });
    const key = made.data!.createRole.key;
    const SET = `mutation($input: IdentitySettingsInput!) { updateIdentitySettings(input: $input) { twoFactorRequiredRoles } }`;
    const theirs = (await t.gql<{ createRole: { key: string } }>(CREATE_ROLE, { input: { name: 'Theirs', permissions: [] } }, { token: await sudo(b.admin, '127.0.0.1') })).data!.createRole.key;
    expect(code(await t.gql(SET, { input: { twoFactorRequiredRoles: [theirs] } }, { token }))).toBe('BAD_USER_INPUT');
    expect(code(await t.gql(SET, { input: { twoFactorRequiredRoles: ['role:not-a-uuid'] } }, { token }))).toBe('BAD_USER_INPUT');
    expect((await t.gql(SET, { input: { twoFactorRequiredRoles: ['requester', key] } }, { token })).data).toEqual({ updateIdentitySettings: { twoFactorRequiredRoles: ['requester', key] } });
    // A member of the custom role holds no permission until they enrol.
    const given = await t.gql(`mutation($i: ChangeRoleInput!) { changeUserRole(input: $i) { role } }`, { i: { id: c.agent.id, role: key } }, { token });
    expect(given.errors).toBeUndefined();
    const agent = await mintSession(t, c.tenantId, c.agent.id);
    const me = await t.gql<{ me: { twoFactorEnrolmentRequired: boolean; permissions: string[] } }>(`{ me { twoFactorEnrolmentRequired permissions } }`, {}, { token: agent });
    expect(me.data!.me).toEqual({ twoFactorEnrolmentRequired: true, permissions: [] });
    expect(code(await t.gql(LIST, {}, { token: agent }))).toBe('FORBIDDEN');
  });
});
