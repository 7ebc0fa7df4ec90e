/**
 * Password policy, lockout, resets and invitations, tenant session settings (SECURITY.md A5, A6,
 * A10, A13, B4, B6), through the API, on a real database, with mail captured in memory and once
 * through a real SMTP server.
 */
import { memoryMailSender, platformPlugin } from '@bulwark/platform-api';
import { startTestServer, type TestServer } from '@bulwark/platform-api/testing';
import { SMTPServer } from 'smtp-server';
import { createPersonas, PERSONA_PASSWORD, type TenantPersonas } from './testing';
import { identityPlugin } from './index';

const mail = memoryMailSender();
let t: TestServer;
let a: TenantPersonas;
let b: TenantPersonas;

const LOGIN = `mutation($input: LoginInput!) { login(input: $input) { token } }`;
const CHANGE = `mutation($input: ChangePasswordInput!) { changePassword(input: $input) }`;
const RESET_REQ = `mutation($input: PasswordResetRequestInput!) { requestPasswordReset(input: $input) }`;
const RESET = `mutation($input: TokenPasswordInput!) { resetPassword(input: $input) }`;
const INVITE = `mutation($input: InviteUserInput!) { inviteUser(input: $input) { id email role } }`;
const ACCEPT = `mutation($input: TokenPasswordInput!) { acceptInvitation(input: $input) }`;
const SETTINGS = `mutation($input: IdentitySettingsInput!) { updateIdentitySettings(input: $input) { passwordMinLength lockoutThreshold sessionIdleMinutes } }`;
const ME = `{ me { email } }`;

const code = (r: { errors?: { extensions?: { code?: string } }[] }) => r.errors?.[0]?.extensions?.code;
const login = (tenant: string, email: string, password: string, headers: Record<string, string> = {}) =>
  t.gql<{ login: { token: string } }>(LOGIN, { input: { tenant, email, password } }, { headers });
const linkToken = (text: string) => /#\/[a-z-]+\?token=(bw[ri]_[A-Za-z0-9_-]{65})/.exec(text)?.[1];

beforeAll(async () => {
  t = await startTestServer([platformPlugin, identityPlugin], {}, { mail });
  a = await createPersonas(t, 'umbrella');
  b = await createPersonas(t, 'cyberdyne');
});
afterAll(() => t?.close());
afterEach(() => t.clock.reset());

async function freshUser(email: string, password = 'first password of many') {
  const r = await t.gql<{ inviteUser: { id: string } }>(INVITE, { input: { email, name: email, role: 'agent' } }, { token: a.admin.token });
  await t.drainOutbox();
  const token = linkToken(mail.sent.at(-1)!.text)!;
  expect((await t.gql(ACCEPT, { input: { token, password } })).data).toEqual({ acceptInvitation: true });
  const session = (await login('umbrella', email, password)).data!.login.token;
  return { id: r.data!.inviteUser.id, session };
}

describe('A5 common passwords and context words are refused when a password is set', () => {
  it('refuses breached-list passwords, the tenant name and the email local part', async () => {
    const u = await freshUser('carol.smith@umbrella.test');
    for (const bad of ['password1234', 'qwertyuiop123', 'umbrella corporation rocks', 'i am carol smith, hello', 'bulwark passphrase']) {
      const r = await t.gql(CHANGE, { input: { currentPassword: 'first password of many', newPassword: bad } }, { token: u.session });
      expect({ bad, code: code(r) }).toEqual({ bad, code: 'BAD_USER_INPUT' });
    }
  });
});

