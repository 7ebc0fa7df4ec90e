/**
 * JWT SSO as Zendesk has it (SECURITY.md C2): the workspace's own sign-in page sends the browser
 * with an HS256 JWT signed with the shared secret. Refusals: another algorithm, another secret,
 * an old `iat`, a replayed `jti`, a token without a subject, another workspace's URL.
 */
import { platformPlugin } from '@bulwark/platform-api';
import { accessPlugin } from '@bulwark/access-api';
import { auditPlugin } from '@bulwark/audit-api';
import { identityPlugin } from '@bulwark/identity-api';
import { ticketsPlugin } from '@bulwark/tickets-api';
import { backupsPlugin } from '@bulwark/backups-api';
import { ssoPlugin } from './index';
import { startTestServer, type TestServer } from '@bulwark/platform-api/testing';
import { createPersonas, PERSONA_PASSWORD, type Persona, type TenantPersonas } from '@bulwark/identity-api/testing';
import { SignJWT } from 'jose';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';

/** The server as shipped, for what SSO touches: people, groups, the allowlist, the audit log (and backups: an owner-only permission). */
const plugins = [platformPlugin, identityPlugin, accessPlugin, ticketsPlugin, ssoPlugin, auditPlugin, backupsPlugin];
let t: TestServer;
let a: TenantPersonas;
let b: TenantPersonas;
let jwtUrl: string;
const SECRET = 'the shared secret of acme, at least 32 characters long';

async function sudo(p: Persona): Promise<string> {
  const r = await t.gql<{ reauthenticate: { token: string } }>(`mutation($p: String!) { reauthenticate(password: $p) { token } }`, { p: PERSONA_PASSWORD }, { token: p.token });
  p.token = r.data!.reauthenticate.token;
  return p.token;
}

const sign = (claims: Record<string, unknown>, opts: { secret?: string; alg?: string; iat?: number } = {}) =>
  new SignJWT({ email: 'jay@acme-corp.example', name: 'Jay', external_id: 'crm-42', jti: randomUUID(), ...claims })
    .setProtectedHeader({ alg: opts.alg ?? 'HS256' })
    .setIssuedAt(opts.iat ?? Math.floor(t.clock.now().getTime() / 1000))
    .sign(new TextEncoder().encode(opts.secret ?? SECRET));

const send = (token: string, url = jwtUrl) => fetch(`${url}?jwt=${encodeURIComponent(token)}`, { redirect: 'manual' });
const landed = (res: Response) => res.status === 303 && /\/#\/$/.test(res.headers.get('location') ?? '') && /bulwark_session=bws_/.test(res.headers.get('set-cookie') ?? '');
const refused = (res: Response) => res.status === 303 && /sso=failed$/.test(res.headers.get('location') ?? '') && !/bulwark_session=bws_/.test(res.headers.get('set-cookie') ?? '');
const reasons = async () =>
  (await t.ownerSql<{ details: { reason: string } }>(`select details from audit_events where tenant_id = $1 and action = 'sso.signInFailed' order by seq`, [a.tenantId])).map((e) => e.details.reason);

beforeAll(async () => {
  t = await startTestServer(plugins);
  a = await createPersonas(t, 'acme');
  b = await createPersonas(t, 'initech');
  await sudo(a.admin);
  const r = await t.gql<{ createSsoConnection: { id: string; endpoints: { label: string; url: string }[] } }>(
    `mutation($input: SsoConnectionInput!) { createSsoConnection(input: $input) { id endpoints { label url } } }`,
    { input: { name: 'Our intranet', kind: 'jwt', enabled: true, defaultRole: 'requester', jwt: { remoteLoginUrl: 'https://intranet.acme-corp.example/sso', sharedSecret: SECRET } } },
    { token: a.admin.token },
  );
  if (!r.data) throw new Error(JSON.stringify(r.errors));
  jwtUrl = r.data.createSsoConnection.endpoints.find((e) => /JWT endpoint/.test(e.label))!.url;
});
afterAll(() => t?.close());

