/**
 * Two-factor sign-in with TOTP (RFC 6238): enrolment, the two-step sign-in, recovery codes,
 * required roles and admin reset. Names follow SECURITY.md (A9, A10, B2, B6, B8, D2, D4). Codes
 * are computed here with otpauth from the secret the API returned, at the server's (test) clock.
 */
import { platformPlugin, withSystemContext } from '@bulwark/platform-api';
import { startTestServer, type GqlResult, type TestServer } from '@bulwark/platform-api/testing';
import { Secret, TOTP, URI } from 'otpauth';
import { createPersonas, PERSONA_PASSWORD, personaPasswordHash, type TenantPersonas } from './testing';
import { createUser } from './identity.service';
import { identityPlugin } from './index';

let t: TestServer;
let a: TenantPersonas;
let b: TenantPersonas;

const LOGIN = `mutation($input: LoginInput!) { login(input: $input) { token expiresAt twoFactorRequired challenge me { email } } }`;
const VERIFY = `mutation($input: VerifyTwoFactorInput!) { verifyTwoFactor(input: $input) { token expiresAt twoFactorRequired challenge me { email twoFactorEnabled } } }`;
const REAUTH = `mutation($p: String!) { reauthenticate(password: $p) { token } }`;
const BEGIN = `mutation { beginTwoFactorEnrolment { secret otpauthUrl qrSvg } }`;
const CONFIRM = `mutation($code: String!) { confirmTwoFactorEnrolment(code: $code) { codes } }`;
const DISABLE = `mutation { disableTwoFactor }`;
const REGENERATE = `mutation { regenerateRecoveryCodes { codes } }`;
const RESET = `mutation($id: ID!) { resetTwoFactor(userId: $id) }`;
const SETTINGS = `mutation($input: IdentitySettingsInput!) { updateIdentitySettings(input: $input) { lockoutThreshold twoFactorRequiredRoles } }`;
const ME = `{ me { email twoFactorEnabled twoFactorEnrolmentRequired } }`;

type Payload = { token: string | null; expiresAt: string | null; twoFactorRequired: boolean; challenge: string | null; me: { email: string } | null };
type Errors = { errors?: { message: string; extensions?: { code?: string } }[] };

const code = (r: Errors) => r.errors?.[0]?.extensions?.code;
/** What a client can tell apart: HTTP status, data, and each error's message and code. */
const shape = (r: GqlResult) => ({ status: r.status, data: r.data, errors: r.errors?.map((e) => ({ m: e.message, c: e.extensions?.code })) });
const INVALID = [{ m: 'Invalid email or password', c: 'UNAUTHENTICATED' }];

const login = (tenant: string, email: string, password = PERSONA_PASSWORD, token?: string) =>
  t.gql<{ login: Payload }>(LOGIN, { input: { tenant, email, password } }, { token });
const verify = (challenge: string, c: string, token?: string) =>
  t.gql<{ verifyTwoFactor: Payload & { me: { email: string; twoFactorEnabled: boolean } | null } }>(VERIFY, { input: { challenge, code: c } }, { token });
const reauth = async (token: string) => (await t.gql<{ reauthenticate: { token: string } }>(REAUTH, { p: PERSONA_PASSWORD }, { token })).data!.reauthenticate.token;
const alive = async (token: string) => !!(await t.gql(ME, {}, { token })).data;

/** The authenticator app: the code for `secret` at the server's current time (or `at`). */
const codeAt = (secret: string, at: Date = t.clock.now()) =>
  TOTP.generate({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30, timestamp: at.getTime() });
/** The next 30-second step's code: each step's code signs in once. */
const nextCode = (secret: string) => {
  t.clock.advance(30_000);
  return codeAt(secret);
};
/** Six digits that are no valid code anywhere near now. */
const wrongCode = (secret: string) => {
  const near = new Set([-2, -1, 0, 1, 2].map((d) => codeAt(secret, new Date(t.clock.now().getTime() + d * 30_000))));
  return ['000000', '111111', '222222'].find((c) => !near.has(c))!;
};

