/**
 * Vendor support access (issue 18 §1): SECURITY.md H1 (only through a grant: scoped, time-boxed,
 * tied to a ticket, every request audited as the operator), H2 (ends mid-session; reopening does
 * not restore it), D2 (a grant of one tenant gives nothing in another) and F3 (one event for each
 * grant and each action under it).
 */
import { platformPlugin } from '@bulwark/platform-api';
import { startTestServer, TEST_PEPPER, type TestServer } from '@bulwark/platform-api/testing';
import { memoryMailSender } from '@bulwark/platform-api';
import { encryptTotpSecret, hashPassword, identityPlugin, newTotpSecret } from '@bulwark/identity-api';
import { createPersonas, mintSession, PERSONA_PASSWORD, type Persona, type TenantPersonas } from '@bulwark/identity-api/testing';
import { accessPlugin } from '@bulwark/access-api';
import { ticketsPlugin } from '@bulwark/tickets-api';
import { auditPlugin } from '@bulwark/audit-api';
import { backupsPlugin, localStorage, restoreTenant, runBackup, type BackupDeps } from '@bulwark/backups-api';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Secret, TOTP } from 'otpauth';
import { randomUUID } from 'node:crypto';
import { execFile } from 'node:child_process';
import { supportPlugin, sweepSupportAccess } from './index';
import { OPERATOR_TOTP_OWNER } from './support.service';

// Support before access, as composed: its guard records an operation before a lockdown refuses it.
const plugins = [platformPlugin, identityPlugin, supportPlugin, accessPlugin, ticketsPlugin, auditPlugin, backupsPlugin];
const OFFICE = { 'x-forwarded-for': '198.51.100.20' };
const ELSEWHERE = { 'x-forwarded-for': '192.0.2.99' };
const OPERATOR_PASSWORD = 'operator password for tests';
const mail = memoryMailSender();
let t: TestServer;
let a: TenantPersonas;
let b: TenantPersonas;

interface Operator {
  id: string;
  email: string;
  name: string;
  secret: string;
}
let sam: Operator;
let kim: Operator;

/**
 * The operator CLI as a platform operator runs it (`npm run cli -- …`). Asynchronous: the test
 * server lives in this process and must keep answering (and keep its connections) meanwhile.
 */
function runCli(args: string[], env: Record<string, string>): Promise<{ stdout: string; stderr: string }> {
  const root = join(__dirname, '../../../..');
  return new Promise((resolve) =>
    execFile(process.execPath, ['-r', '@swc-node/register', 'apps/cli/src/main.ts', ...args], { cwd: root, env: { ...process.env, ...env }, timeout: 120_000 }, (_e, stdout, stderr) =>
      resolve({ stdout, stderr }),
    ),
  );
}

async function eventually(check: () => boolean): Promise<void> {
  for (let i = 0; i < 50 && !check(); i++) await new Promise((r) => setTimeout(r, 20));
  expect(check()).toBe(true);
}
const code = (r: { errors?: { extensions?: { code?: string } }[] }) => r.errors?.[0]?.extensions?.code;

async function createOperator(name: string): Promise<Operator> {
  const id = randomUUID();
  const secret = newTotpSecret();
  const email = `${name.toLowerCase()}@vendor.test`;
  await t.ownerSql('insert into support_operators (id, email, name, password_hash, totp_secret) values ($1, $2, $3, $4, $5)', [
    id,
    email,
    name,
    await hashPassword(TEST_PEPPER, OPERATOR_PASSWORD, 12),
    encryptTotpSecret(TEST_PEPPER, secret, OPERATOR_TOTP_OWNER(id)),
  ]);
  return { id, email, name, secret };
}

/** The operator's current code; each time step is accepted once, so every sign-in moves the clock on. */
function totp(o: Operator): string {
  t.clock.advance(31_000);
  return TOTP.generate({ secret: Secret.fromBase32(o.secret), algorithm: 'SHA1', digits: 6, period: 30, timestamp: t.clock.now().getTime() });
}

