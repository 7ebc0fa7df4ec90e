/**
 * API tokens for integrations (issue 3 §6, scoped tokens for partners): B1/B9 stored hashed and
 * shown once, B8 re-authentication to create, a scope that never exceeds the creator (now, not
 * only at creation), revocation and expiry, D4 a token edited to name another tenant finds
 * nothing. The IP allowlist on tokens (D10) and "nobody grants what they lack" with custom roles
 * are in libs/access/api/src/access.spec.ts.
 */
import { platformPlugin } from '@bulwark/platform-api';
import { startTestServer, type GqlResult, type TestServer } from '@bulwark/platform-api/testing';
import { createPersonas, PERSONA_PASSWORD, type Persona, type TenantPersonas } from './testing';
import { identityPlugin } from './index';

let t: TestServer;
let a: TenantPersonas;
let b: TenantPersonas;

const code = (r: { errors?: { extensions?: { code?: string } }[] }) => r.errors?.[0]?.extensions?.code;
const CREATE = `mutation($i: ApiTokenInput!) { createApiToken(input: $i) { token apiToken { id name permissions expiresAt createdBy } } }`;
const USERS = `{ users { totalCount } }`;
const SETTINGS = `{ identitySettings { lockoutThreshold } }`;

async function sudo(p: Persona): Promise<string> {
  const r = await t.gql<{ reauthenticate: { token: string } }>(`mutation($p: String!) { reauthenticate(password: $p) { token } }`, { p: PERSONA_PASSWORD }, { token: p.token });
  p.token = r.data!.reauthenticate.token;
  return p.token;
}
async function create(p: Persona, input: object): Promise<GqlResult<{ createApiToken: { token: string; apiToken: { id: string; name: string; permissions: string[]; expiresAt: string | null; createdBy: string } } }>> {
  return t.gql(CREATE, { i: input }, { token: p.token });
}

beforeAll(async () => {
  t = await startTestServer([platformPlugin, identityPlugin]);
  a = await createPersonas(t, 'initech');
  b = await createPersonas(t, 'initrode');
});
afterAll(() => t?.close());
afterEach(() => t.clock.reset());