const userRow = async (id: string) =>
  (await t.ownerSql<{ totp_secret_enc: string | null; totp_enabled_at: Date | null; totp_last_step: string | null; failed_logins: number; locked_until: Date | null }>(
    'select totp_secret_enc, totp_enabled_at, totp_last_step, failed_logins, locked_until from users where id = $1',
    [id],
  ))[0];
const recoveryRows = (id: string) => t.ownerSql<{ code_hash: Buffer; used_at: Date | null }>('select code_hash, used_at from recovery_codes where user_id = $1', [id]);
const sessionCount = async (id: string) => (await t.ownerSql<{ n: number }>('select count(*)::int as n from sessions where user_id = $1', [id]))[0].n;

beforeAll(async () => {
  t = await startTestServer([platformPlugin, identityPlugin]);
  a = await createPersonas(t, 'acme');
  b = await createPersonas(t, 'globex');
});
afterAll(() => t?.close());
afterEach(async () => {
  t.clock.reset();
  await t.ownerSql('delete from login_throttle'); // each test's failures are its own
});

let seq = 0;
/** A new person in the tenant, signed in (password only); returns their id, email and session. */
async function person(p: TenantPersonas, role = 'agent') {
  const email = `person${++seq}@${p.slug}.test`;
  const passwordHash = await personaPasswordHash();
  const id = await withSystemContext(t.server.orm, t.server.app, p.tenantId, 'test', async (ctx) => {
    const u = await createUser(ctx, { email, name: email, role, passwordHash });
    await ctx.em.flush();
    return u.id;
  });
  const session = (await login(p.slug, email)).data!.login.token!;
  return { id, email, session };
}

/** A person who enrolled: their session (re-authenticated, current), TOTP secret and recovery codes. */
async function enrolled(p: TenantPersonas = a, role = 'agent') {
  const u = await person(p, role);
  const session = await reauth(u.session);
  const begin = await t.gql<{ beginTwoFactorEnrolment: { secret: string } }>(BEGIN, {}, { token: session });
  const secret = begin.data!.beginTwoFactorEnrolment.secret;
  const confirm = await t.gql<{ confirmTwoFactorEnrolment: { codes: string[] } }>(CONFIRM, { code: codeAt(secret) }, { token: session });
  expect(confirm.errors).toBeUndefined();
  return { ...u, session, secret, codes: confirm.data!.confirmTwoFactorEnrolment.codes };
}

/** Both steps; returns the session token. */
async function signInWithCode(p: TenantPersonas, email: string, secret: string) {
  const challenge = (await login(p.slug, email)).data!.login.challenge!;
  const r = await verify(challenge, nextCode(secret));
  expect(r.errors).toBeUndefined();
  return r.data!.verifyTwoFactor.token!;
}