const SIGN_IN = `mutation($input: SupportSignInInput!) { supportSignIn(input: $input) { token expiresAt } }`;
async function operatorSignIn(o: Operator, slug: string, opts: { code?: string; password?: string; headers?: Record<string, string> } = {}) {
  return t.gql<{ supportSignIn: { token: string; expiresAt: string } }>(
    SIGN_IN,
    { input: { workspace: slug, email: o.email, password: opts.password ?? OPERATOR_PASSWORD, code: opts.code ?? totp(o) } },
    { headers: opts.headers ?? OFFICE },
  );
}
async function operatorToken(o: Operator, slug: string): Promise<string> {
  const r = await operatorSignIn(o, slug);
  if (!r.data) throw new Error(JSON.stringify(r.errors));
  return r.data.supportSignIn.token;
}

/** The clock moved past the personas' idle timeout: new sessions for those the tests use. */
async function freshSessions() {
  for (const x of [a, b]) for (const p of [x.owner, x.admin, x.agent, x.requester, x.auditor]) p.token = await mintSession(t, x.tenantId, p.id);
}

/** B8: a fresh re-authentication; returns the rotated token. */
async function sudo(p: Persona): Promise<string> {
  const r = await t.gql<{ reauthenticate: { token: string } }>(`mutation($p: String!) { reauthenticate(password: $p) { token } }`, { p: PERSONA_PASSWORD }, { token: p.token, headers: OFFICE });
  if (!r.data) throw new Error(JSON.stringify(r.errors));
  p.token = r.data.reauthenticate.token;
  return p.token;
}

const REQUEST = `mutation($input: VendorSupportInput!) { requestVendorSupport(input: $input) { id ticketId ticketSubject access permissions supportTeam operators { name } grantedByName expiresAt active } }`;
async function requestSupport(p: Persona, input: Record<string, unknown> = {}) {
  const token = await sudo(p);
  return t.gql<{ requestVendorSupport: { id: string; ticketId: string; permissions: string[]; expiresAt: string; active: boolean } }>(
    REQUEST,
    { input: { subject: 'Exports time out', body: 'Since Monday every ticket export times out.', ...input } },
    { token, headers: OFFICE },
  );
}
async function granted(p: Persona, input: Record<string, unknown> = {}) {
  const r = await requestSupport(p, input);
  if (!r.data) throw new Error(JSON.stringify(r.errors));
  return r.data.requestVendorSupport;
}
const setStatus = (p: Persona, id: string, status: string) =>
  t.gql(`mutation($id: ID!, $s: TicketStatus!) { updateTicket(id: $id, input: { status: $s }) { status } }`, { id, s: status }, { token: p.token, headers: OFFICE });
const ME = `{ me { id name role permissions tenant { name } } }`;
const events = (tenantId: string, action: string) =>
  t.ownerSql<{ actor_type: string; actor_id: string | null; actor_name: string | null; target_id: string | null; details: Record<string, unknown> | null }>(
    'select actor_type, actor_id, actor_name, target_id, details from audit_events where tenant_id = $1 and action = $2 order by seq',
    [tenantId, action],
  );

beforeAll(async () => {
  t = await startTestServer(plugins, { BULWARK_TRUST_PROXY_HOPS: '1', BULWARK_SUPPORT_NETWORKS: '198.51.100.0/24', BULWARK_SUPPORT_SWEEP_MS: '0' }, { mail });
  a = await createPersonas(t, 'wayne');
  b = await createPersonas(t, 'stark');
  sam = await createOperator('Sam');
  kim = await createOperator('Kim');
});
afterAll(() => t?.close());
// Each test starts with no open grant and live sessions (the operators' codes move the clock on).
beforeEach(async () => {
  await t.ownerSql(`update support_grants set ended_at = now(), end_reason = 'revoked', end_noticed_at = now() where ended_at is null`);
  await freshSessions();
});

