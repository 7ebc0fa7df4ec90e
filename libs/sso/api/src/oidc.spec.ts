/**
 * OpenID Connect sign-in against a real provider (oidc-provider on loopback): SECURITY.md C1 and
 * C4, just-in-time provisioning and linking, back-channel logout, SSO enforcement per role with
 * the owner's break-glass, D10 on callbacks, the audit trail, and one workspace's connection
 * never serving another.
 */
import { platformPlugin } from '@bulwark/platform-api';
import { accessPlugin } from '@bulwark/access-api';
import { auditPlugin } from '@bulwark/audit-api';
import { identityPlugin } from '@bulwark/identity-api';
import { ticketsPlugin } from '@bulwark/tickets-api';
import { ssoPlugin } from './index';
import { startTestServer, TEST_PEPPER, type TestServer } from '@bulwark/platform-api/testing';
import { encryptTotpSecret } from '@bulwark/identity-api';
import { memoryMailSender } from '@bulwark/platform-api';
import { Secret, TOTP } from 'otpauth';
import { createPersonas, PERSONA_PASSWORD, type Persona, type TenantPersonas } from '@bulwark/identity-api/testing';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { browse, CookieJar, signInAtProvider, startOidcProvider, type TestOidcProvider } from './oidc-provider.fixture';

/** The server as shipped, for what SSO touches: people, groups, the allowlist, the audit log. */
const plugins = [platformPlugin, identityPlugin, accessPlugin, ticketsPlugin, ssoPlugin, auditPlugin];
let t: TestServer;
let a: TenantPersonas;
let b: TenantPersonas;
let op: TestOidcProvider;
const mail = memoryMailSender();
let connectionId: string;
let startUrl: string;
let callbackPrefix: string;

const CREATE = `mutation($input: SsoConnectionInput!) { createSsoConnection(input: $input) { id endpoints { label url } } }`;
const UPDATE = `mutation($id: ID!, $input: SsoConnectionInput!) { updateSsoConnection(id: $id, input: $input) { id } }`;
const ME = `{ me { email role } }`;

async function sudo(p: Persona): Promise<string> {
  const r = await t.gql<{ reauthenticate: { token: string } }>(`mutation($p: String!) { reauthenticate(password: $p) { token } }`, { p: PERSONA_PASSWORD }, { token: p.token });
  if (!r.data) throw new Error(JSON.stringify(r.errors));
  p.token = r.data.reauthenticate.token;
  return p.token;
}

const baseInput = (over: Record<string, unknown> = {}) => ({
  name: 'Company login',
  kind: 'oidc',
  enabled: true,
  domains: ['corp.example'],
  provisionUsers: true,
  defaultRole: 'agent',
  oidc: { issuer: op.issuer, clientId: 'bulwark-acme', clientSecret: 'a client secret of the acme workspace' },
  ...over,
});

async function events(action: string, tenantId = a.tenantId) {
  return t.ownerSql<{ details: Record<string, unknown>; target_id: string | null; outcome: string }>(
    `select details, target_id, outcome from audit_events where tenant_id = $1 and action = $2 order by seq`,
    [tenantId, action],
  );
}

/** The whole way in: start, the provider's pages, the callback. Returns the jar and the callback's answer. */
async function signIn(login: string, opts: { jar?: CookieJar } = {}) {
  const jar = opts.jar ?? new CookieJar();
  const callback = await signInAtProvider(jar, startUrl, login, callbackPrefix);
  const res = await browse(jar, callback);
  return { jar, callback, res, session: jar.get(t.url, 'bulwark_session') };
}

const landed = (res: Response) => res.status === 303 && !!res.headers.get('location')?.endsWith('/#/');
const refused = (res: Response) => res.status === 303 && !!res.headers.get('location')?.endsWith('/#/login?sso=failed');