describe('B8 enrolment starts with a recent re-authentication; a current code turns two-factor sign-in on', () => {
  it('refuses without re-authentication, then returns secret, otpauth URL and QR code, and 10 recovery codes once', async () => {
    const u = await person(a);
    expect(code(await t.gql(BEGIN, {}, { token: u.session }))).toBe('REAUTH_REQUIRED');
    expect(await userRow(u.id)).toMatchObject({ totp_secret_enc: null, totp_enabled_at: null });

    const session = await reauth(u.session);
    const begin = await t.gql<{ beginTwoFactorEnrolment: { secret: string; otpauthUrl: string; qrSvg: string } }>(BEGIN, {}, { token: session });
    expect(begin.errors).toBeUndefined();
    const { secret, otpauthUrl, qrSvg } = begin.data!.beginTwoFactorEnrolment;
    expect(secret).toMatch(/^[A-Z2-7]{32}$/); // 160 bits, base32
    const parsed = URI.parse(otpauthUrl) as TOTP;
    expect(parsed).toBeInstanceOf(TOTP);
    expect({ issuer: parsed.issuer, label: parsed.label, secret: parsed.secret.base32, algorithm: parsed.algorithm, digits: parsed.digits, period: parsed.period }).toEqual({
      issuer: 'Bulwark',
      label: `acme:${u.email}`,
      secret,
      algorithm: 'SHA1',
      digits: 6,
      period: 30,
    });
    expect(qrSvg).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);
    // Pending: stored (encrypted), not yet on, and sign-in still takes the password alone.
    expect(await userRow(u.id)).toMatchObject({ totp_secret_enc: expect.stringMatching(/^v1\./), totp_enabled_at: null });
    expect((await login('acme', u.email)).data!.login).toMatchObject({ twoFactorRequired: false, token: expect.stringMatching(/^bws_/) });

    const wrong = await t.gql(CONFIRM, { code: wrongCode(secret) }, { token: session });
    expect(code(wrong)).toBe('BAD_USER_INPUT');
    expect((await userRow(u.id)).totp_enabled_at).toBeNull();

    const confirmCode = codeAt(secret);
    const confirm = await t.gql<{ confirmTwoFactorEnrolment: { codes: string[] } }>(CONFIRM, { code: confirmCode }, { token: session });
    expect(confirm.errors).toBeUndefined();
    const codes = confirm.data!.confirmTwoFactorEnrolment.codes;
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const c of codes) expect(c).toMatch(/^[2-9a-hjkmnp-z]{5}-[2-9a-hjkmnp-z]{5}$/);
    expect((await t.gql(ME, {}, { token: session })).data).toEqual({ me: { email: u.email, twoFactorEnabled: true, twoFactorEnrolmentRequired: false } });
    expect((await userRow(u.id)).totp_enabled_at).not.toBeNull();
    expect(await recoveryRows(u.id)).toHaveLength(10);
    // The confirming code is spent: it cannot sign anyone in.
    const challenge = (await login('acme', u.email)).data!.login.challenge!;
    expect(shape(await verify(challenge, confirmCode)).errors).toEqual(INVALID);
    // Once on, a new enrolment is refused (it would replace the factor in use).
    expect(code(await t.gql(BEGIN, {}, { token: session }))).toBe('CONFLICT');
  });

  it('lets the session that started it confirm later without another password prompt; an abandoned start changes nothing', async () => {
    const u = await person(a);
    const other = (await login('acme', u.email)).data!.login.token!;
    const session = await reauth(u.session);
    const secret = (await t.gql<{ beginTwoFactorEnrolment: { secret: string } }>(BEGIN, {}, { token: session })).data!.beginTwoFactorEnrolment.secret;
    t.clock.advance(6 * 60_000);
    expect(await alive(other)).toBe(true);
    expect((await login('acme', u.email)).data!.login.twoFactorRequired).toBe(false);
    expect(code(await t.gql(CONFIRM, { code: wrongCode(secret) }, { token: session }))).toBe('BAD_USER_INPUT');
    const ok = await t.gql<{ confirmTwoFactorEnrolment: { codes: string[] } }>(CONFIRM, { code: codeAt(secret) }, { token: session });
    expect(ok.data!.confirmTwoFactorEnrolment.codes).toHaveLength(10);
    expect(code(await t.gql(CONFIRM, { code: nextCode(secret) }, { token: session }))).toBe('CONFLICT'); // already on
  });
});

