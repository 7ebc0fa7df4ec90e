/** Sessions and people management: SECURITY.md B2, B6, B7, B8, plus the last-owner guard and sign-up. */
import { memoryMailSender, platformPlugin } from '@bulwark/platform-api';
import { startTestServer, type TestServer } from '@bulwark/platform-api/testing';
import { createPersonas, PERSONA_PASSWORD, type TenantPersonas } from './testing';
import { identityPlugin } from './index';

const mail = memoryMailSender();
let t: TestServer;
let a: TenantPersonas;
let b: TenantPersonas;

const LOGIN = `mutation($input: LoginInput!) { login(input: $input) { token } }`;
const ME = `{ me { email } }`;
const code = (r: { errors?: { extensions?: { code?: string } }[] }) => r.errors?.[0]?.extensions?.code;
const signIn = async (email: string, tenant = 'stark') =>
  (await t.gql<{ login: { token: string } }>(LOGIN, { input: { tenant, email, password: PERSONA_PASSWORD } }, { headers: { 'user-agent': `device of ${email}` } })).data!.login.token;
const alive = async (token: string) => !!(await t.gql(ME, {}, { token })).data;

beforeAll(async () => {
  t = await startTestServer([platformPlugin, identityPlugin], {}, { mail });
  a = await createPersonas(t, 'stark');
  b = await createPersonas(t, 'wayne');
});
afterAll(() => t?.close());
afterEach(() => t.clock.reset());

describe('B7 people list and revoke their own sessions; admins revoke anyone’s', () => {
  it('lists my sessions with device and address, and revokes one or all others', async () => {
    const s1 = await signIn('agent@stark.test');
    const s2 = await signIn('agent@stark.test');
    const s3 = await signIn('agent@stark.test');
    const list = await t.gql<{ mySessions: { id: string; current: boolean; userAgent: string; ip: string }[] }>(`{ mySessions { id current userAgent ip } }`, {}, { token: s1 });
    const mine = list.data!.mySessions;
    expect(mine.length).toBeGreaterThanOrEqual(3);
    expect(mine.filter((s) => s.current)).toHaveLength(1);
    expect(mine.find((s) => s.current)!.userAgent).toBe('device of agent@stark.test');
    expect(mine.find((s) => s.current)!.ip).toMatch(/^(127\.0\.0\.1|::1)$/);
    const other = mine.find((s) => !s.current)!;
    expect((await t.gql(`mutation($id: ID!) { revokeSession(id: $id) }`, { id: other.id }, { token: s1 })).data).toEqual({ revokeSession: true });
    // another person's session id answers like a missing one
    expect(code(await t.gql(`mutation($id: ID!) { revokeSession(id: $id) }`, { id: other.id }, { token: a.admin.token }))).toBe('NOT_FOUND');
    const n = await t.gql<{ revokeOtherSessions: number }>(`mutation { revokeOtherSessions }`, {}, { token: s1 });
    expect(n.data!.revokeOtherSessions).toBeGreaterThanOrEqual(1);
    expect([await alive(s1), await alive(s2), await alive(s3)]).toEqual([true, false, false]);
  });

  it('lets an admin sign one person out everywhere, and the whole tenant', async () => {
    const agent = await signIn('agent@stark.test');
    const req = await signIn('requester@stark.test');
    const one = await t.gql<{ signOutUser: number }>(`mutation($id: ID!) { signOutUser(userId: $id) }`, { id: a.agent.id }, { token: a.admin.token });
    expect(one.data!.signOutUser).toBeGreaterThanOrEqual(1);
    expect([await alive(agent), await alive(req)]).toEqual([false, true]);
    expect(code(await t.gql(`mutation($id: ID!) { signOutUser(userId: $id) }`, { id: b.agent.id }, { token: a.admin.token }))).toBe('NOT_FOUND');
    expect(code(await t.gql(`mutation { signOutEveryone }`, {}, { token: a.agent.token }))).toBe('UNAUTHENTICATED'); // already signed out
    const admin = await signIn('admin@stark.test');
    await t.gql(`mutation { signOutEveryone }`, {}, { token: admin });
    expect([await alive(admin), await alive(req), await alive(a.owner.token)]).toEqual([true, false, false]);
    expect(await alive(b.owner.token)).toBe(true); // another tenant is untouched
  });
});

describe('B8 sensitive operations need a re-authentication within 5 minutes; B2 it rotates the token', () => {
  it('refuses a role change with REAUTH_REQUIRED until the password is confirmed', async () => {
    const p = await createPersonas(t, 'stark-b8');
    const CHANGE = `mutation($input: ChangeRoleInput!) { changeUserRole(input: $input) { role } }`;
    const input = { id: p.agent.id, role: 'admin' };
    expect(code(await t.gql(CHANGE, { input }, { token: p.admin.token }))).toBe('REAUTH_REQUIRED');
    expect(code(await t.gql(`mutation { reauthenticate(password: "wrong password x") { token } }`, {}, { token: p.admin.token }))).toBe('BAD_USER_INPUT');
    const re = await t.gql<{ reauthenticate: { token: string } }>(`mutation($p: String!) { reauthenticate(password: $p) { token } }`, { p: PERSONA_PASSWORD }, { token: p.admin.token });
    const token = re.data!.reauthenticate.token;
    expect(token).not.toBe(p.admin.token);
    expect(await alive(p.admin.token)).toBe(false); // B2: the old token is dead
    expect((await t.gql(CHANGE, { input }, { token })).data).toEqual({ changeUserRole: { role: 'admin' } });
    t.clock.advance(6 * 60_000);
    expect(code(await t.gql(CHANGE, { input: { id: p.agent.id, role: 'agent' } }, { token }))).toBe('REAUTH_REQUIRED');
  });
});