beforeAll(async () => {
  op = await startOidcProvider();
  t = await startTestServer(plugins, {}, { mail });
  a = await createPersonas(t, 'acme');
  b = await createPersonas(t, 'umbrella');
  await sudo(a.admin);
  const r = await t.gql<{ createSsoConnection: { id: string; endpoints: { label: string; url: string }[] } }>(CREATE, { input: baseInput() }, { token: a.admin.token });
  if (!r.data) throw new Error(JSON.stringify(r.errors));
  connectionId = r.data.createSsoConnection.id;
  const url = (label: RegExp) => r.data!.createSsoConnection.endpoints.find((e) => label.test(e.label))!.url;
  callbackPrefix = url(/Redirect URI/);
  startUrl = url(/Initiate login/);
  op.registerClient({ clientId: 'bulwark-acme', clientSecret: 'a client secret of the acme workspace', redirectUris: [callbackPrefix], backchannelLogoutUri: url(/Back-channel/) });
  op.addAccount('okta-0001', { email: 'new.person@corp.example', email_verified: true, name: 'New Person', groups: ['support'] });
});
afterAll(async () => {
  await t?.close();
  await op?.close();
});

describe('C1 OpenID Connect', () => {
  it('C1 signs in with state, nonce and PKCE (S256), provisions the person and starts a session', async () => {
    const jar = new CookieJar();
    const start = await browse(jar, startUrl);
    const auth = new URL(start.headers.get('location')!);
    expect(auth.origin).toBe(op.issuer);
    expect(auth.searchParams.get('state')).toMatch(/^[\w-]{20,}$/);
    expect(auth.searchParams.get('nonce')).toMatch(/^[\w-]{20,}$/);
    expect(auth.searchParams.get('code_challenge_method')).toBe('S256');
    expect(auth.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    expect(auth.searchParams.get('redirect_uri')).toBe(callbackPrefix);

    const { res, session } = await signIn('okta-0001');
    expect(landed(res)).toBe(true);
    expect(session).toMatch(/^bws_/);
    const me = await t.gql<{ me: { email: string; role: string } }>(ME, {}, { token: session });
    expect(me.data?.me).toEqual({ email: 'new.person@corp.example', role: 'agent' });
    // C4: the identity is the provider's subject at this connection.
    const ids = await t.ownerSql(`select subject, email from sso_identities where tenant_id = $1`, [a.tenantId]);
    expect(ids).toEqual([{ subject: 'okta-0001', email: 'new.person@corp.example' }]);
    expect((await events('sso.userProvisioned')).length).toBe(1);
    const signedIn = await events('sso.signedIn');
    expect(signedIn.at(-1)?.details).toMatchObject({ connection: connectionId, kind: 'oidc' });
    // The client secret is sealed: never in clear in the database.
    const [row] = await t.ownerSql<{ secret_sealed: string }>(`select secret_sealed from sso_connections where id = $1`, [connectionId]);
    expect(row.secret_sealed).toMatch(/^v1\./);
    expect(row.secret_sealed).not.toContain('client secret');
  });

  it('C1 refuses a replayed callback (the same state and code), and a callback in another browser', async () => {
    const { callback, res } = await signIn('okta-0001');
    expect(landed(res)).toBe(true);
    const before = (await events('sso.signInFailed')).length;
    const replay = await browse(new CookieJar(), callback);
    expect(refused(replay)).toBe(true);
    const again = await signInAtProvider(new CookieJar(), startUrl, 'okta-0001', callbackPrefix);
    const elsewhere = await browse(new CookieJar(), again); // no binding cookie: not the browser that started
    expect(refused(elsewhere)).toBe(true);
    const failed = (await events('sso.signInFailed')).slice(before);
    expect(failed.map((e) => e.details.reason)).toEqual([expect.stringMatching(/state/), expect.stringMatching(/another browser/)]);
  });

  /** A sign-in whose ID token the provider's answer carries changed by `tamper`: refused, no session. */
  async function refusedWith(tamper: (idToken: string) => Promise<string> | string, reason: RegExp) {
    const before = (await events('sso.signInFailed')).length;
    op.tamperNextIdToken(tamper);
    const { res, session } = await signIn('okta-0001');
    op.tamperNextIdToken(null);
    expect(refused(res)).toBe(true);
    expect(session).toBeUndefined();
    const failed = (await events('sso.signInFailed')).slice(before);
    expect(failed).toHaveLength(1);
    expect(String(failed[0].details.reason)).toMatch(reason);
  }
  const resign = (mutate: (c: Record<string, unknown>) => Record<string, unknown>, opts?: { key?: 'provider' | 'other' }) => (idToken: string) =>
    op.sign(mutate({ ...decodeJwt(idToken) }), { ...opts, kid: decodeProtectedHeader(idToken).kid });
  const now = () => Math.floor(Date.now() / 1000);

  it('C1 refuses a tampered ID token (claims changed, signature kept)', async () => {
    await refusedWith((tok) => {
      const [h, p, s] = tok.split('.');
      const claims = { ...JSON.parse(Buffer.from(p, 'base64url').toString()), email: 'owner@acme.test' };
      return `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`;
    }, /signature/i);
  });
  it('C1 refuses an expired ID token', async () => {
    await refusedWith(resign((c) => ({ ...c, iat: now() - 7200, exp: now() - 3600 })), /exp|expired|timestamp/i);
  });
  it('C1 refuses an ID token for another audience', async () => {
    await refusedWith(resign((c) => ({ ...c, aud: 'another-client' })), /aud/i);
  });
  it('C1 refuses an ID token from another issuer', async () => {
    await refusedWith(resign((c) => ({ ...c, iss: 'https://evil.example' })), /iss/i);
  });
  it('C1 refuses alg: none', async () => {
    await refusedWith((tok) => {
      const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
      return `${header}.${tok.split('.')[1]}.`;
    }, /alg|signature|none/i);
  });
  it('C1 refuses a key outside the configured JWKS (same kid, another key)', async () => {
    await refusedWith(resign((c) => c, { key: 'other' }), /signature/i);
  });
  it('C1 refuses an ID token whose nonce is not this sign-in’s', async () => {
    await refusedWith(resign((c) => ({ ...c, nonce: 'a-nonce-from-another-sign-in' })), /nonce/i);
  });
});

describe('C4 identity keyed by (connection, subject)', () => {
  it('C4 a new subject with the email of an existing account does not become that account unless linking is allowed and the email verified', async () => {
    op.addAccount('okta-agent-twin', { email: a.agent.email, email_verified: false, name: 'Twin' });
    const before = (await events('sso.signInFailed')).length;
    expect(refused((await signIn('okta-agent-twin')).res)).toBe(true);
    await sudo(a.admin);
    // Linking also needs the email's domain among the connection's (an admin's words, not the provider's).
    expect((await t.gql(UPDATE, { id: connectionId, input: baseInput({ linkByEmail: true, domains: ['corp.example', 'acme.test'] }) }, { token: a.admin.token })).errors).toBeUndefined();
    expect(refused((await signIn('okta-agent-twin')).res)).toBe(true); // not verified by the provider
    const reasons = (await events('sso.signInFailed')).slice(before).map((e) => e.details.reason);
    expect(reasons).toEqual([expect.stringMatching(/does not link/), expect.stringMatching(/did not verify/)]);

    op.addAccount('okta-agent-twin', { email: a.agent.email, email_verified: true, name: 'Twin' });
    const { res, session } = await signIn('okta-agent-twin');
    expect(landed(res)).toBe(true);
    expect((await t.gql<{ me: { email: string } }>(ME, {}, { token: session })).data?.me.email).toBe(a.agent.email);
    expect((await events('sso.identityLinked')).map((e) => e.target_id)).toEqual([a.agent.id]);
    // From now on the subject finds the person, whatever email the provider sends.
    op.addAccount('okta-agent-twin', { email: 'renamed@corp.example', email_verified: true });
    const later = await signIn('okta-agent-twin');
    expect((await t.gql<{ me: { email: string } }>(ME, {}, { token: later.session })).data?.me.email).toBe(a.agent.email);
    await sudo(a.admin);
    await t.gql(UPDATE, { id: connectionId, input: baseInput() }, { token: a.admin.token });
  });
});

describe('one workspace, one connection', () => {
  it('D2 a connection is reached only under its own workspace, and its id is unknown to others', async () => {
    const jar = new CookieJar();
    const wrong = await browse(jar, startUrl.replace('/acme/', '/umbrella/'));
    expect(refused(wrong)).toBe(true);
    expect(await t.ownerSql(`select 1 from sso_requests where tenant_id = $1`, [b.tenantId])).toEqual([]);
    const r = await t.gql(`query($id: ID!) { ssoConnection(id: $id) { id } }`, { id: connectionId }, { token: b.admin.token });
    expect(r.errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });
});

describe('back-channel logout', () => {
  it('ends every session of the person when the provider signs them out, once per logout token', async () => {
    op.addAccount('okta-logout', { email: 'leaving@corp.example', email_verified: true });
    const one = await signIn('okta-logout');
    const two = await signIn('okta-logout');
    for (const s of [one.session, two.session]) expect((await t.gql(ME, {}, { token: s })).errors).toBeUndefined();
    // An API token of theirs (made straight in the table: agents cannot make tokens).
    const [{ id: userId }] = await t.ownerSql<{ id: string }>(`select id from users where tenant_id = $1 and email = 'leaving@corp.example'`, [a.tenantId]);
    await t.ownerSql(`insert into api_tokens (id, tenant_id, name, token_hash, created_by, created_at) values (gen_random_uuid(), $1, 'script', sha256(gen_random_uuid()::text::bytea), $2, now())`, [a.tenantId, userId]);
    await op.logout('okta-logout');
    for (const s of [one.session, two.session]) expect((await t.gql(ME, {}, { token: s })).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect(await t.ownerSql(`select 1 from api_tokens where tenant_id = $1 and created_by = $2 and revoked_at is null`, [a.tenantId, userId])).toEqual([]);
    const logouts = await events('sso.loggedOutByProvider');
    expect(logouts.at(-1)?.details).toMatchObject({ connection: connectionId, sessionsEnded: 2 });

    // A logout token signed by the provider's key, sent twice: the second is a replay.
    const backchannel = callbackPrefix.replace(/callback$/, 'backchannel-logout');
    const token = await op.sign({ iss: op.issuer, aud: 'bulwark-acme', sub: 'okta-logout', iat: Math.floor(Date.now() / 1000), jti: 'logout-1', events: { 'http://schemas.openid.net/event/backchannel-logout': {} } });
    const post = (logout_token: string) => fetch(backchannel, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ logout_token }) });
    expect((await post(token)).status).toBe(200);
    expect((await post(token)).status).toBe(400);
    const forged = await op.sign({ iss: op.issuer, aud: 'bulwark-acme', sub: 'okta-logout', iat: Math.floor(Date.now() / 1000), jti: 'logout-2', events: { 'http://schemas.openid.net/event/backchannel-logout': {} } }, { key: 'other' });
    expect((await post(forged)).status).toBe(400);
    const withNonce = await op.sign({ iss: op.issuer, aud: 'bulwark-acme', sub: 'okta-logout', iat: Math.floor(Date.now() / 1000), jti: 'logout-3', nonce: 'n', events: { 'http://schemas.openid.net/event/backchannel-logout': {} } });
    expect((await post(withNonce)).status).toBe(400);
  });
});