describe('B2 sign-in takes two steps when two-factor sign-in is on; the session and its new token come with the second', () => {
  it('gives a challenge, no session, for the password; a token, cookie and me for the code; the old session dies', async () => {
    const u = await enrolled();
    const before = await sessionCount(u.id);
    const first = await login('acme', u.email, PERSONA_PASSWORD, u.session);
    expect(first.errors).toBeUndefined();
    expect(first.data!.login).toEqual({ token: null, expiresAt: null, me: null, twoFactorRequired: true, challenge: expect.stringMatching(/^bwc_[A-Za-z0-9_-]{65}$/) });
    expect(first.headers.get('set-cookie')).toBeNull();
    expect(await sessionCount(u.id)).toBe(before);
    expect(await alive(u.session)).toBe(true); // nothing replaced yet

    const second = await verify(first.data!.login.challenge!, nextCode(u.secret), u.session);
    expect(second.errors).toBeUndefined();
    const payload = second.data!.verifyTwoFactor;
    expect(payload).toEqual({
      token: expect.stringMatching(/^bws_[A-Za-z0-9_-]{65}$/),
      expiresAt: expect.any(String),
      twoFactorRequired: false,
      challenge: null,
      me: { email: u.email, twoFactorEnabled: true },
    });
    expect(second.headers.get('set-cookie')).toMatch(/^bulwark_session=bws_/);
    expect(payload.token).not.toBe(u.session);
    expect(await alive(payload.token!)).toBe(true);
    expect(await alive(u.session)).toBe(false); // B2: the session the request came with is replaced
    expect(await sessionCount(u.id)).toBe(before);
    // The challenge is spent.
    expect(await t.ownerSql('select 1 from login_challenges where user_id = $1', [u.id])).toEqual([]);
    expect(shape(await verify(first.data!.login.challenge!, nextCode(u.secret))).errors).toEqual(INVALID);
  });
});

describe('A9 a wrong code answers exactly like a wrong password; A10 it counts towards the lockout', () => {
  it('answers alike, counts, locks, refuses the right code while locked without extending the lock, and resets on success', async () => {
    const u = await enrolled();
    const [wrongPassword, challenge] = [await login('acme', u.email, 'not the password at all'), (await login('acme', u.email)).data!.login.challenge!];
    const throttleKey = `${a.tenantId}:`;
    const failures = async () => (await t.ownerSql<{ f: number }>('select coalesce(sum(failures), 0)::int as f from login_throttle where key like $1', [`${throttleKey}%`]))[0].f;
    const ipFailuresBefore = await failures();
    const wrong = await verify(challenge, wrongCode(u.secret));
    expect(shape(wrong)).toEqual(shape(wrongPassword));
    expect(shape(wrong)).toEqual({ status: 200, data: null, errors: INVALID });
    expect(await failures()).toBe(ipFailuresBefore + 1); // per-address throttling counts codes too
    expect((await userRow(u.id)).failed_logins).toBe(2); // one password, one code

    // Other ways the second step fails answer the same: no such challenge, a forged one, garbage.
    const otherTenant = Buffer.from(b.tenantId.replace(/-/g, ''), 'hex').toString('base64url');
    const forged = challenge.slice(0, 4) + otherTenant + challenge.slice(26); // D4
    for (const bad of [forged, `bwc_${'A'.repeat(65)}`, 'nonsense']) expect(shape(await verify(bad, codeAt(u.secret)))).toEqual(shape(wrongPassword));

    for (let i = 0; i < 3; i++) expect(shape(await verify(challenge, wrongCode(u.secret))).errors).toEqual(INVALID);
    const locked = await userRow(u.id);
    expect(locked.locked_until).not.toBeNull(); // 5 failures: 1 password + 4 codes
    expect(locked.failed_logins).toBe(0);
    expect(await t.ownerSql('select attempts from login_challenges where user_id = $1', [u.id])).toEqual([{ attempts: 4 }]);

    // Locked: the right code fails like any other (the challenge still had an attempt left), and
    // so does the right password; neither extends the lock.
    expect(shape(await verify(challenge, nextCode(u.secret)))).toEqual(shape(wrongPassword));
    expect(shape(await login('acme', u.email))).toEqual(shape(wrongPassword));
    expect(shape(await verify(challenge, wrongCode(u.secret))).errors).toEqual(INVALID);
    expect((await userRow(u.id)).locked_until).toEqual(locked.locked_until);

    t.clock.advance(16 * 60_000);
    const token = await signInWithCode(a, u.email, u.secret);
    expect(await alive(token)).toBe(true);
    expect(await userRow(u.id)).toMatchObject({ failed_logins: 0, locked_until: null });
  });

  it('does not let the right password reset the count that wrong codes built up', async () => {
    const u = await enrolled();
    for (let i = 0; i < 4; i++) {
      const challenge = (await login('acme', u.email)).data!.login.challenge!; // right password each time
      expect(shape(await verify(challenge, wrongCode(u.secret))).errors).toEqual(INVALID);
    }
    expect((await userRow(u.id)).failed_logins).toBe(4);
    const challenge = (await login('acme', u.email)).data!.login.challenge!;
    await verify(challenge, wrongCode(u.secret));
    expect((await userRow(u.id)).locked_until).not.toBeNull();
  });
});