describe('H1 H2 a grant from request to close', () => {
  it('lets the operator read and write under it, audits every request as them, and ends when the ticket closes for good', async () => {
    const g = await granted(a.admin, { access: 'CUSTOM', permissions: ['TICKETS_READ', 'TICKETS_VIEW_ALL', 'TICKETS_UPDATE'], hours: 24 });
    expect(g).toMatchObject({ active: true, permissions: ['TICKETS_READ', 'TICKETS_VIEW_ALL', 'TICKETS_UPDATE'] });
    await eventually(() => mail.sent.some((m) => m.to === a.owner.email && /granted/.test(m.subject)));
    const token = await operatorToken(sam, a.slug);
    expect(token).toMatch(/^bwo_/);

    // Themselves, under the grant's permissions, in the tenant's data.
    const me = await t.gql<{ me: { id: string; name: string; role: string; permissions: string[]; tenant: { name: string } } }>(ME, {}, { token, headers: OFFICE });
    expect(me.data?.me).toMatchObject({ id: sam.id, name: 'Sam', role: 'vendor_support', tenant: { name: 'Tenant wayne' } });
    expect(me.data?.me.permissions.sort()).toEqual(['TICKETS_READ', 'TICKETS_UPDATE', 'TICKETS_VIEW_ALL']);
    const status = await t.gql<{ supportAccessStatus: { operatorSession: { workspaceName: string; operatorName: string; until: string } } }>(
      `{ supportAccessStatus { operatorSession { workspaceName operatorName until } } }`, {}, { token, headers: OFFICE });
    expect(status.data?.supportAccessStatus.operatorSession).toEqual({ workspaceName: 'Tenant wayne', operatorName: 'Sam', until: g.expiresAt });

    const list = await t.gql<{ tickets: { nodes: { id: string; kind: string }[] } }>(`{ tickets { nodes { id kind } } }`, {}, { token, headers: OFFICE });
    expect(list.data?.tickets.nodes).toContainEqual({ id: g.ticketId, kind: 'VENDOR_SUPPORT' });
    const one = await t.gql(`query($id: ID!) { ticket(id: $id) { subject } }`, { id: g.ticketId }, { token, headers: OFFICE });
    expect(one.data).toEqual({ ticket: { subject: 'Exports time out' } });
    const write = await t.gql(`mutation($id: ID!) { updateTicket(id: $id, input: { priority: HIGH }) { priority } }`, { id: g.ticketId }, { token, headers: OFFICE });
    expect(write.data).toEqual({ updateTicket: { priority: 'HIGH' } });
    // Nothing beyond the grant: people are not in it.
    expect(code(await t.gql(`{ users { totalCount } }`, {}, { token, headers: OFFICE }))).toBe('FORBIDDEN');
    // Nor what needs a person of the workspace.
    expect(code(await t.gql(`mutation { createApiToken(input: { name: "x", permissions: [TICKETS_READ] }) { token } }`, {}, { token, headers: OFFICE }))).toBe('FORBIDDEN');

    // F3/H1: reads are audited too, each as the operator, naming the grant.
    const ops = await events(a.tenantId, 'support.operation');
    expect(ops.length).toBeGreaterThanOrEqual(5);
    for (const e of ops) expect(e).toMatchObject({ actor_type: 'support', actor_id: sam.id, actor_name: 'Sam', details: expect.objectContaining({ supportGrantId: g.id }) });
    expect(ops.map((e) => e.target_id)).toEqual(expect.arrayContaining(['me', 'tickets', 'updateTicket', 'users']));
    // Which record was read, not only which field: the arguments, variables substituted.
    expect(ops.find((e) => e.target_id === 'ticket')?.details).toMatchObject({ type: 'query', calls: [{ field: 'ticket', args: { id: g.ticketId } }] });
    const change = await t.ownerSql<{ actor_type: string; actor_id: string; details: Record<string, unknown> }>(
      `select actor_type, actor_id, details from audit_events where tenant_id = $1 and target_id = $2 and action like 'tickets.%' and actor_type = 'support'`, [a.tenantId, g.ticketId]);
    expect(change).toEqual([expect.objectContaining({ actor_type: 'support', actor_id: sam.id, details: expect.objectContaining({ supportGrantId: g.id }) })]);
    const signIn = await events(a.tenantId, 'support.signedIn');
    expect(signIn.at(-1)).toMatchObject({ actor_type: 'support', actor_id: sam.id, target_id: g.id });

    // The admin solves the request: the operator's very next request is anonymous.
    expect((await setStatus(a.admin, g.ticketId, 'SOLVED')).errors).toBeUndefined();
    const after = await t.gql(ME, {}, { token, headers: OFFICE });
    expect(code(after)).toBe('UNAUTHENTICATED');
    // Reopening does not restore it, for the old session or a new sign-in.
    expect((await setStatus(a.admin, g.ticketId, 'OPEN')).errors).toBeUndefined();
    expect(code(await t.gql(ME, {}, { token, headers: OFFICE }))).toBe('UNAUTHENTICATED');
    expect(code(await operatorSignIn(sam, a.slug))).toBe('NOT_FOUND');
    const [row] = await t.ownerSql<{ end_reason: string }>('select end_reason from support_grants where id = $1', [g.id]);
    expect(row.end_reason).toBe('ticket_closed');
    // Nor can it be granted again through the reopened request's old grant: a new grant is needed.
    const listed = await t.gql<{ supportGrants: { id: string; active: boolean; endReason: string }[] }>(`{ supportGrants { id active endReason } }`, {}, { token: a.admin.token, headers: OFFICE });
    expect(listed.data?.supportGrants.find((x) => x.id === g.id)).toEqual({ id: g.id, active: false, endReason: 'ticket_closed' });

    // The sweeper records the end once and tells the admins, whichever process runs it.
    mail.sent.length = 0;
    await Promise.all([sweepSupportAccess({ ...t.server.app, orm: t.server.orm }), sweepSupportAccess({ ...t.server.app, orm: t.server.orm })]);
    expect(await events(a.tenantId, 'support.accessEnded')).toEqual([expect.objectContaining({ actor_type: 'system', target_id: g.id, details: { reason: 'ticket_closed' } })]);
    await t.drainOutbox();
    expect(mail.sent.filter((m) => m.to === a.owner.email && /ended/.test(m.subject))).toHaveLength(1);
    expect(await t.ownerSql('select 1 from support_sessions where grant_id = $1', [g.id])).toHaveLength(0);
  });

  it('read-only by default: reading what the admin may read, no changes, no personal data', async () => {
    const g = await granted(a.admin);
    // Not the audit log: its events name people by their email.
    expect(g.permissions.sort()).toEqual(['BACKUPS_READ', 'ORGANIZATIONS_READ', 'ROLES_READ', 'TICKETS_READ', 'TICKETS_VIEW_ALL', 'USERS_READ']);
    const token = await operatorToken(kim, a.slug);
    expect(code(await t.gql(`mutation($id: ID!) { updateTicket(id: $id, input: { priority: LOW }) { id } }`, { id: g.ticketId }, { token, headers: OFFICE }))).toBe('FORBIDDEN');
    const people = await t.gql<{ users: { nodes: { email: string }[] } }>(`{ users { nodes { email } } }`, {}, { token, headers: OFFICE });
    expect(people.data?.users.nodes.length).toBeGreaterThan(0);
    for (const u of people.data?.users.nodes ?? []) expect(u.email).toMatch(/^.\*\*\*@/); // masked: no users.viewPii
    await t.gql(`mutation($id: ID!) { revokeSupportAccess(id: $id) { active } }`, { id: g.id }, { token: a.admin.token, headers: OFFICE });
  });

  it('ends at once when an admin revokes it or when it expires', async () => {
    const g = await granted(a.admin, { hours: 2 });
    const token = await operatorToken(sam, a.slug);
    expect(code(await t.gql(ME, {}, { token, headers: OFFICE }))).toBeUndefined();
    const revoked = await t.gql<{ revokeSupportAccess: { active: boolean; endReason: string } }>(`mutation($id: ID!) { revokeSupportAccess(id: $id) { active endReason } }`, { id: g.id }, { token: a.admin.token, headers: OFFICE });
    expect(revoked.data?.revokeSupportAccess).toEqual({ active: false, endReason: 'revoked' });
    expect(code(await t.gql(ME, {}, { token, headers: OFFICE }))).toBe('UNAUTHENTICATED');
    expect(await events(a.tenantId, 'support.accessRevoked')).toContainEqual(expect.objectContaining({ actor_type: 'user', actor_id: a.admin.id, target_id: g.id }));

    const h = await granted(a.admin, { hours: 1 });
    const second = await operatorToken(sam, a.slug);
    expect(code(await t.gql(ME, {}, { token: second, headers: OFFICE }))).toBeUndefined();
    t.clock.advance(61 * 60_000);
    expect(code(await t.gql(ME, {}, { token: second, headers: OFFICE }))).toBe('UNAUTHENTICATED');
    await freshSessions(); // the personas' sessions went idle too
    await sweepSupportAccess({ ...t.server.app, orm: t.server.orm });
    const [row] = await t.ownerSql<{ end_reason: string }>('select end_reason from support_grants where id = $1', [h.id]);
    expect(row.end_reason).toBe('expired');
    await setStatus(a.admin, h.ticketId, 'CLOSED');
  });

  it('names operators: another operator of the team has no access through it', async () => {
    const g = await granted(a.admin, { operatorIds: [kim.id] });
    expect(code(await operatorSignIn(sam, a.slug))).toBe('NOT_FOUND');
    const token = await operatorToken(kim, a.slug);
    expect(code(await t.gql(ME, {}, { token, headers: OFFICE }))).toBeUndefined();
    await setStatus(a.admin, g.ticketId, 'SOLVED');
  });
});

