/**
 * Organizations (issue 20): CRUD, domains (checked, unique per tenant, shown on their field), new
 * requesters joining by their address's domain on every way an account is made here, who may read
 * and change them, and D2 for their ids (the schema-driven matrix covers them too).
 */
import { memoryMailSender, platformPlugin, withSystemContext } from '@bulwark/platform-api';
import { startTestServer, type GqlResult, type TestServer } from '@bulwark/platform-api/testing';
import { createPersonas, type TenantPersonas } from './testing';
import { createUser } from './identity.service';
import { organizationSummaries } from './organizations.service';
import { identityPlugin } from './index';

const mail = memoryMailSender();
let t: TestServer;
let a: TenantPersonas;
let b: TenantPersonas;

interface Org {
  id: string;
  name: string;
  domains: string[];
  createdAt: string;
  memberCount: number;
}
const FIELDS = 'id name domains createdAt memberCount';
const CREATE = `mutation($input: OrganizationInput!) { createOrganization(input: $input) { ${FIELDS} } }`;
const UPDATE = `mutation($id: ID!, $input: OrganizationInput!) { updateOrganization(id: $id, input: $input) { ${FIELDS} } }`;
const DELETE = `mutation($id: ID!) { deleteOrganization(id: $id) }`;
const ONE = `query($id: ID!) { organization(id: $id) { ${FIELDS} } }`;
const LIST = `query($search: String, $page: PageInput) { organizations(search: $search, page: $page) { totalCount nodes { ${FIELDS} } } }`;
const SET_ORG = `mutation($id: ID!, $org: ID) { updateUser(id: $id, input: { organizationId: $org }) { id organizationId } }`;

const code = (r: GqlResult<unknown>) => r.errors?.[0]?.extensions?.code;
const fields = (r: GqlResult<unknown>) => r.errors?.[0]?.extensions?.fields;
function ok<T>(r: GqlResult<T>): T {
  if (r.errors || !r.data) throw new Error(JSON.stringify(r.errors));
  return r.data;
}
const create = async (p: TenantPersonas, name: string, domains: string[]) => ok(await t.gql<{ createOrganization: Org }>(CREATE, { input: { name, domains } }, { token: p.admin.token })).createOrganization;
const orgOf = async (userId: string) => (await t.ownerSql<{ organization_id: string | null }>('select organization_id from users where id = $1', [userId]))[0].organization_id;
beforeAll(async () => {
  t = await startTestServer([platformPlugin, identityPlugin], {}, { mail });
  a = await createPersonas(t, 'acme');
  b = await createPersonas(t, 'globex');
});
afterAll(() => t?.close());

describe('organizations: create, read, change, delete', () => {
  it('creates one (domains lower-cased, each once), lists and searches them with member counts, changes and deletes it', async () => {
    const made = await create(a, '  Initrode  ', ['Initrode.COM', '@initrode.co.uk', 'initrode.com.']);
    expect(made).toMatchObject({ name: 'Initrode', domains: ['initrode.com', 'initrode.co.uk'], memberCount: 0 });
    await create(a, 'Umbrella', ['umbrella.example']);

    ok(await t.gql(SET_ORG, { id: a.requester.id, org: made.id }, { token: a.admin.token }));
    ok(await t.gql(SET_ORG, { id: a.requester2.id, org: made.id }, { token: a.admin.token }));
    const list = ok(await t.gql<{ organizations: { totalCount: number; nodes: Org[] } }>(LIST, {}, { token: a.agent.token })).organizations;
    expect(list.nodes.map((o) => [o.name, o.memberCount])).toEqual([
      ['Initrode', 2],
      ['Umbrella', 0],
    ]);
    expect(list.totalCount).toBe(2);
    // Search: words of the name, or an exact domain.
    const search = async (s: string) => ok(await t.gql<{ organizations: { nodes: Org[] } }>(LIST, { search: s }, { token: a.agent.token })).organizations.nodes.map((o) => o.name);
    expect(await search('rode')).toEqual(['Initrode']);
    expect(await search('UMBRELLA.example')).toEqual(['Umbrella']);
    expect(await search('100%')).toEqual([]);
    expect(ok(await t.gql<{ organization: Org }>(ONE, { id: made.id }, { token: a.agent.token })).organization).toMatchObject({ name: 'Initrode', memberCount: 2 });

    const changed = ok(await t.gql<{ updateOrganization: Org }>(UPDATE, { id: made.id, input: { name: 'Initrode Global', domains: ['initrode.com'] } }, { token: a.admin.token }));
    expect(changed.updateOrganization).toMatchObject({ name: 'Initrode Global', domains: ['initrode.com'], memberCount: 2 });

    // Deleting it keeps its people, in no organization (their tenant_id untouched).
    expect(ok(await t.gql(DELETE, { id: made.id }, { token: a.admin.token }))).toEqual({ deleteOrganization: true });
    expect(code(await t.gql(ONE, { id: made.id }, { token: a.agent.token }))).toBe('NOT_FOUND');
    const people = await t.ownerSql<{ tenant_id: string; organization_id: string | null; status: string }>('select tenant_id, organization_id, status from users where id = any($1)', [
      [a.requester.id, a.requester2.id],
    ]);
    expect(people).toEqual([
      { tenant_id: a.tenantId, organization_id: null, status: 'active' },
      { tenant_id: a.tenantId, organization_id: null, status: 'active' },
    ]);

    // The audit events of all this: libs/audit/api/src/audit.spec.ts (F3, one event per action).
  });

  it('counts members in one query for the whole page (no query per organization)', async () => {
    const p = await createPersonas(t, 'acme-count');
    for (let i = 0; i < 6; i++) await create(p, `Count ${i}`, [`count${i}.example`]);
    const few = await t.countStatements(() => t.gql(`{ organizations(page: { limit: 2 }) { nodes { id memberCount } } }`, {}, { token: p.agent.token }));
    const many = await t.countStatements(() => t.gql(`{ organizations(page: { limit: 6 }) { nodes { id memberCount } } }`, {}, { token: p.agent.token }));
    expect((many.result as GqlResult<{ organizations: { nodes: unknown[] } }>).data!.organizations.nodes).toHaveLength(6);
    expect(many.statements.length).toBe(few.statements.length);
  });
});