describe('B6 suspension and deletion end sessions; the last owner stays', () => {
  it('suspends (sessions end, sign-in refused) and reactivates', async () => {
    const p = await createPersonas(t, 'stark-b6');
    const s = (await t.gql<{ login: { token: string } }>(LOGIN, { input: { tenant: 'stark-b6', email: 'agent@stark-b6.test', password: PERSONA_PASSWORD } })).data!.login.token;
    const r = await t.gql(`mutation($id: ID!) { suspendUser(id: $id) { status } }`, { id: p.agent.id }, { token: p.admin.token });
    expect(r.data).toEqual({ suspendUser: { status: 'suspended' } });
    expect([await alive(s), await alive(p.agent.token)]).toEqual([false, false]);
    expect(code(await t.gql(LOGIN, { input: { tenant: 'stark-b6', email: 'agent@stark-b6.test', password: PERSONA_PASSWORD } }))).toBe('UNAUTHENTICATED');
    await t.gql(`mutation($id: ID!) { reactivateUser(id: $id) { status } }`, { id: p.agent.id }, { token: p.admin.token });
    expect((await t.gql(LOGIN, { input: { tenant: 'stark-b6', email: 'agent@stark-b6.test', password: PERSONA_PASSWORD } })).data).toBeTruthy();
    expect(code(await t.gql(`mutation($id: ID!) { suspendUser(id: $id) { status } }`, { id: p.admin.id }, { token: p.admin.token }))).toBe('BAD_USER_INPUT');
    expect(code(await t.gql(`mutation($id: ID!) { suspendUser(id: $id) { status } }`, { id: p.agent.id }, { token: p.agent.token }))).toBe('UNAUTHENTICATED');
  });

  it('deletes by anonymising, and never removes the last owner', async () => {
    const p = await createPersonas(t, 'stark-del');
    const DEL = `mutation($id: ID!) { deleteUser(id: $id) }`;
    expect((await t.gql(DEL, { id: p.requester.id }, { token: p.admin.token })).data).toEqual({ deleteUser: true });
    const [row] = await t.ownerSql<{ name: string; email: string; password_hash: string | null; status: string }>('select name, email, password_hash, status from users where id = $1', [p.requester.id]);
    expect(row).toEqual({ name: 'Deleted user', email: `deleted-${p.requester.id}@deleted.invalid`, password_hash: null, status: 'deleted' });
    expect(await alive(p.requester.token)).toBe(false);
    const list = await t.gql<{ users: { nodes: { id: string }[] } }>(`{ users(page: { limit: 100 }) { nodes { id } } }`, {}, { token: p.admin.token });
    expect(list.data!.users.nodes.map((n) => n.id)).not.toContain(p.requester.id);
    expect(code(await t.gql(DEL, { id: p.owner.id }, { token: p.admin.token }))).toBe('CONFLICT'); // the only owner
    expect(code(await t.gql(DEL, { id: b.agent.id }, { token: p.admin.token }))).toBe('NOT_FOUND');
  });
});

describe('requester sign-up', () => {
  const SIGNUP = `mutation($input: SignUpInput!) { signUp(input: $input) }`;
  it('is closed unless the tenant allows it, and does not reveal existing accounts', async () => {
    const p = await createPersonas(t, 'stark-open');
    const input = { tenant: 'stark-open', email: 'newbie@example.test', name: 'Newbie', password: 'a fresh passphrase here' };
    expect(code(await t.gql(SIGNUP, { input }))).toBe('FORBIDDEN');
    const re = await t.gql<{ reauthenticate: { token: string } }>(`mutation($p: String!) { reauthenticate(password: $p) { token } }`, { p: PERSONA_PASSWORD }, { token: p.admin.token });
    await t.gql(`mutation { updateIdentitySettings(input: { allowRequesterSignup: true }) { allowRequesterSignup } }`, {}, { token: re.data!.reauthenticate.token });
    const opened = await t.gql(SIGNUP, { input });
    expect(opened.errors).toBeUndefined();
    expect(opened.data).toEqual({ signUp: true });
    const login = await t.gql<{ login: { token: string } }>(LOGIN, { input: { tenant: 'stark-open', email: input.email, password: input.password } });
    const me = await t.gql<{ me: { email: string } }>(`{ me { email role } }`, {}, { token: login.data!.login.token });
    expect(me.data!.me).toEqual({ email: 'newbie@example.test', role: 'requester' });
    const before = mail.sent.length;
    expect((await t.gql(SIGNUP, { input: { ...input, password: 'someone else trying' } })).data).toEqual({ signUp: true });
    await t.drainOutbox();
    expect(mail.sent.length).toBe(before + 1);
    expect(mail.sent.at(-1)!.subject).toMatch(/tried to sign up/);
  });
});