describe('C2 JWT SSO', () => {
  it('C2 signs in with an HS256 JWT of the shared secret, keyed by external_id', async () => {
    const res = await send(await sign({}));
    expect(landed(res)).toBe(true);
    expect(await t.ownerSql(`select subject, email from sso_identities where tenant_id = $1`, [a.tenantId])).toEqual([{ subject: 'crm-42', email: 'jay@acme-corp.example' }]);
    // POST works too (a form on the workspace's page), with return_to kept inside the console.
    const form = await fetch(jwtUrl, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ jwt: await sign({}), return_to: '/tickets' }) });
    expect(form.headers.get('location')).toMatch(/\/#\/tickets$/);
    const evil = await fetch(jwtUrl, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ jwt: await sign({}), return_to: '//evil.example' }) });
    expect(evil.headers.get('location')).toMatch(/\/#\/$/);
  });

  it("puts a requester it creates in the organization of their email's domain (issue 20)", async () => {
    const org = await t.gql<{ createOrganization: { id: string } }>(`mutation { createOrganization(input: { name: "Acme Widgets", domains: ["widgets.example"] }) { id } }`, {}, { token: a.admin.token });
    expect(landed(await send(await sign({ email: 'wile@widgets.example', external_id: 'crm-org-1' })))).toBe(true);
    const [row] = await t.ownerSql<{ organization_id: string | null; role: string }>(`select organization_id, role from users where tenant_id = $1 and email = 'wile@widgets.example'`, [a.tenantId]);
    expect(row).toEqual({ organization_id: org.data!.createOrganization.id, role: 'requester' });
  });

  it('C2 refuses a replayed jti', async () => {
    const token = await sign({ jti: 'once-only' });
    expect(landed(await send(token))).toBe(true);
    expect(refused(await send(token))).toBe(true);
    expect((await reasons()).at(-1)).toMatch(/jti was used before/);
  });

  it('C2 refuses an iat outside the window (older than 3 minutes, or from the future)', async () => {
    const now = Math.floor(t.clock.now().getTime() / 1000);
    expect(refused(await send(await sign({}, { iat: now - 200 })))).toBe(true);
    expect(landed(await send(await sign({}, { iat: now - 150 })))).toBe(true);
    expect(refused(await send(await sign({}, { iat: now + 600 })))).toBe(true);
  });

  it('C2 refuses another secret, another algorithm, and alg none', async () => {
    expect(refused(await send(await sign({}, { secret: 'some other secret that is also long enough' })))).toBe(true);
    expect(refused(await send(await sign({}, { alg: 'HS512' })))).toBe(true);
    const payload = Buffer.from(JSON.stringify({ email: 'jay@acme-corp.example', external_id: 'crm-42', jti: randomUUID(), iat: Math.floor(Date.now() / 1000) })).toString('base64url');
    expect(refused(await send(`${Buffer.from('{"alg":"none"}').toString('base64url')}.${payload}.`))).toBe(true);
    expect((await reasons()).slice(-3).every((r) => /JWT refused/.test(r))).toBe(true);
  });

  it('C4 refuses a JWT that names the person by email alone', async () => {
    const token = await new SignJWT({ email: 'jay@acme-corp.example', jti: randomUUID() }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt(Math.floor(t.clock.now().getTime() / 1000)).sign(new TextEncoder().encode(SECRET));
    expect(refused(await send(token))).toBe(true);
    expect((await reasons()).at(-1)).toMatch(/neither external_id nor sub/);
  });

  it('D2 the connection works only under its own workspace', async () => {
    const before = await t.ownerSql(`select count(*)::int as n from users where tenant_id = $1`, [b.tenantId]);
    expect(refused(await send(await sign({}), jwtUrl.replace('/acme/', '/initech/')))).toBe(true);
    expect(await t.ownerSql(`select count(*)::int as n from users where tenant_id = $1`, [b.tenantId])).toEqual(before);
  });

  it('keeps the shared secret sealed and refuses settings of another kind (D14)', async () => {
    const [row] = await t.ownerSql<{ secret_sealed: string }>(`select secret_sealed from sso_connections where tenant_id = $1`, [a.tenantId]);
    expect(row.secret_sealed).not.toContain('shared secret');
    await sudo(a.admin);
    const r = await t.gql(`mutation($input: SsoConnectionInput!) { createSsoConnection(input: $input) { id } }`, {
      input: { name: 'Mixed', kind: 'jwt', jwt: { remoteLoginUrl: 'https://x.example/sso', sharedSecret: SECRET }, oidc: { issuer: 'https://x.example', clientId: 'x' } },
    }, { token: a.admin.token });
    expect(r.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: { oidc: 'other kind' } });
  });
});