describe('API tokens', () => {
  it('B8 needs a recent re-authentication and the tokens permission; B1 is stored hashed and shown once', async () => {
    expect(code(await create(a.admin, { name: 'CRM sync', permissions: ['USERS_READ'] }))).toBe('REAUTH_REQUIRED');
    expect(code(await create(a.agent, { name: 'CRM sync', permissions: ['USERS_READ'] }))).toBe('FORBIDDEN');
    await sudo(a.admin);
    const r = await create(a.admin, { name: 'CRM sync', permissions: ['USERS_READ'], expiresInDays: 30 });
    const made = r.data!.createApiToken;
    expect(made.token).toMatch(/^bwt_[A-Za-z0-9_-]{65}$/);
    expect(made.apiToken).toMatchObject({ name: 'CRM sync', permissions: ['USERS_READ'], createdBy: a.admin.id });
    const rows = await t.ownerSql<Record<string, unknown>>('select * from api_tokens where id = $1', [made.apiToken.id]);
    expect(JSON.stringify(rows)).not.toContain(made.token.slice(4));
    expect((rows[0].token_hash as Buffer).length).toBe(32);
    const list = await t.gql(`{ apiTokens { id name lastUsedAt } }`, {}, { token: a.admin.token });
    expect(JSON.stringify(list)).not.toContain(made.token.slice(4));
    expect(code(await create(a.admin, { name: 'x', permissions: [] }))).toBe('BAD_USER_INPUT');
    expect(code(await create(a.admin, { name: 'x', permissions: ['USERS_READ'], expiresInDays: 400 }))).toBe('BAD_USER_INPUT');
  });

  it('acts within its scope only, as a bearer token (never as a cookie), and records its last use', async () => {
    await sudo(a.admin);
    const { token, apiToken } = (await create(a.admin, { name: 'Reader', permissions: ['USERS_READ'] })).data!.createApiToken;
    expect((await t.gql<{ users: { totalCount: number } }>(USERS, {}, { token })).data!.users.totalCount).toBeGreaterThan(5);
    expect(code(await t.gql(SETTINGS, {}, { token }))).toBe('FORBIDDEN'); // outside its scope
    expect(code(await t.gql(USERS, {}, { cookie: `bulwark_session=${token}` }))).toBe('UNAUTHENTICATED');
    const [row] = await t.ownerSql<{ last_used_at: Date | null; last_used_ip: string }>('select last_used_at, last_used_ip from api_tokens where id = $1', [apiToken.id]);
    expect(row.last_used_at).not.toBeNull();
    expect(row.last_used_ip).toMatch(/^(127\.0\.0\.1|::1)$/);
  });

  it('holds no more than its creator holds now: a demoted creator shrinks it, a suspended one stops it', async () => {
    const c = await createPersonas(t, 'initech-demote');
    await sudo(c.admin);
    const { token } = (await create(c.admin, { name: 'Ops', permissions: ['USERS_READ', 'SECURITY_MANAGE'] })).data!.createApiToken;
    expect((await t.gql(SETTINGS, {}, { token })).data).toBeTruthy();
    await sudo(c.owner);
    const demote = await t.gql(`mutation($i: ChangeRoleInput!) { changeUserRole(input: $i) { role } }`, { i: { id: c.admin.id, role: 'agent' } }, { token: c.owner.token });
    expect(demote.errors).toBeUndefined();
    expect(code(await t.gql(SETTINGS, {}, { token }))).toBe('FORBIDDEN'); // agents may not
    expect((await t.gql(USERS, {}, { token })).data).toBeTruthy(); // agents may
    await t.gql(`mutation($id: ID!) { suspendUser(id: $id) { id } }`, { id: c.admin.id }, { token: c.owner.token });
    expect(code(await t.gql(USERS, {}, { token }))).toBe('UNAUTHENTICATED');
  });

  it('B6 ends with its creator\'s password change, and holds nothing while the creator must enrol in 2FA', async () => {
    const c = await createPersonas(t, 'initech-b6');
    await sudo(c.admin);
    const { token } = (await create(c.admin, { name: 'Before', permissions: ['USERS_READ'] })).data!.createApiToken;
    expect((await t.gql(USERS, {}, { token })).data).toBeTruthy();
    const changed = await t.gql(`mutation($i: ChangePasswordInput!) { changePassword(input: $i) }`, { i: { currentPassword: PERSONA_PASSWORD, newPassword: 'a completely new passphrase' } }, { token: c.admin.token });
    expect(changed.errors).toBeUndefined();
    expect(code(await t.gql(USERS, {}, { token }))).toBe('UNAUTHENTICATED');

    const d = await createPersonas(t, 'initech-2fa');
    await sudo(d.admin);
    const second = (await create(d.admin, { name: 'After', permissions: ['USERS_READ'] })).data!.createApiToken.token;
    await sudo(d.owner);
    await t.gql(`mutation { updateIdentitySettings(input: { twoFactorRequiredRoles: ["admin"] }) { lockoutThreshold } }`, {}, { token: d.owner.token });
    expect(code(await t.gql(USERS, {}, { token: second }))).toBe('FORBIDDEN'); // authenticated, holding nothing
  });

  it('stops at once when revoked, and when it expires', async () => {
    await sudo(a.admin);
    const { token, apiToken } = (await create(a.admin, { name: 'Short', permissions: ['USERS_READ'], expiresInDays: 1 })).data!.createApiToken;
    expect((await t.gql(USERS, {}, { token })).data).toBeTruthy();
    t.clock.advance(25 * 3600_000);
    expect(code(await t.gql(USERS, {}, { token }))).toBe('UNAUTHENTICATED');
    t.clock.reset();
    const REVOKE = `mutation($id: ID!) { revokeApiToken(id: $id) { revokedAt } }`;
    expect(code(await t.gql(REVOKE, { id: apiToken.id }, { token: b.admin.token }))).toBe('NOT_FOUND'); // another tenant's admin
    expect((await t.gql<{ revokeApiToken: { revokedAt: string } }>(REVOKE, { id: apiToken.id }, { token: a.admin.token })).data!.revokeApiToken.revokedAt).toBeTruthy();
    expect(code(await t.gql(USERS, {}, { token }))).toBe('UNAUTHENTICATED');
  });

  it("B10 me answers a token's principal: its creator, the token and its scope, with the creator's address masked without users.viewPii", async () => {
    const ME = `{ me { id name email phone role permissions tenant { slug } apiToken { id name expiresAt } } }`;
    type MeView = { id: string; name: string; email: string; phone: string | null; role: string; permissions: string[]; tenant: { slug: string }; apiToken: { id: string; name: string; expiresAt: string | null } | null };
    await t.gql(`mutation { updateMyProfile(input: { name: "admin of initech", phone: "+1 555 010 4477" }) { id } }`, {}, { token: a.admin.token });
    await sudo(a.admin);
    const narrow = (await create(a.admin, { name: 'Directory sync', permissions: ['USERS_READ'], expiresInDays: 7 })).data!.createApiToken;
    const r = await t.gql<{ me: MeView }>(ME, {}, { token: narrow.token });
    expect(r.errors).toBeUndefined();
    expect(r.data!.me).toEqual({
      id: a.admin.id,
      name: 'admin of initech',
      email: 'a***@initech.test',
      phone: '***77',
      role: 'admin',
      permissions: ['USERS_READ'],
      tenant: { slug: 'initech' },
      apiToken: { id: narrow.apiToken.id, name: 'Directory sync', expiresAt: narrow.apiToken.expiresAt },
    });
    // With the permission to read people's addresses, the creator's shows in full.
    const wide = (await create(a.admin, { name: 'CRM', permissions: ['USERS_READ', 'USERS_VIEW_PII'] })).data!.createApiToken;
    const w = await t.gql<{ me: MeView }>(ME, {}, { token: wide.token });
    expect(w.data!.me).toMatchObject({ email: 'admin@initech.test', phone: '+1 555 010 4477', permissions: ['USERS_READ', 'USERS_VIEW_PII'], apiToken: { name: 'CRM', expiresAt: null } });
    // A session is no token; a revoked token is nobody.
    expect((await t.gql<{ me: MeView }>(ME, {}, { token: a.admin.token })).data!.me).toMatchObject({ email: 'admin@initech.test', apiToken: null });
    await t.gql(`mutation($id: ID!) { revokeApiToken(id: $id) { id } }`, { id: narrow.apiToken.id }, { token: a.admin.token });
    expect(code(await t.gql(ME, {}, { token: narrow.token }))).toBe('UNAUTHENTICATED');
  });

  it('B10 a valid token asking for what only a person may do is FORBIDDEN, never UNAUTHENTICATED', async () => {
    await sudo(a.admin);
    // Even a token holding every permission its creator has: these are a person's own.
    const { token } = (await create(a.admin, { name: 'Everything', permissions: ['USERS_READ', 'USERS_MANAGE', 'TOKENS_MANAGE'] })).data!.createApiToken;
    const personOnly = [
      `mutation { logout }`,
      `{ mySessions { id } }`,
      `{ passwordPolicy { minLength } }`,
      `mutation { changePassword(input: { currentPassword: "x", newPassword: "a long enough passphrase" }) }`,
      `mutation { updateMyProfile(input: { name: "Bot" }) { id } }`,
      `mutation { createApiToken(input: { name: "child", permissions: [USERS_READ] }) { token } }`,
      `mutation { reauthenticate(password: "x") { token } }`,
    ];
    for (const query of personOnly) expect({ query, code: code(await t.gql(query, {}, { token })) }).toEqual({ query, code: 'FORBIDDEN' });
    expect((await t.gql(USERS, {}, { token })).data).toBeTruthy(); // the token itself still works
  });

  it('D4 finds nothing when its tenant part names another tenant', async () => {
    await sudo(a.admin);
    const { token } = (await create(a.admin, { name: 'Moved', permissions: ['USERS_READ'] })).data!.createApiToken;
    const other = Buffer.from(b.tenantId.replace(/-/g, ''), 'hex').toString('base64url');
    const forged = `bwt_${other}${token.slice(4 + 22)}`;
    expect(code(await t.gql(USERS, {}, { token: forged }))).toBe('UNAUTHENTICATED');
    expect((await t.gql(USERS, {}, { token })).data).toBeTruthy();
  });
});