describe('organizations: names and domains', () => {
  it('refuses what is not a domain name, and public mail services, on the domains field', async () => {
    for (const bad of ['not a domain', 'localhost', 'exa_mple.com', '-bad.com', 'a..com', 'http://x.com', 'ex@mple.com', '']) {
      const r = await t.gql(CREATE, { input: { name: `Bad ${bad}`, domains: [bad] } }, { token: a.admin.token });
      expect({ bad, code: code(r), fields: fields(r) }).toEqual({ bad, code: 'BAD_USER_INPUT', fields: { domains: 'invalid' } });
    }
    const free = await t.gql(CREATE, { input: { name: 'Free mail', domains: ['Gmail.com'] } }, { token: a.admin.token });
    expect([code(free), fields(free)]).toEqual(['BAD_USER_INPUT', { domains: 'public mail service' }]);
    expect(code(await t.gql(CREATE, { input: { name: '', domains: [] } }, { token: a.admin.token }))).toBe('BAD_USER_INPUT');
    expect(code(await t.gql(CREATE, { input: { name: 'Too many', domains: Array.from({ length: 51 }, (_, i) => `d${i}.example`) } }, { token: a.admin.token }))).toBe('BAD_USER_INPUT');
  });

  it('keeps names and domains unique in a tenant (CONFLICT on the field), and not across tenants', async () => {
    const p = await createPersonas(t, 'acme-unique');
    const first = await create(p, 'Hooli', ['hooli.example']);
    const second = await create(p, 'Pied Piper', ['piedpiper.example']);
    const sameName = await t.gql(CREATE, { input: { name: 'HOOLI', domains: [] } }, { token: p.admin.token });
    expect([code(sameName), fields(sameName)]).toEqual(['CONFLICT', { name: 'taken' }]);
    const sameDomain = await t.gql(UPDATE, { id: second.id, input: { name: 'Pied Piper', domains: ['piedpiper.example', 'HOOLI.example'] } }, { token: p.admin.token });
    expect([code(sameDomain), fields(sameDomain)]).toEqual(['CONFLICT', { domains: 'taken' }]);
    expect(sameDomain.errors![0].message).toBe('hooli.example belongs to Hooli already');
    // Its own name and domains are no clash; another tenant may use the same ones.
    expect(ok(await t.gql<{ updateOrganization: Org }>(UPDATE, { id: first.id, input: { name: 'Hooli', domains: ['hooli.example', 'hooli.xyz'] } }, { token: p.admin.token })).updateOrganization.domains).toEqual([
      'hooli.example',
      'hooli.xyz',
    ]);
    expect((await create(b, 'Hooli', ['hooli.example'])).name).toBe('Hooli');
    // The database holds the shape too, whoever writes.
    await expect(t.ownerSql(`update organizations set domains = array['UPPER.example'] where id = $1`, [first.id])).rejects.toThrow(/check/);
  });
});