describe('H1 a grant never exceeds the admin who made it', () => {
  it('refuses a permission the admin lacks, and shrinks with the admin', async () => {
    // Only owners hold backups.restore.
    const beyond = await requestSupport(a.admin, { access: 'CUSTOM', permissions: ['TICKETS_READ', 'BACKUPS_RESTORE'] });
    expect(beyond.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', fields: { permissions: 'beyond your own' } });
    // Nothing that outlives the grant or lets someone else in, even what the admin holds.
    for (const p of ['USERS_MANAGE', 'TOKENS_MANAGE', 'TICKETS_DELETE', 'AUDIT_MANAGE']) {
      const never = await requestSupport(a.admin, { access: 'CUSTOM', permissions: ['TICKETS_READ', p] });
      expect(never.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', fields: { permissions: 'not grantable' } });
    }
    const g = await granted(a.admin, { access: 'CUSTOM', permissions: ['TICKETS_READ', 'TICKETS_VIEW_ALL', 'AUDIT_READ'] });
    const token = await operatorToken(sam, a.slug);
    expect((await t.gql<{ me: { permissions: string[] } }>(ME, {}, { token, headers: OFFICE })).data?.me.permissions).toContain('AUDIT_READ');
    // The admin becomes an agent: the grant holds no more than an agent now.
    await t.ownerSql(`update users set role = 'agent' where id = $1`, [a.admin.id]);
    try {
      const me = await t.gql<{ me: { permissions: string[] } }>(ME, {}, { token, headers: OFFICE });
      expect(me.data?.me.permissions.sort()).toEqual(['TICKETS_READ', 'TICKETS_VIEW_ALL']);
    } finally {
      await t.ownerSql(`update users set role = 'admin' where id = $1`, [a.admin.id]);
    }
    // An admin who holds nothing until they enrol in two-factor sign-in grants nothing meanwhile.
    await t.ownerSql(`update identity_settings set twofa_required_roles = '{admin}' where tenant_id = $1`, [a.tenantId]);
    try {
      const me = await t.gql<{ me: { permissions: string[] } }>(ME, {}, { token, headers: OFFICE });
      expect(me.data?.me.permissions).toEqual([]);
    } finally {
      await t.ownerSql(`update identity_settings set twofa_required_roles = '{}' where tenant_id = $1`, [a.tenantId]);
    }
    await setStatus(a.admin, g.ticketId, 'SOLVED');
  });

  it('is for admins only, re-authenticated, with bounded duration', async () => {
    for (const p of [a.agent, a.requester, a.auditor]) {
      const r = await t.gql(REQUEST, { input: { subject: 's', body: 'b' } }, { token: p.token, headers: OFFICE });
      expect(code(r)).toBe('FORBIDDEN');
    }
    expect(code(await t.gql(REQUEST, { input: { subject: 's', body: 'b' } }, { token: a.admin.token, headers: OFFICE }))).toBe('REAUTH_REQUIRED');
    for (const hours of [0, 721]) {
      const r = await requestSupport(a.admin, { hours });
      expect(r.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: { hours: expect.any(String) } });
    }
    const r = await requestSupport(a.admin, { access: 'READ_ONLY', permissions: ['TICKETS_READ'] });
    expect(r.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: { permissions: expect.any(String) } });
    expect(code(await requestSupport(a.admin, { operatorIds: [randomUUID()] }))).toBe('NOT_FOUND');
  });
});