describe('A10 a challenge expires after 5 minutes and takes at most 5 codes', () => {
  it('refuses an expired challenge and a sixth code, even when sent all at once', async () => {
    const p = await createPersonas(t, 'acme-attempts');
    const admin = (await login(p.slug, `admin@${p.slug}.test`)).data!.login.token!;
    expect((await t.gql(SETTINGS, { input: { lockoutThreshold: 50 } }, { token: admin })).data).toEqual({
      updateIdentitySettings: { lockoutThreshold: 50, twoFactorRequiredRoles: [] },
    });
    const u = await enrolled(p);

    const late = (await login(p.slug, u.email)).data!.login.challenge!;
    t.clock.advance(5 * 60_000 + 1000);
    expect(shape(await verify(late, codeAt(u.secret))).errors).toEqual(INVALID);

    // Ten wrong codes at once on one challenge: only five are tried; the rest fail unseen.
    const challenge = (await login(p.slug, u.email)).data!.login.challenge!;
    const wrong = wrongCode(u.secret);
    const all = await Promise.all(Array.from({ length: 10 }, () => verify(challenge, wrong)));
    expect(all.map((r) => shape(r).errors)).toEqual(Array(10).fill(INVALID));
    expect(await t.ownerSql('select attempts from login_challenges where user_id = $1 and expires_at > $2', [u.id, t.clock.now()])).toEqual([{ attempts: 5 }]);
    expect((await userRow(u.id)).failed_logins).toBe(5); // counted once per code tried
    expect(shape(await verify(challenge, nextCode(u.secret))).errors).toEqual(INVALID); // right, but too late
    expect(await alive(await signInWithCode(p, u.email, u.secret))).toBe(true); // a new challenge works
  });
});

describe('A10 a code works once (replay)', () => {
  it('refuses a code already used, and an older one, in a new challenge', async () => {
    const u = await enrolled();
    const first = (await login('acme', u.email)).data!.login.challenge!;
    t.clock.advance(30_000);
    const at = t.clock.now().getTime();
    const c = codeAt(u.secret, new Date(at));
    expect((await verify(first, c)).errors).toBeUndefined();
    expect(Number((await userRow(u.id)).totp_last_step)).toBe(Math.floor(at / 30_000)); // the step of the code used
    const older = codeAt(u.secret, new Date(at - 30_000));
    const second = (await login('acme', u.email)).data!.login.challenge!;
    expect(shape(await verify(second, c)).errors).toEqual(INVALID); // same time step
    expect(shape(await verify(second, older)).errors).toEqual(INVALID); // an earlier step
    expect((await verify(second, nextCode(u.secret))).errors).toBeUndefined(); // the next step's code does
  });
});