describe('SSO enforcement per role', () => {
  const LOGIN = `mutation($i: LoginInput!) { login(input: $i) { token twoFactorRequired challenge } }`;
  const SETTINGS = `mutation($r: [String!]) { updateIdentitySettings(input: { ssoRequiredRoles: $r }) { ssoRequiredRoles } }`;
  const login = (p: Persona, slug: string) => t.gql<{ login: { token: string | null; challenge: string | null } }>(LOGIN, { i: { tenant: slug, email: p.email, password: PERSONA_PASSWORD } });

  it('refuses password sign-in for an SSO-only role, needs re-authentication to change, and keeps the owner a break-glass with two-factor', async () => {
    expect((await t.gql(SETTINGS, { r: ['agent'] }, { token: a.owner.token })).errors?.[0].extensions?.code).toBe('REAUTH_REQUIRED');
    await sudo(a.owner);
    expect((await t.gql(SETTINGS, { r: ['agent', 'owner'] }, { token: a.owner.token })).errors).toBeUndefined();
    const agent = await login(a.agent, 'acme');
    expect(agent.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'sso_required' });
    // A wrong password answers as always: the rule says nothing to someone without the password.
    const wrong = await t.gql(LOGIN, { i: { tenant: 'acme', email: a.agent.email, password: 'not the password at all' } });
    expect(wrong.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    // The owner without two-factor: refused too.
    expect((await login(a.owner, 'acme')).errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'sso_required' });
    // Another workspace's rule is its own.
    expect((await login(b.agent, 'umbrella')).data?.login.token).toMatch(/^bws_/);
    // The agent still signs in through the provider.
    op.addAccount('okta-agent-twin', { email: a.agent.email, email_verified: true });
    expect(landed((await signIn('okta-agent-twin')).res)).toBe(true);
    await sudo(a.owner);
    await t.gql(SETTINGS, { r: [] }, { token: a.owner.token });
  });

  it('lets an owner with two-factor break the glass: one alerting event, and every owner is mailed', async () => {
    await sudo(a.owner);
    expect((await t.gql(SETTINGS, { r: ['owner'] }, { token: a.owner.token })).errors).toBeUndefined();
    const secret = new Secret().base32;
    await t.ownerSql(`update users set totp_secret_enc = $1, totp_enabled_at = now() where id = $2`, [
      encryptTotpSecret(TEST_PEPPER, secret, { tenantId: a.tenantId, userId: a.owner.id }),
      a.owner.id,
    ]);
    const first = await login(a.owner, 'acme');
    expect(first.data?.login.challenge).toMatch(/^bwc_/);
    t.clock.advance(30_000);
    const code = TOTP.generate({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30, timestamp: t.clock.now().getTime() });
    const VERIFY = `mutation($input: VerifyTwoFactorInput!) { verifyTwoFactor(input: $input) { token } }`;
    const verified = await t.gql<{ verifyTwoFactor: { token: string } }>(VERIFY, { input: { challenge: first.data!.login.challenge, code } });
    expect(verified.data?.verifyTwoFactor.token).toMatch(/^bws_/);
    const glass = await events('identity.breakGlassSignIn');
    expect(glass.map((e) => e.target_id)).toEqual([a.owner.id]);
    expect(t.server.app.audit.get('identity.breakGlassSignIn')?.alert).toBe('breakGlass');
    // The success is that one event, not a plain sign-in as well (F3).
    const plain = await t.ownerSql(`select 1 from audit_events where tenant_id = $1 and action = 'identity.loginSucceeded' and target_id = $2`, [a.tenantId, a.owner.id]);
    expect(plain).toEqual([]);
    await t.drainOutbox(); // mail goes after the commit, through the outbox
    expect(mail.sent.filter((m) => /Break-glass/.test(m.subject)).map((m) => m.to)).toContain(a.owner.email);
    await t.ownerSql(`update users set totp_secret_enc = null, totp_enabled_at = null where id = $1`, [a.owner.id]);
    await sudo(a.owner);
    await t.gql(SETTINGS, { r: [] }, { token: a.owner.token });
  });
});