describe('organizations: a new requester joins the organization of their domain', () => {
  it('joins on every way a requester account is made here: admin invitation, createUser (mail, tickets), sign-up; staff and other domains do not', async () => {
    const p = await createPersonas(t, 'acme-join');
    const org = await create(p, 'Vandelay Industries', ['vandelay.example']);
    const INVITE = `mutation($input: InviteUserInput!) { inviteUser(input: $input) { id organizationId } }`;
    const invited = ok(await t.gql<{ inviteUser: { id: string; organizationId: string | null } }>(INVITE, { input: { email: 'Art@Vandelay.example', name: 'Art', role: 'requester' } }, { token: p.admin.token }));
    expect(invited.inviteUser.organizationId).toBe(org.id);
    const agent = ok(await t.gql<{ inviteUser: { id: string; organizationId: string | null } }>(INVITE, { input: { email: 'agent@vandelay.example', name: 'Agent', role: 'agent' } }, { token: p.admin.token }));
    expect(agent.inviteUser.organizationId).toBeNull();
    const other = ok(await t.gql<{ inviteUser: { organizationId: string | null } }>(INVITE, { input: { email: 'someone@sub.vandelay.example', name: 'Sub', role: 'requester' } }, { token: p.admin.token }));
    expect(other.inviteUser.organizationId).toBeNull(); // a subdomain is another domain

    // createUser: what inbound mail's new requester and tickets for a new requester go through.
    const byMail = await withSystemContext(t.server.orm, t.server.app, p.tenantId, 'test', async (ctx) => {
      const u = await createUser(ctx, { email: 'kramer@vandelay.example', name: 'Kramer', role: 'requester' });
      await ctx.em.flush();
      return u.id;
    });
    expect(await orgOf(byMail)).toBe(org.id);

    await t.ownerSql('update identity_settings set allow_requester_signup = true where tenant_id = $1', [p.tenantId]);
    const signUp = await t.gql(`mutation($input: SignUpInput!) { signUp(input: $input) }`, {
      input: { tenant: 'acme-join', email: 'george@vandelay.example', name: 'George', password: 'a fresh passphrase here' },
    });
    expect(signUp.data).toEqual({ signUp: true });
    const [george] = await t.ownerSql<{ organization_id: string | null }>(`select organization_id from users where tenant_id = $1 and email = 'george@vandelay.example'`, [p.tenantId]);
    expect(george.organization_id).toBe(org.id);

    // Only this tenant's organizations: B has none with that domain, so B's new requester joins nothing.
    const inB = ok(await t.gql<{ inviteUser: { organizationId: string | null } }>(INVITE, { input: { email: 'elaine@vandelay.example', name: 'Elaine', role: 'requester' } }, { token: b.admin.token }));
    expect(inB.inviteUser.organizationId).toBeNull();
    const members = ok(await t.gql<{ users: { nodes: { name: string }[] } }>(`query($o: ID) { users(filter: { organizationId: $o }) { nodes { name } } }`, { o: org.id }, { token: p.agent.token }));
    expect(members.users.nodes.map((n) => n.name)).toEqual(['Art', 'George', 'Kramer']);
  });
});

describe('organizations: who may read and change them', () => {
  it('lets staff read, only admins change, and refuses requesters', async () => {
    const org = await create(a, 'Staff only', ['staffonly.example']);
    for (const who of [a.agent, a.lightAgent, a.auditor, a.admin, a.owner]) expect(code(await t.gql(ONE, { id: org.id }, { token: who.token }))).toBeUndefined();
    for (const who of [a.agent, a.lightAgent, a.auditor, a.requester]) {
      expect(code(await t.gql(CREATE, { input: { name: `By ${who.role}`, domains: [] } }, { token: who.token }))).toBe('FORBIDDEN');
      expect(code(await t.gql(UPDATE, { id: org.id, input: { name: 'Renamed', domains: [] } }, { token: who.token }))).toBe('FORBIDDEN');
      expect(code(await t.gql(DELETE, { id: org.id }, { token: who.token }))).toBe('FORBIDDEN');
      expect(code(await t.gql(SET_ORG, { id: a.requester.id, org: org.id }, { token: who.token }))).toBe('FORBIDDEN');
    }
    expect(code(await t.gql(LIST, {}, { token: a.requester.token }))).toBe('FORBIDDEN');
    expect(code(await t.gql(ONE, { id: org.id }, { token: a.requester.token }))).toBe('FORBIDDEN');
    expect(code(await t.gql(LIST, {}))).toBe('UNAUTHENTICATED');
    expect(ok(await t.gql<{ organization: Org }>(ONE, { id: org.id }, { token: a.agent.token })).organization.name).toBe('Staff only');
  });

  it('lets an admin move a person into an organization and out again', async () => {
    const org = await create(a, 'Movers', ['movers.example']);
    expect(ok(await t.gql(SET_ORG, { id: a.requester.id, org: org.id }, { token: a.admin.token }))).toEqual({ updateUser: { id: a.requester.id, organizationId: org.id } });
    const listed = ok(await t.gql<{ users: { nodes: { id: string; organizationId: string | null }[] } }>(`{ users(page: { limit: 100 }) { nodes { id organizationId } } }`, {}, { token: a.agent.token }));
    expect(listed.users.nodes.find((n) => n.id === a.requester.id)?.organizationId).toBe(org.id);
    expect(ok(await t.gql(SET_ORG, { id: a.requester.id, org: null }, { token: a.admin.token }))).toEqual({ updateUser: { id: a.requester.id, organizationId: null } });
    // Leaving the field out leaves the organization as it is.
    ok(await t.gql(SET_ORG, { id: a.requester.id, org: org.id }, { token: a.admin.token }));
    ok(await t.gql(`mutation($id: ID!) { updateUser(id: $id, input: {}) { id } }`, { id: a.requester.id }, { token: a.admin.token }));
    expect(await orgOf(a.requester.id)).toBe(org.id);
  });
});