describe('recovery codes', () => {
  it('each signs in once, typed in any case with or without the dash', async () => {
    const u = await enrolled();
    const [c0, c1] = u.codes;
    const r0 = await verify((await login('acme', u.email)).data!.login.challenge!, c0.toUpperCase());
    expect(r0.errors).toBeUndefined();
    expect(r0.data!.verifyTwoFactor.token).toMatch(/^bws_/);
    expect((await recoveryRows(u.id)).filter((r) => r.used_at)).toHaveLength(1);

    const challenge = (await login('acme', u.email)).data!.login.challenge!;
    expect(shape(await verify(challenge, c0)).errors).toEqual(INVALID); // spent
    const r1 = await verify(challenge, ` ${c1.replace('-', '')} `);
    expect(r1.errors).toBeUndefined();
    expect((await recoveryRows(u.id)).filter((r) => r.used_at)).toHaveLength(2);
  });

  it('B8 regenerating needs a recent re-authentication and retires the old codes', async () => {
    const u = await enrolled();
    t.clock.advance(6 * 60_000);
    expect(code(await t.gql(REGENERATE, {}, { token: u.session }))).toBe('REAUTH_REQUIRED');
    const session = await reauth(u.session);
    const r = await t.gql<{ regenerateRecoveryCodes: { codes: string[] } }>(REGENERATE, {}, { token: session });
    expect(r.errors).toBeUndefined();
    const fresh = r.data!.regenerateRecoveryCodes.codes;
    expect(fresh).toHaveLength(10);
    expect(fresh.some((c) => u.codes.includes(c))).toBe(false);
    expect(await recoveryRows(u.id)).toHaveLength(10);
    const challenge = (await login('acme', u.email)).data!.login.challenge!;
    expect(shape(await verify(challenge, u.codes[2])).errors).toEqual(INVALID);
    expect((await verify(challenge, fresh[2])).errors).toBeUndefined();
  });

  it('are refused while two-factor sign-in is off', async () => {
    const u = await person(a);
    expect(code(await t.gql(REGENERATE, {}, { token: await reauth(u.session) }))).toBe('CONFLICT');
  });
});

describe('B1/B9 secrets at rest: recovery codes hashed, the TOTP secret encrypted, challenges hashed', () => {
  it('keeps no plaintext code, secret or challenge in the database', async () => {
    const u = await enrolled();
    const challenge = (await login('acme', u.email)).data!.login.challenge!;
    const rows = await recoveryRows(u.id);
    expect(rows).toHaveLength(10);
    for (const r of rows) expect(r.code_hash).toHaveLength(32);
    const dump = JSON.stringify([
      await t.ownerSql('select * from users where id = $1', [u.id]),
      await t.ownerSql('select *, encode(code_hash, $2) as hex from recovery_codes where user_id = $1', [u.id, 'escape']),
      await t.ownerSql('select *, encode(token_hash, $2) as hex from login_challenges where user_id = $1', [u.id, 'escape']),
    ]);
    expect(dump).not.toContain(u.secret);
    expect(dump.toLowerCase()).not.toContain(u.secret.toLowerCase());
    for (const c of u.codes) {
      expect(dump).not.toContain(c);
      expect(dump).not.toContain(c.replace('-', ''));
    }
    expect(dump).not.toContain(challenge.slice(4 + 22));
    const secretBytes = Secret.fromBase32(u.secret);
    expect(dump).not.toContain(secretBytes.hex);
    const { totp_secret_enc } = await userRow(u.id);
    expect(totp_secret_enc).toMatch(/^v1\.[A-Za-z0-9_-]+$/);
  });
});