describe('A6 changing a password needs the current one; B6 it ends the other sessions', () => {
  it('refuses a wrong current password, then changes it and signs out elsewhere', async () => {
    const u = await freshUser('dave@umbrella.test');
    const other = (await login('umbrella', 'dave@umbrella.test', 'first password of many')).data!.login.token;
    const wrong = await t.gql(CHANGE, { input: { currentPassword: 'not it at all', newPassword: 'a brand new passphrase' } }, { token: u.session });
    expect(code(wrong)).toBe('BAD_USER_INPUT');
    const ok = await t.gql(CHANGE, { input: { currentPassword: 'first password of many', newPassword: 'a brand new passphrase' } }, { token: u.session });
    expect(ok.data).toEqual({ changePassword: true });
    expect((await t.gql(ME, {}, { token: u.session })).data).toBeTruthy(); // this session stays
    expect(code(await t.gql(ME, {}, { token: other }))).toBe('UNAUTHENTICATED'); // the other ended
    expect(code(await login('umbrella', 'dave@umbrella.test', 'first password of many'))).toBe('UNAUTHENTICATED');
    expect((await login('umbrella', 'dave@umbrella.test', 'a brand new passphrase')).data).toBeTruthy();
  });

  it('refuses reusing any of the last N passwords (history)', async () => {
    const u = await freshUser('erin@umbrella.test', 'password number zero');
    const change = (from: string, to: string) => t.gql(CHANGE, { input: { currentPassword: from, newPassword: to } }, { token: u.session });
    expect((await change('password number zero', 'password number one')).data).toBeTruthy();
    expect((await change('password number one', 'password number two')).data).toBeTruthy();
    expect(code(await change('password number two', 'password number two'))).toBe('BAD_USER_INPUT'); // the current one
    expect(code(await change('password number two', 'password number zero'))).toBe('BAD_USER_INPUT'); // an earlier one
  });
});

describe('A10 lockout', () => {
  it('locks after 5 failures, refuses the right password while locked, and does not extend the lock', async () => {
    await freshUser('frank@umbrella.test', 'the right passphrase');
    for (let i = 0; i < 5; i++) expect(code(await login('umbrella', i % 2 ? 'FRANK@umbrella.test' : 'frank@umbrella.test', 'wrong guess number x'))).toBe('UNAUTHENTICATED');
    const [{ locked_until: lockedAt }] = await t.ownerSql<{ locked_until: Date }>(`select locked_until from users where email = 'frank@umbrella.test'`);
    expect(lockedAt).not.toBeNull();
    const locked = await login('umbrella', 'frank@umbrella.test', 'the right passphrase');
    expect(locked.errors?.[0]).toMatchObject({ message: 'Invalid email or password', extensions: { code: 'UNAUTHENTICATED' } }); // A9: same answer
    await login('umbrella', 'frank@umbrella.test', 'wrong again during the lock');
    const [{ locked_until: after }] = await t.ownerSql<{ locked_until: Date }>(`select locked_until from users where email = 'frank@umbrella.test'`);
    expect(after).toEqual(lockedAt);
    t.clock.advance(16 * 60_000);
    expect((await login('umbrella', 'frank@umbrella.test', 'the right passphrase')).data).toBeTruthy();
    const [row] = await t.ownerSql(`select failed_logins, locked_until from users where email = 'frank@umbrella.test'`);
    expect(row).toEqual({ failed_logins: 0, locked_until: null });
  });

  it('resets the count on success, and lets an admin unlock', async () => {
    const u = await freshUser('gina@umbrella.test', 'the right passphrase');
    for (let i = 0; i < 4; i++) await login('umbrella', 'gina@umbrella.test', 'wrong guess number y');
    expect((await login('umbrella', 'gina@umbrella.test', 'the right passphrase')).data).toBeTruthy();
    for (let i = 0; i < 4; i++) await login('umbrella', 'gina@umbrella.test', 'wrong guess number y');
    expect((await login('umbrella', 'gina@umbrella.test', 'the right passphrase')).data).toBeTruthy(); // 4 + 4 never reached 5
    for (let i = 0; i < 5; i++) await login('umbrella', 'gina@umbrella.test', 'wrong guess number y');
    expect(code(await login('umbrella', 'gina@umbrella.test', 'the right passphrase'))).toBe('UNAUTHENTICATED');
    const unlock = `mutation($id: ID!) { unlockUser(id: $id) }`;
    expect(code(await t.gql(unlock, { id: u.id }, { token: a.agent.token }))).toBe('FORBIDDEN');
    expect(code(await t.gql(unlock, { id: u.id }, { token: b.admin.token }))).toBe('NOT_FOUND'); // another tenant's admin
    expect((await t.gql(unlock, { id: u.id }, { token: a.admin.token })).data).toEqual({ unlockUser: true });
    expect((await login('umbrella', 'gina@umbrella.test', 'the right passphrase')).data).toBeTruthy();
  });

  it('counts failures that arrive at once (several hashes in flight, as with several API processes)', async () => {
    const wide = await startTestServer([platformPlugin, identityPlugin], { BULWARK_HASH_CONCURRENCY: '8' }, { mail });
    try {
      const p = await createPersonas(wide, 'concurrent');
      const tries = await Promise.all(Array.from({ length: 5 }, () => wide.gql(LOGIN, { input: { tenant: 'concurrent', email: p.agent.email, password: 'five wrong guesses at once' } })));
      expect(tries.map(code)).toEqual(Array(5).fill('UNAUTHENTICATED'));
      const [row] = await wide.ownerSql<{ failed_logins: number; locked_until: Date | null }>('select failed_logins, locked_until from users where id = $1', [p.agent.id]);
      expect(row.locked_until).not.toBeNull(); // the fifth failure locked it: none was lost
      expect(row.failed_logins).toBe(0);
    } finally {
      await wide.close();
    }
  });

  it('throttles one address per tenant, without throttling other tenants (D9)', async () => {
    const headers = { 'x-forwarded-for': '203.0.113.7' }; // not trusted (0 hops): ignored, the peer address counts
    const attempts = await Promise.all(Array.from({ length: 32 }, (_, i) => login('umbrella', `nobody${i}@umbrella.test`, 'guess guess guess', headers)));
    expect(attempts.filter((r) => code(r) === 'RATE_LIMITED').length).toBeGreaterThanOrEqual(1);
    const limited = await login('umbrella', 'admin@umbrella.test', PERSONA_PASSWORD);
    expect(code(limited)).toBe('RATE_LIMITED');
    expect(limited.errors?.[0].extensions?.retryAfter).toBeGreaterThan(0);
    expect((await login('cyberdyne', 'admin@cyberdyne.test', PERSONA_PASSWORD)).data).toBeTruthy();
    await t.ownerSql(`delete from login_throttle`);
  });
});