describe('H1 operators without a grant, and D2 across tenants', () => {
  it('an operator without a grant gets NOT_FOUND for the workspace and everything in it', async () => {
    const g = await granted(a.admin);
    // Tenant B granted nothing: signing in there is NOT_FOUND, like a workspace that does not exist.
    expect(code(await operatorSignIn(sam, b.slug))).toBe('NOT_FOUND');
    expect(code(await operatorSignIn(sam, 'no-such-workspace'))).toBe('NOT_FOUND');
    // Signing in elsewhere while holding A's session: a plain answer, never a server error.
    const held = await operatorToken(sam, a.slug);
    const elsewhere = await t.gql(SIGN_IN, { input: { workspace: b.slug, email: sam.email, password: OPERATOR_PASSWORD, code: totp(sam) } }, { token: held, headers: OFFICE });
    expect(code(elsewhere)).toBe('NOT_FOUND');
    expect(elsewhere.status).toBeLessThan(500);
    // A's session names A: B's ticket is not found through it; edited to name B, it finds nothing.
    const token = await operatorToken(sam, a.slug);
    const bTicket = await t.gql<{ createTicket: { id: string } }>(`mutation { createTicket(input: { subject: "B's", body: "secret" }) { id } }`, {}, { token: b.agent.token });
    const id = bTicket.data?.createTicket.id as string;
    expect(code(await t.gql(`query($id: ID!) { ticket(id: $id) { subject } }`, { id }, { token, headers: OFFICE }))).toBe('NOT_FOUND');
    const bPart = Buffer.from(b.tenantId.replace(/-/g, ''), 'hex').toString('base64url');
    const edited = `bwo_${bPart}${token.slice(4 + 22)}`;
    expect(code(await t.gql(ME, {}, { token: edited, headers: OFFICE }))).toBe('UNAUTHENTICATED');
    // B's admin cannot see or end A's grant, nor grant through A's ticket.
    expect(code(await t.gql(`mutation($id: ID!) { revokeSupportAccess(id: $id) { id } }`, { id: g.id }, { token: b.admin.token, headers: OFFICE }))).toBe('NOT_FOUND');
    const bToken = await sudo(b.admin);
    expect(code(await t.gql(`mutation($id: ID!) { grantSupportAccess(ticketId: $id, input: {}) { id } }`, { id: g.ticketId }, { token: bToken, headers: OFFICE }))).toBe('NOT_FOUND');
    const bList = await t.gql<{ supportGrants: unknown[] }>(`{ supportGrants { id } }`, {}, { token: b.admin.token, headers: OFFICE });
    expect(bList.data?.supportGrants).toEqual([]);
    expect((await t.ownerSql<{ ended_at: Date | null }>('select ended_at from support_grants where id = $1', [g.id]))[0].ended_at).toBeNull();
    await setStatus(a.admin, g.ticketId, 'SOLVED');
  });

  it('needs the password, a fresh code and the support network; refuses alike; locks after 5 failures', async () => {
    const g = await granted(a.admin);
    expect(code(await operatorSignIn(sam, a.slug, { password: 'wrong password for sure' }))).toBe('UNAUTHENTICATED');
    expect(code(await operatorSignIn(sam, a.slug, { code: '000000' }))).toBe('UNAUTHENTICATED');
    expect(code(await operatorSignIn(sam, a.slug, { headers: ELSEWHERE }))).toBe('UNAUTHENTICATED');
    // A code is good once.
    const c = totp(sam);
    expect(code(await operatorSignIn(sam, a.slug, { code: c }))).toBeUndefined();
    expect(code(await operatorSignIn(sam, a.slug, { code: c }))).toBe('UNAUTHENTICATED');
    // A session used from outside the support networks is no session.
    const token = await operatorToken(sam, a.slug);
    expect(code(await t.gql(ME, {}, { token, headers: ELSEWHERE }))).toBe('UNAUTHENTICATED');
    for (let i = 0; i < 5; i++) await operatorSignIn(kim, a.slug, { password: 'wrong password for sure' });
    expect(code(await operatorSignIn(kim, a.slug))).toBe('UNAUTHENTICATED');
    await t.ownerSql('update support_operators set locked_until = null, failed_count = 0 where id = $1', [kim.id]);
    // Suspended (CLI): out at the next request.
    await t.ownerSql(`update support_operators set status = 'suspended' where id = $1`, [sam.id]);
    expect(code(await t.gql(ME, {}, { token, headers: OFFICE }))).toBe('UNAUTHENTICATED');
    await t.ownerSql(`update support_operators set status = 'active' where id = $1`, [sam.id]);
    expect((await events(a.tenantId, 'support.signInFailed')).length).toBeGreaterThanOrEqual(4);
    await t.ownerSql('delete from login_throttle');
    await setStatus(a.admin, g.ticketId, 'SOLVED');
  });

  it('D11: an operator changes nothing in lockdown', async () => {
    const g = await granted(a.admin, { access: 'CUSTOM', permissions: ['TICKETS_READ', 'TICKETS_VIEW_ALL', 'TICKETS_UPDATE'] });
    const token = await operatorToken(sam, a.slug);
    const lock = (on: boolean) => t.gql(`mutation($on: Boolean!) { setLockdown(on: $on) { lockdown } }`, { on }, { token: a.owner.token, headers: OFFICE });
    await sudo(a.owner);
    expect((await lock(true)).errors).toBeUndefined();
    await new Promise((r) => setTimeout(r, 1100)); // the access settings cache
    try {
      expect(code(await t.gql(`mutation($id: ID!) { updateTicket(id: $id, input: { priority: LOW }) { id } }`, { id: g.ticketId }, { token, headers: OFFICE }))).toBe('LOCKDOWN');
      // The refused attempt is on record as the operator's.
      expect((await events(a.tenantId, 'support.operation')).at(-1)).toMatchObject({ actor_id: sam.id, target_id: 'updateTicket' });
      expect(code(await t.gql(`{ tickets { totalCount } }`, {}, { token, headers: OFFICE }))).toBeUndefined();
    } finally {
      await lock(false);
      await new Promise((r) => setTimeout(r, 1100));
    }
    await setStatus(a.admin, g.ticketId, 'SOLVED');
  });
});