describe('required roles: a tenant admin requires two-factor sign-in per role', () => {
  it('validates role names, flags members who have not enrolled, and keeps them from turning it off', async () => {
    const p = await createPersonas(t, 'acme-required');
    const admin = (await login(p.slug, `admin@${p.slug}.test`)).data!.login.token!;
    expect(code(await t.gql(SETTINGS, { input: { twoFactorRequiredRoles: ['wizard'] } }, { token: admin }))).toBe('BAD_USER_INPUT');
    expect(code(await t.gql(SETTINGS, { input: { twoFactorRequiredRoles: ['agent'] } }, { token: p.agent.token }))).toBe('FORBIDDEN');
    const set = await t.gql(SETTINGS, { input: { twoFactorRequiredRoles: ['agent'] } }, { token: admin });
    expect(set.data).toEqual({ updateIdentitySettings: { lockoutThreshold: 5, twoFactorRequiredRoles: ['agent'] } });
    expect((await t.gql(`{ identitySettings { twoFactorRequiredRoles } }`, {}, { token: admin })).data).toEqual({ identitySettings: { twoFactorRequiredRoles: ['agent'] } });
    // a null leaves the setting as it is
    expect((await t.gql(SETTINGS, { input: { twoFactorRequiredRoles: null } }, { token: admin })).data).toEqual(set.data);

    // Not enrolled yet: sign-in still works, and `me` says enrolment is required (for agents only).
    const agent = await login(p.slug, `agent@${p.slug}.test`);
    expect(agent.data!.login).toMatchObject({ twoFactorRequired: false, token: expect.stringMatching(/^bws_/) });
    expect((await t.gql(ME, {}, { token: agent.data!.login.token! })).data).toEqual({
      me: { email: `agent@${p.slug}.test`, twoFactorEnabled: false, twoFactorEnrolmentRequired: true },
    });
    expect((await t.gql(ME, {}, { token: p.requester.token })).data!.me).toMatchObject({ twoFactorEnrolmentRequired: false });
    // Enforcement: until they enrol, the session reaches only what any signed-in person may.
    const USERS = `{ users { totalCount } }`;
    const PERMS = `{ me { permissions } }`;
    const agentToken = agent.data!.login.token!;
    expect(code(await t.gql(USERS, {}, { token: agentToken }))).toBe('FORBIDDEN');
    expect(code(await t.gql(USERS, {}, { token: p.agent.token }))).toBe('FORBIDDEN'); // an older session too, at once
    expect((await t.gql<{ me: { permissions: string[] } }>(PERMS, {}, { token: agentToken })).data!.me.permissions).toEqual([]);
    expect((await t.gql(USERS, {}, { token: admin })).data).toBeTruthy(); // admins are not in the required role

    const u = await enrolled(p, 'agent');
    expect((await t.gql(ME, {}, { token: u.session })).data!.me).toEqual({ email: u.email, twoFactorEnabled: true, twoFactorEnrolmentRequired: false });
    expect((await t.gql(USERS, {}, { token: u.session })).data).toBeTruthy(); // enrolled: permissions are back
    const refused = await t.gql(DISABLE, {}, { token: u.session });
    expect(refused.errors?.[0]).toMatchObject({ extensions: { code: 'CONFLICT' }, message: expect.stringMatching(/requires two-factor/) });
    expect((await userRow(u.id)).totp_enabled_at).not.toBeNull();

    await t.gql(SETTINGS, { input: { twoFactorRequiredRoles: [] } }, { token: admin });
    expect((await t.gql(DISABLE, {}, { token: u.session })).data).toEqual({ disableTwoFactor: true });
    expect(await userRow(u.id)).toMatchObject({ totp_secret_enc: null, totp_enabled_at: null, totp_last_step: null });
    expect(await recoveryRows(u.id)).toEqual([]);
    expect((await login(p.slug, u.email)).data!.login).toMatchObject({ twoFactorRequired: false, token: expect.stringMatching(/^bws_/) });
  });
});