describe('managing connections', () => {
  const CREATE = `mutation($input: SsoConnectionInput!) { createSsoConnection(input: $input) { id domains } }`;
  const input = (over: Record<string, unknown> = {}) => ({ name: 'Partners', kind: 'jwt', jwt: { remoteLoginUrl: 'https://partners.example/sso', sharedSecret: SECRET }, ...over });
  const fields = (r: { errors?: { extensions?: Record<string, unknown> }[] }) => r.errors?.[0].extensions;

  it('refuses what a connection may not be: an owner default, a taken domain or name, a bad domain, no secret', async () => {
    await sudo(a.admin);
    const made = await t.gql<{ createSsoConnection: { id: string; domains: string[] } }>(CREATE, { input: input({ domains: ['@Partners.Example'], enabled: true }) }, { token: a.admin.token });
    expect(made.data?.createSsoConnection.domains).toEqual(['partners.example']);
    expect(fields(await t.gql(CREATE, { input: input({ name: 'Other', defaultRole: 'owner' }) }, { token: a.admin.token }))).toMatchObject({ code: 'BAD_USER_INPUT', fields: { defaultRole: 'owner' } });
    expect(fields(await t.gql(CREATE, { input: input({ name: 'Other', domains: ['partners.example'] }) }, { token: a.admin.token }))).toMatchObject({ code: 'CONFLICT' });
    expect(fields(await t.gql(CREATE, { input: input() }, { token: a.admin.token }))).toMatchObject({ code: 'CONFLICT' });
    expect(fields(await t.gql(CREATE, { input: input({ name: 'Other', domains: ['not a domain'] }) }, { token: a.admin.token }))?.code).toBe('BAD_USER_INPUT');
    expect(fields(await t.gql(CREATE, { input: input({ name: 'Other', jwt: { remoteLoginUrl: 'https://x.example/sso' } }) }, { token: a.admin.token }))).toMatchObject({ fields: { 'jwt.sharedSecret': 'required' } });
    expect(fields(await t.gql(CREATE, { input: input({ name: 'Other', kind: 'oidc', jwt: null, oidc: { issuer: 'ftp://x.example', clientId: 'x' } }) }, { token: a.admin.token }))).toMatchObject({ fields: { 'oidc.issuer': 'not https' } });
    // The sign-in page routes the domain to it, and shows it as a button.
    const options = await t.gql<{ ssoSignInOptions: { buttons: { name: string }[]; forEmail: { name: string } | null } }>(
      `query { ssoSignInOptions(tenant: "acme", email: "someone@partners.example") { buttons { name } forEmail { name } } }`,
    );
    expect(options.data?.ssoSignInOptions.forEmail?.name).toBe('Partners');
    const unknown = await t.gql<{ ssoSignInOptions: unknown }>(`query { ssoSignInOptions(tenant: "no-such-workspace", email: "a@partners.example") { buttons { name } forEmail { name } } }`);
    expect(unknown.data?.ssoSignInOptions).toEqual({ buttons: [], forEmail: null });
  });

  it('F3 records one event for each change, secrets redacted, and deleting takes the identities with it', async () => {
    await sudo(a.admin);
    const id = (await t.gql<{ createSsoConnection: { id: string } }>(CREATE, { input: input({ name: 'Temporary', enabled: true }) }, { token: a.admin.token })).data!.createSsoConnection.id;
    const url = jwtUrl.replace(/\/[0-9a-f-]{36}\/jwt$/, `/${id}/jwt`);
    expect(landed(await send(await sign({ external_id: 'temp-1', email: 'temp@acme-corp.example' }), url))).toBe(true);
    await t.gql(`mutation($id: ID!, $input: SsoConnectionInput!) { updateSsoConnection(id: $id, input: $input) { id } }`, { id, input: input({ name: 'Temporary', enabled: true, jwt: { remoteLoginUrl: 'https://partners.example/sso', sharedSecret: `${SECRET} rotated` } }) }, { token: a.admin.token });
    expect((await t.gql(`mutation($id: ID!) { deleteSsoConnection(id: $id) }`, { id }, { token: a.admin.token })).errors).toBeUndefined();
    const events = await t.ownerSql<{ action: string; changes: Record<string, unknown> | null }>(`select action, changes from audit_events where tenant_id = $1 and target_id = $2 and action like 'sso.connection%' order by seq`, [a.tenantId, id]);
    expect(events.map((e) => e.action)).toEqual(['sso.connectionCreated', 'sso.connectionUpdated', 'sso.connectionDeleted']);
    expect(events[1].changes).toEqual({ secret: { before: '[redacted]', after: '[redacted]' } });
    expect(JSON.stringify(events)).not.toContain('rotated');
    expect(await t.ownerSql(`select 1 from sso_identities where tenant_id = $1 and subject = 'temp-1'`, [a.tenantId])).toEqual([]);
    expect(refused(await send(await sign({ external_id: 'temp-1' }), url))).toBe(true);
  });
});