describe('A13 password reset', () => {
  it('answers the same for known and unknown emails and mails only the known', async () => {
    const before = mail.sent.length;
    const known = await t.gql(RESET_REQ, { input: { tenant: 'umbrella', email: 'agent@umbrella.test' } });
    const unknown = await t.gql(RESET_REQ, { input: { tenant: 'umbrella', email: 'nobody@umbrella.test' } });
    const noTenant = await t.gql(RESET_REQ, { input: { tenant: 'no-such', email: 'agent@umbrella.test' } });
    expect([known, unknown, noTenant].map((r) => ({ s: r.status, d: r.data, e: r.errors }))).toEqual(
      Array(3).fill({ s: 200, d: { requestPasswordReset: true }, e: undefined }),
    );
    await t.drainOutbox();
    expect(mail.sent.length).toBe(before + 1);
    expect(mail.sent.at(-1)!.to).toBe('agent@umbrella.test');
  });

  it('is single-use, hashed at rest, expires after an hour, and ends every session', async () => {
    const u = await freshUser('hank@umbrella.test', 'the old passphrase');
    await t.gql(RESET_REQ, { input: { tenant: 'umbrella', email: 'hank@umbrella.test' } });
    await t.drainOutbox();
    const token = linkToken(mail.sent.at(-1)!.text)!;
    expect(token).toMatch(/^bwr_/);
    expect(mail.sent.at(-1)!.text).toContain('/#/reset-password?token='); // in the fragment: never sent to a server (B9)
    expect(JSON.stringify(await t.ownerSql('select * from auth_tokens'))).not.toContain(token.slice(4 + 22));
    expect((await t.gql(RESET, { input: { token, password: 'the new passphrase' } })).data).toEqual({ resetPassword: true });
    expect(code(await t.gql(RESET, { input: { token, password: 'another passphrase' } }))).toBe('BAD_USER_INPUT'); // used
    expect(code(await t.gql(ME, {}, { token: u.session }))).toBe('UNAUTHENTICATED');
    expect((await login('umbrella', 'hank@umbrella.test', 'the new passphrase')).data).toBeTruthy();

    await t.gql(RESET_REQ, { input: { tenant: 'umbrella', email: 'hank@umbrella.test' } });
    await t.drainOutbox();
    const late = linkToken(mail.sent.at(-1)!.text)!;
    t.clock.advance(61 * 60_000);
    expect(code(await t.gql(RESET, { input: { token: late, password: 'a later passphrase' } }))).toBe('BAD_USER_INPUT');
  });

  it('refuses a token edited to name another tenant', async () => {
    await t.gql(RESET_REQ, { input: { tenant: 'umbrella', email: 'agent@umbrella.test' } });
    await t.drainOutbox();
    const token = linkToken(mail.sent.at(-1)!.text)!;
    const otherTenant = Buffer.from(b.tenantId.replace(/-/g, ''), 'hex').toString('base64url');
    const forged = token.slice(0, 4) + otherTenant + token.slice(26);
    expect(code(await t.gql(RESET, { input: { token: forged, password: 'a forged passphrase' } }))).toBe('BAD_USER_INPUT');
  });
});