describe('B6 a two-factor change ends the other sessions and keeps the current one', () => {
  it('on enrolment, new recovery codes and turning it off', async () => {
    const u = await person(a);
    const other1 = (await login('acme', u.email)).data!.login.token!;
    const session = await reauth(u.session);
    const secret = (await t.gql<{ beginTwoFactorEnrolment: { secret: string } }>(BEGIN, {}, { token: session })).data!.beginTwoFactorEnrolment.secret;
    expect(await alive(other1)).toBe(true); // starting changes nothing yet
    await t.gql(CONFIRM, { code: codeAt(secret) }, { token: session });
    expect([await alive(session), await alive(other1)]).toEqual([true, false]);

    const other2 = await signInWithCode(a, u.email, secret);
    await t.gql(REGENERATE, {}, { token: session });
    expect([await alive(session), await alive(other2)]).toEqual([true, false]);

    const other3 = await signInWithCode(a, u.email, secret);
    t.clock.advance(6 * 60_000);
    expect(code(await t.gql(DISABLE, {}, { token: session }))).toBe('REAUTH_REQUIRED'); // B8
    expect(await alive(other3)).toBe(true);
    const again = await reauth(session);
    expect((await t.gql(DISABLE, {}, { token: again })).data).toEqual({ disableTwoFactor: true });
    expect([await alive(again), await alive(other3)]).toEqual([true, false]);
    expect((await t.gql(DISABLE, {}, { token: again })).data).toEqual({ disableTwoFactor: false }); // already off
  });
});

describe('admin reset of a person’s two-factor sign-in', () => {
  it('is for user managers only (FORBIDDEN for agents), NOT_FOUND across tenants (D2), and clears 2FA and sessions', async () => {
    const u = await enrolled();
    const other = await signInWithCode(a, u.email, u.secret);
    expect(code(await t.gql(RESET, { id: u.id }, { token: a.agent.token }))).toBe('FORBIDDEN');
    expect(code(await t.gql(RESET, { id: u.id }, { token: a.requester.token }))).toBe('FORBIDDEN');
    expect(code(await t.gql(RESET, { id: u.id }))).toBe('UNAUTHENTICATED');

    const adminA = (await login('acme', 'admin@acme.test')).data!.login.token!;
    expect(code(await t.gql(RESET, { id: u.id }, { token: adminA }))).toBe('REAUTH_REQUIRED'); // B8
    const adminB = await reauth((await login('globex', 'admin@globex.test')).data!.login.token!);
    const crossTenant = await t.gql(RESET, { id: u.id }, { token: adminB });
    const missing = await t.gql(RESET, { id: '00000000-0000-4000-8000-000000000000' }, { token: adminB });
    expect(shape(crossTenant)).toEqual(shape(missing));
    expect(code(crossTenant)).toBe('NOT_FOUND');
    expect(code(await t.gql(RESET, { id: 'not-a-uuid' }, { token: adminB }))).toBe('NOT_FOUND');
    // B's admin changed nothing of A's person
    expect((await userRow(u.id)).totp_enabled_at).not.toBeNull();
    expect(await recoveryRows(u.id)).toHaveLength(10);
    expect([await alive(u.session), await alive(other)]).toEqual([true, true]);

    const admin = await reauth(adminA);
    expect((await t.gql(RESET, { id: u.id }, { token: admin })).data).toEqual({ resetTwoFactor: true });
    expect(await userRow(u.id)).toMatchObject({ totp_secret_enc: null, totp_enabled_at: null, totp_last_step: null });
    expect(await recoveryRows(u.id)).toEqual([]);
    expect([await alive(u.session), await alive(other), await alive(admin)]).toEqual([false, false, true]);
    const after = await login('acme', u.email);
    expect(after.data!.login).toMatchObject({ twoFactorRequired: false, challenge: null, token: expect.stringMatching(/^bws_/) });
    // Nothing to reset: false, and their sessions stay.
    expect((await t.gql(RESET, { id: u.id }, { token: admin })).data).toEqual({ resetTwoFactor: false });
    expect(await alive(after.data!.login.token!)).toBe(true);
  });

  it('also ends a pending second step', async () => {
    const u = await enrolled();
    const challenge = (await login('acme', u.email)).data!.login.challenge!;
    const admin = await reauth((await login('acme', 'admin@acme.test')).data!.login.token!);
    await t.gql(RESET, { id: u.id }, { token: admin });
    expect(shape(await verify(challenge, nextCode(u.secret))).errors).toEqual(INVALID);
  });
});