describe('B8 re-authentication through the provider', () => {
  it('B8 a sign-in started for re-authentication makes the provider ask again and counts as a recent confirmation', async () => {
    const TOKEN = `mutation { createApiToken(input: { name: "from SSO", permissions: [TICKETS_READ] }) { apiToken { id } } }`;
    op.addAccount('okta-admin', { email: 'sso.admin@corp.example', email_verified: true });
    await sudo(a.admin);
    const mapped = baseInput({
      oidc: { issuer: op.issuer, clientId: 'bulwark-acme', scopes: ['groups'] },
      mapping: { roleClaim: 'groups', roles: [{ value: 'bulwark-admins', role: 'admin' }] },
    });
    expect((await t.gql(UPDATE, { id: connectionId, input: mapped }, { token: a.admin.token })).errors).toBeUndefined();
    op.addAccount('okta-admin', { email: 'sso.admin@corp.example', email_verified: true, groups: ['bulwark-admins'] });
    const plain = await signIn('okta-admin');
    expect((await t.gql<{ me: { role: string } }>(ME, {}, { token: plain.session })).data?.me.role).toBe('admin');
    expect((await t.gql(TOKEN, {}, { token: plain.session })).errors?.[0].extensions?.code).toBe('REAUTH_REQUIRED');

    const jar = new CookieJar();
    const start = await browse(jar, `${startUrl}?intent=reauth&returnTo=${encodeURIComponent('/api-tokens')}`);
    const auth = new URL(start.headers.get('location')!);
    expect([auth.searchParams.get('prompt'), auth.searchParams.get('max_age')]).toEqual(['login', '0']);
    const callback = await signInAtProvider(jar, auth.href, 'okta-admin', callbackPrefix);
    const res = await browse(jar, callback);
    expect(res.headers.get('location')).toMatch(/\/#\/api-tokens$/);
    const fresh = jar.get(t.url, 'bulwark_session');
    expect((await t.gql(TOKEN, {}, { token: fresh })).errors).toBeUndefined();
    expect((await events('sso.signedIn')).at(-1)?.details).toMatchObject({ reauthenticated: true });
    await sudo(a.admin);
    await t.gql(UPDATE, { id: connectionId, input: baseInput() }, { token: a.admin.token });
  });
});

describe('D10 and alerts on SSO', () => {
  it('D10 applies the IP allowlist to SSO callbacks; refusals are audited failures that alert rules count', async () => {
    await t.ownerSql(`insert into access_settings (id, tenant_id, ip_mode) values (gen_random_uuid(), $1, 'enforce') on conflict (tenant_id) do update set ip_mode = 'enforce'`, [a.tenantId]);
    await t.ownerSql(`insert into ip_rules (id, tenant_id, cidr, label, created_at) values (gen_random_uuid(), $1, '203.0.113.0/24', 'office', now())`, [a.tenantId]);
    await new Promise((r) => setTimeout(r, 1100));
    const before = (await events('sso.signInFailed')).length;
    const { res, session } = await signIn('okta-0001');
    expect(refused(res)).toBe(true);
    expect(session).toBeUndefined();
    const failed = (await events('sso.signInFailed')).slice(before);
    expect(failed).toHaveLength(1);
    expect(String(failed[0].details.reason)).toMatch(/network/);
    await t.ownerSql(`update access_settings set ip_mode = 'off' where tenant_id = $1`, [a.tenantId]);
    await t.ownerSql(`delete from ip_rules where tenant_id = $1`, [a.tenantId]);
    await new Promise((r) => setTimeout(r, 1100));
  });

  it('counts failed SSO attempts toward a failed sign-ins alert rule', async () => {
    await sudo(a.admin);
    const rule = await t.gql(`mutation { createAlertRule(input: { name: "SSO failures", kind: "failed_logins", threshold: 2, windowMinutes: 10 }) { rule { id } } }`, {}, { token: a.admin.token });
    expect(rule.errors).toBeUndefined();
    const alerts = () => t.ownerSql<{ subject: string; title: string }>(`select subject, title from audit_alerts where tenant_id = $1 and rule_name = 'SSO failures'`, [a.tenantId]);
    expect(await alerts()).toEqual([]);
    // Two callbacks whose state is no sign-in of ours, from one address.
    for (let i = 0; i < 2; i++) expect(refused(await browse(new CookieJar(), `${callbackPrefix}?code=x&state=forged-${i}`))).toBe(true);
    for (let i = 0; i < 20 && !(await alerts()).length; i++) await new Promise((r) => setTimeout(r, 100)); // alerts follow the commit
    expect((await alerts()).map((x) => x.subject)).toContain('ip:127.0.0.1');
  });
});