describe('invitations', () => {
  it('only managers invite; the invited cannot sign in before accepting; the link expires in 7 days', async () => {
    expect(code(await t.gql(INVITE, { input: { email: 'x@umbrella.test', name: 'X', role: 'agent' } }, { token: a.agent.token }))).toBe('FORBIDDEN');
    await t.gql(INVITE, { input: { email: 'ivy@umbrella.test', name: 'Ivy', role: 'agent' } }, { token: a.admin.token });
    await t.drainOutbox();
    const token = linkToken(mail.sent.at(-1)!.text)!;
    expect(mail.sent.at(-1)!.subject).toMatch(/invited to Tenant umbrella/);
    expect(code(await login('umbrella', 'ivy@umbrella.test', 'anything at all here'))).toBe('UNAUTHENTICATED');
    t.clock.advance(8 * 24 * 3600_000);
    expect(code(await t.gql(ACCEPT, { input: { token, password: 'ivy chose this one' } }))).toBe('BAD_USER_INPUT');
    t.clock.reset();
    expect((await t.gql(ACCEPT, { input: { token, password: 'ivy chose this one' } })).data).toEqual({ acceptInvitation: true });
    expect((await login('umbrella', 'ivy@umbrella.test', 'ivy chose this one')).data).toBeTruthy();
  });
});

describe('tenant identity settings', () => {
  it('are changed by admins only, validated, and applied (min length, B4 idle timeout)', async () => {
    expect(code(await t.gql(SETTINGS, { input: { passwordMinLength: 16 } }, { token: a.agent.token }))).toBe('FORBIDDEN');
    expect(code(await t.gql(SETTINGS, { input: { passwordMinLength: 11 } }, { token: a.admin.token }))).toBe('BAD_USER_INPUT');
    const r = await t.gql(SETTINGS, { input: { passwordMinLength: 16, sessionIdleMinutes: 10 } }, { token: a.admin.token });
    expect(r.data).toEqual({ updateIdentitySettings: { passwordMinLength: 16, lockoutThreshold: 5, sessionIdleMinutes: 10 } });
    const u = await freshUser('jack@umbrella.test', 'sixteen chars ok');
    const short = await t.gql(CHANGE, { input: { currentPassword: 'sixteen chars ok', newPassword: 'fifteen chars x' } }, { token: u.session });
    expect(code(short)).toBe('BAD_USER_INPUT');
    t.clock.advance(11 * 60_000);
    expect(code(await t.gql(ME, {}, { token: u.session }))).toBe('UNAUTHENTICATED'); // idle 10 min in this tenant
    expect((await t.gql(ME, {}, { token: b.agent.token })).data).toBeTruthy(); // the other tenant keeps 30
    t.clock.reset();
    await t.gql(SETTINGS, { input: { passwordMinLength: 12, sessionIdleMinutes: 30 } }, { token: a.admin.token });
  });
});