describe('H1 operators are managed by the CLI', () => {
  it('creates one with a one-time authenticator secret, lists, suspends (sessions stop) and reactivates', async () => {
    const env = { DATABASE_URL: t.databaseUrl, BULWARK_PASSWORD_PEPPER: TEST_PEPPER, BULWARK_LOG_LEVEL: 'warn', OPERATOR_PASSWORD: OPERATOR_PASSWORD };
    const made = await runCli(['operator', 'create', '--email', 'Lee@Vendor.test', '--name', 'Lee', '--password-env', 'OPERATOR_PASSWORD'], env);
    expect(made.stderr).toBe('');
    expect(made.stdout).toMatch(/^created operator lee@vendor\.test \(/m);
    const secret = /secret=([A-Z2-7]+)/.exec(made.stdout)?.[1] as string;
    expect(secret).toBeTruthy();
    expect((await runCli(['operator', 'create', '--email', 'lee@vendor.test', '--name', 'Lee', '--password-env', 'OPERATOR_PASSWORD'], env)).stderr).toMatch(/exists already/);
    expect((await runCli(['operator', 'create', '--email', 'short@vendor.test', '--name', 'Short', '--password-env', 'SHORT'], { ...env, SHORT: 'too short' })).stderr).toMatch(/12 to 128 characters/);
    const [row] = await t.ownerSql<{ id: string; totp_secret: string }>(`select id, totp_secret from support_operators where email = 'lee@vendor.test'`);
    expect(row.totp_secret).not.toContain(secret); // sealed at rest
    const lee: Operator = { id: row.id, email: 'lee@vendor.test', name: 'Lee', secret };

    await granted(a.admin);
    const token = await operatorToken(lee, a.slug);
    expect((await runCli(['operator', 'list'], env)).stdout).toMatch(/^lee@vendor\.test\tLee\tactive\t/m);
    expect((await runCli(['operator', 'suspend', '--email', 'lee@vendor.test'], env)).stdout).toContain('lee@vendor.test: suspended');
    expect(code(await t.gql(ME, {}, { token, headers: OFFICE }))).toBe('UNAUTHENTICATED');
    expect(code(await operatorSignIn(lee, a.slug))).toBe('UNAUTHENTICATED');
    expect((await runCli(['operator', 'reactivate', '--email', 'lee@vendor.test'], env)).stdout).toContain('lee@vendor.test: active');
    expect(code(await operatorSignIn(lee, a.slug))).toBeUndefined();
    expect((await runCli(['operator', 'suspend', '--email', 'nobody@vendor.test'], env)).stderr).toMatch(/no operator with the email/);
  }, 120_000);
});

describe('H2 a restore never brings access back', () => {
  it('leaves grants and operator sessions out of backups, and a restore ends open ones', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bulwark-support-backup-'));
    try {
      const deps: BackupDeps = { orm: t.server.orm, app: t.server.app, storage: localStorage(dir), schemas: t.server.api.migrations.map((m) => m.name) };
      const g = await granted(a.admin);
      const token = await operatorToken(sam, a.slug);
      const run = await runBackup(deps, a.tenantId, 'cli');
      // Revoked after the backup: restoring that backup must not undo the revocation.
      await t.gql(`mutation($id: ID!) { revokeSupportAccess(id: $id) { id } }`, { id: g.id }, { token: a.admin.token, headers: OFFICE });
      await restoreTenant(deps, a.tenantId, deps.storage.get(run.storageKey as string), { runId: run.id });
      expect(code(await t.gql(ME, {}, { token, headers: OFFICE }))).toBe('UNAUTHENTICATED');
      expect(code(await operatorSignIn(sam, a.slug))).toBe('NOT_FOUND');
      expect(await t.ownerSql(`select 1 from support_grants where tenant_id = $1 and ended_at is null`, [a.tenantId])).toEqual([]);
      await freshSessions(); // a restore replaces the people, and their sessions go with them
      // Open when backed up, open when restored: still none afterwards (the restore is the admin's act).
      const h = await granted(a.admin);
      const again = await runBackup(deps, a.tenantId, 'cli');
      await restoreTenant(deps, a.tenantId, deps.storage.get(again.storageKey as string), { runId: again.id });
      expect(await t.ownerSql(`select 1 from support_grants where id = $1`, [h.id])).toEqual([]);
      expect(code(await operatorSignIn(sam, a.slug))).toBe('NOT_FOUND');
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await freshSessions();
    }
  }, 120_000);
});