describe('organizationSummaries: the loader tickets read organizations through', () => {
  it("answers a page of ids with one query, and nothing of another tenant's", async () => {
    const mine = await create(a, 'Loader A', ['loader-a.example']);
    const theirs = await create(b, 'Loader B', ['loader-b.example']);
    const { result, statements } = await t.countStatements(() =>
      withSystemContext(t.server.orm, t.server.app, a.tenantId, 'test', async (ctx) => {
        const orgs = organizationSummaries(ctx);
        return Promise.all([orgs.load(mine.id), orgs.load(theirs.id), orgs.load('00000000-0000-4000-8000-000000000000'), orgs.load('not an id'), orgs.load(mine.id)]);
      }),
    );
    const row = { id: mine.id, name: 'Loader A', domains: ['loader-a.example'], createdAt: expect.any(Date) };
    expect(result).toEqual([row, null, null, null, row]);
    expect(statements.filter((s) => /from "organizations"/.test(s))).toHaveLength(1);
  });
});

describe('D2 organizations across tenants', () => {
  it("answers B's organization id exactly as a missing one, and cannot put A's person in it", async () => {
    const theirs = await create(b, 'Their org', ['theirs.example']);
    const missing = '00000000-0000-4000-8000-000000000000';
    for (const [q, vars] of [
      [ONE, {}],
      [UPDATE, { input: { name: 'Hijacked', domains: ['hijack.example'] } }],
      [DELETE, {}],
    ] as const) {
      const cross = await t.gql(q, { ...vars, id: theirs.id }, { token: a.admin.token });
      const none = await t.gql(q, { ...vars, id: missing }, { token: a.admin.token });
      expect([code(cross), cross.errors?.[0]?.message]).toEqual([code(none), none.errors?.[0]?.message]);
      expect(code(cross)).toBe('NOT_FOUND');
    }
    const before = await orgOf(a.requester2.id);
    const cross = await t.gql(SET_ORG, { id: a.requester2.id, org: theirs.id }, { token: a.admin.token });
    expect(code(cross)).toBe('NOT_FOUND');
    expect(await orgOf(a.requester2.id)).toBe(before);
    // Nor B's person into A's organization, and B's organization is as it was.
    const mine = await create(a, 'Mine', ['mine.example']);
    expect(code(await t.gql(SET_ORG, { id: b.requester.id, org: mine.id }, { token: a.admin.token }))).toBe('NOT_FOUND');
    expect(await orgOf(b.requester.id)).toBeNull();
    expect(ok(await t.gql<{ organization: Org }>(ONE, { id: theirs.id }, { token: b.agent.token })).organization).toMatchObject({ name: 'Their org', domains: ['theirs.example'] });
    // A's list never shows B's.
    const names = ok(await t.gql<{ organizations: { nodes: Org[] } }>(LIST, { page: { limit: 100 } }, { token: a.admin.token })).organizations.nodes.map((o) => o.name);
    expect(names).not.toContain('Their org');
    const byIds = ok(await t.gql<{ organizations: { nodes: Org[] } }>(`query($ids: [ID!]) { organizations(ids: $ids) { nodes { id } } }`, { ids: [theirs.id, mine.id] }, { token: a.agent.token }));
    expect(byIds.organizations.nodes.map((o) => o.id)).toEqual([mine.id]);
    // And the database refuses a person pointing at another tenant's organization, whoever writes.
    await expect(t.ownerSql('update users set organization_id = $1 where id = $2', [theirs.id, a.requester2.id])).rejects.toThrow(/foreign key/);
  });
});