describe('optional password expiry', () => {
  it('restricts a session whose password is too old until the password changes', async () => {
    const EXPIRY = `mutation($d: Int!) { updateIdentitySettings(input: { passwordExpiryDays: $d }) { passwordExpiryDays } }`;
    expect(code(await t.gql(EXPIRY, { d: 10 }, { token: a.admin.token }))).toBe('BAD_USER_INPUT');
    expect((await t.gql(EXPIRY, { d: 30 }, { token: a.admin.token })).data).toEqual({ updateIdentitySettings: { passwordExpiryDays: 30 } });
    await freshUser('kate@umbrella.test', 'one older passphrase');
    t.clock.advance(31 * 24 * 3600_000);
    try {
      const session = (await login('umbrella', 'kate@umbrella.test', 'one older passphrase')).data!.login.token;
      const USERS = `{ users { totalCount } }`;
      expect(code(await t.gql(USERS, {}, { token: session }))).toBe('FORBIDDEN');
      expect((await t.gql(`{ me { passwordExpired permissions } }`, {}, { token: session })).data).toEqual({ me: { passwordExpired: true, permissions: [] } });
      await t.gql(CHANGE, { input: { currentPassword: 'one older passphrase', newPassword: 'one newer passphrase' } }, { token: session });
      expect((await t.gql(USERS, {}, { token: session })).data).toBeTruthy();
      expect((await t.gql(`{ me { passwordExpired } }`, {}, { token: session })).data).toEqual({ me: { passwordExpired: false } });
    } finally {
      t.clock.reset();
      const admin = (await login('umbrella', 'admin@umbrella.test', PERSONA_PASSWORD)).data!.login.token;
      expect((await t.gql(EXPIRY, { d: 0 }, { token: admin })).data).toEqual({ updateIdentitySettings: { passwordExpiryDays: null } });
    }
  });
});

describe('mail through a real SMTP server', () => {
  it('delivers the reset mail over SMTP', async () => {
    const received: string[] = [];
    const smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      onData(stream, _session, cb) {
        let data = '';
        stream.on('data', (c: Buffer) => (data += c.toString()));
        stream.on('end', () => {
          received.push(data);
          cb();
        });
      },
    });
    await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', () => r()));
    const port = (smtp.server.address() as { port: number }).port;
    const s = await startTestServer(
      [platformPlugin, identityPlugin],
      { BULWARK_SMTP_URL: `smtp://127.0.0.1:${port}`, BULWARK_PUBLIC_URL: 'https://desk.example' },
      { mail: 'configured' },
    );
    try {
      await createPersonas(s, 'smtpcorp');
      const r = await s.gql(RESET_REQ, { input: { tenant: 'smtpcorp', email: 'agent@smtpcorp.test' } });
      expect(r.data).toEqual({ requestPasswordReset: true });
      // the mail leaves after the commit, without holding up the response
      for (let i = 0; i < 50 && !received.length; i++) await new Promise((res) => setTimeout(res, 100));
      expect(received).toHaveLength(1);
      expect(received[0]).toMatch(/To: agent@smtpcorp\.test/);
      expect(received[0]).toMatch(/Subject: Reset your Bulwark password/);
      const body = received[0].replace(/=\r?\n/g, '').replace(/=3D/g, '='); // quoted-printable
      expect(body).toMatch(/https:\/\/desk\.example\/#\/reset-password\?token=bwr_[A-Za-z0-9_-]{65}/);
    } finally {
      await s.close();
      await new Promise<void>((r) => smtp.close(() => r()));
    }
  });
});