describe('whom a connection may sign in, and what it may change', () => {
  const CREATE = `mutation($input: SsoConnectionInput!) { createSsoConnection(input: $input) { id endpoints { label url } } }`;
  const UPDATE = `mutation($id: ID!, $input: SsoConnectionInput!) { updateSsoConnection(id: $id, input: $input) { id } }`;
  const OWN_SECRET = 'a secret the admin chose for a provider of their own';
  const input = (name: string, over: Record<string, unknown> = {}) => ({
    name,
    kind: 'jwt',
    enabled: true,
    linkByEmail: true,
    domains: [`${name.toLowerCase().replace(/[^a-z]/g, '')}.example`],
    jwt: { remoteLoginUrl: 'https://intranet.example/sso', sharedSecret: OWN_SECRET },
    ...over,
  });
  const urlOf = (r: { data?: { createSsoConnection: { endpoints: { label: string; url: string }[] } } | null }) => r.data!.createSsoConnection.endpoints.find((e) => /JWT endpoint/.test(e.label))!.url;
  const as = (claims: Record<string, unknown>) => sign(claims, { secret: OWN_SECRET });

  it("an admin's own provider cannot sign anyone in as the owner, nor hand out a role the admin could not", async () => {
    // The owner's address at a domain the admin's connection serves, and linking on.
    await sudo(a.admin);
    const made = await t.gql<{ createSsoConnection: { id: string; endpoints: { label: string; url: string }[] } }>(CREATE, { input: input('Rogue', { domains: ['acme.test'] }) }, { token: a.admin.token });
    expect(made.errors).toBeUndefined();
    const rogue = urlOf(made);
    expect(refused(await send(await as({ email: a.owner.email, external_id: 'owner-at-rogue' }), rogue))).toBe(true);
    expect((await reasons()).at(-1)).toMatch(/role owner holds rights that whoever last saved this connection does not/);
    expect(await t.ownerSql(`select 1 from sso_identities where tenant_id = $1 and user_id = $2`, [a.tenantId, a.owner.id])).toEqual([]);
    // The admin's own kind of person still links (nothing above the admin).
    expect(landed(await send(await as({ email: a.agent.email, external_id: 'agent-at-rogue' }), rogue))).toBe(true);
    // An owner who saves it vouches for it: then owners may sign in through it.
    await sudo(a.owner);
    const id = made.data!.createSsoConnection.id;
    expect((await t.gql(UPDATE, { id, input: input('Rogue', { domains: ['acme.test'] }) }, { token: a.owner.token })).errors).toBeUndefined();
    expect(landed(await send(await as({ email: a.owner.email, external_id: 'owner-at-rogue' }), rogue))).toBe(true);
    // Saved again by the admin, the owner's identity stops working through it.
    await sudo(a.admin);
    expect((await t.gql(UPDATE, { id, input: input('Rogue', { domains: ['acme.test'] }) }, { token: a.admin.token })).errors).toBeUndefined();
    expect(refused(await send(await as({ email: a.owner.email, external_id: 'owner-at-rogue' }), rogue))).toBe(true);
    await sudo(a.owner);
    await t.gql(`mutation($id: ID!) { deleteSsoConnection(id: $id) }`, { id }, { token: a.owner.token });

    // A custom role holding an owner-only permission: the admin cannot make it a connection's default.
    const role = (await t.gql<{ createRole: { key: string } }>(`mutation { createRole(input: { name: "Restorers", permissions: [BACKUPS_RESTORE, TICKETS_READ] }) { key } }`, {}, { token: a.owner.token })).data!.createRole.key;
    await sudo(a.admin);
    expect((await t.gql(CREATE, { input: input('Elevator', { defaultRole: role }) }, { token: a.admin.token })).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect((await t.gql(CREATE, { input: input('Elevator', { mapping: { roleClaim: 'r', roles: [{ value: 'x', role }] } }) }, { token: a.admin.token })).errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });

  it('only someone above a role may require single sign-on of it', async () => {
    const SET = `mutation($r: [String!]) { updateIdentitySettings(input: { ssoRequiredRoles: $r }) { ssoRequiredRoles } }`;
    await sudo(a.admin);
    expect((await t.gql(SET, { r: ['owner'] }, { token: a.admin.token })).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect((await t.gql(SET, { r: ['agent'] }, { token: a.admin.token })).errors).toBeUndefined();
    await sudo(a.owner);
    expect((await t.gql(SET, { r: ['agent', 'owner'] }, { token: a.owner.token })).errors).toBeUndefined();
    await sudo(a.owner);
    await t.gql(SET, { r: [] }, { token: a.owner.token });
  });

  it('creates accounts only for verified emails of its domains, and none in lockdown (D11)', async () => {
    await sudo(a.admin);
    const url = urlOf(await t.gql(CREATE, { input: input('Scoped', { domains: ['scoped.example'], linkByEmail: false }) }, { token: a.admin.token }));
    expect(refused(await send(await as({ email: 'someone@elsewhere.example', external_id: 'x-1' }), url))).toBe(true);
    expect((await reasons()).at(-1)).toMatch(/domain is not one the connection serves/);
    expect(landed(await send(await as({ email: 'pat@scoped.example', external_id: 'x-2' }), url))).toBe(true);
    // Lockdown: the person with an identity signs in; a newcomer gets no account.
    await t.ownerSql(`insert into access_settings (id, tenant_id, lockdown) values (gen_random_uuid(), $1, true) on conflict (tenant_id) do update set lockdown = true`, [a.tenantId]);
    await new Promise((r) => setTimeout(r, 1100));
    try {
      expect(landed(await send(await as({ email: 'pat@scoped.example', external_id: 'x-2' }), url))).toBe(true);
      expect(refused(await send(await as({ email: 'new@scoped.example', external_id: 'x-3' }), url))).toBe(true);
      expect((await reasons()).at(-1)).toMatch(/lockdown/);
      expect(await t.ownerSql(`select 1 from users where tenant_id = $1 and email = 'new@scoped.example'`, [a.tenantId])).toEqual([]);
    } finally {
      await t.ownerSql(`update access_settings set lockdown = false where tenant_id = $1`, [a.tenantId]);
      await new Promise((r) => setTimeout(r, 1100));
    }
  });

  it('E9 answers mistakes without a server error: an empty jti, a blank name; a made-up connection is not audited', async () => {
    expect(refused(await send(await sign({ jti: '' })))).toBe(true);
    await sudo(a.admin);
    expect((await t.gql(CREATE, { input: input('   ') }, { token: a.admin.token })).errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: { name: 'required' } });
    const before = (await reasons()).length;
    const made = jwtUrl.replace(/\/[0-9a-f-]{36}\/jwt$/, `/${randomUUID()}/jwt`);
    for (let i = 0; i < 3; i++) expect(refused(await send(await sign({}), made))).toBe(true);
    expect((await reasons()).length).toBe(before);
  });
});

describe('words for people', () => {
  it('says what is wrong in sentences, and what a connection test found without quoting the provider', async () => {
    await sudo(a.admin);
    const CREATE = `mutation($input: SsoConnectionInput!) { createSsoConnection(input: $input) { id oidc { issuer } } }`;
    const bad = await t.gql(CREATE, { input: { name: 'Typo', kind: 'JWT', defaultRole: 'Agent', domains: ['https://acme.example'] } }, { token: a.admin.token });
    expect(bad.errors?.[0].extensions?.fields).toEqual({
      kind: 'The kind is oidc, saml or jwt',
      defaultRole: expect.stringMatching(/^A role is a built-in role in lower case/),
      domains: 'A domain is like example.com (no https:// and no user@)',
    });
    // The configuration's own URL pasted as the issuer: the issuer is kept; nothing answers there.
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const p = (probe.address() as { port: number }).port;
        probe.close(() => resolve(p));
      });
    });
    const made = await t.gql<{ createSsoConnection: { id: string; oidc: { issuer: string } } }>(
      CREATE,
      { input: { name: 'Nowhere', kind: 'oidc', oidc: { issuer: `http://127.0.0.1:${port}/.well-known/openid-configuration`, clientId: 'x' } } },
      { token: a.admin.token },
    );
    expect(made.data?.createSsoConnection.oidc.issuer).toBe(`http://127.0.0.1:${port}`);
    const tested = await t.gql<{ testSsoConnection: { ok: boolean; checks: { name: string; message: string }[] } }>(
      `mutation($id: ID!) { testSsoConnection(id: $id) { ok checks { name message } } }`,
      { id: made.data!.createSsoConnection.id },
      { token: a.admin.token },
    );
    expect(tested.data?.testSsoConnection.ok).toBe(false);
    expect(tested.data?.testSsoConnection.checks[0]).toEqual({ name: 'Discovery', message: "The provider's configuration cannot be read: nothing answers at that address" });
  });
});
