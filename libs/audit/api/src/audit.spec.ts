/**
 * The audit log, named after SECURITY.md F1–F6: append-only by grant and trigger, a per-tenant
 * hash chain whose verifier finds an edited, deleted or swapped event, one event per action
 * (a table that performs each), the fields of an event, the same transaction as the change;
 * plus reading (filters, keyset paging), export, retention and alerts.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Secret, TOTP } from 'otpauth';
import { audit, createLogger, isInternalAddress, memoryMailSender, platformPlugin, withSystemContext } from '@bulwark/platform-api';
import { startTestServer, type GqlResult, type TestServer } from '@bulwark/platform-api/testing';
import { AccessAudit, accessPlugin } from '@bulwark/access-api';
import { IdentityAudit, identityPlugin } from '@bulwark/identity-api';
import { createPersonas, mintSession, PERSONA_PASSWORD, type Persona, type TenantPersonas } from '@bulwark/identity-api/testing';
import { ticketsPlugin } from '@bulwark/tickets-api';
import { auditPlugin, pruneAll, verifyWebhook } from './index';
import { postWebhook, signWebhook } from './webhook';
import { AuditLogAudit } from './audit.permissions';

const mail = memoryMailSender();
let t: TestServer;
let a: TenantPersonas;
let b: TenantPersonas;

interface EventRow {
  seq: string;
  id: string;
  tenant_id: string;
  occurred_at: Date;
  actor_type: string;
  actor_id: string | null;
  actor_name: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  outcome: string;
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  changes: Record<string, { before: unknown; after: unknown }> | null;
  details: Record<string, unknown> | null;
}

const code = (r: { errors?: { extensions?: { code?: string } }[] }) => r.errors?.[0]?.extensions?.code;
const ok = <T>(r: GqlResult<T>): T => {
  if (!r.data || r.errors) throw new Error(JSON.stringify(r.errors));
  return r.data;
};
const eventsOf = (requestId: string | null) =>
  t.ownerSql<EventRow>('select * from audit_events where request_id = $1 order by seq', [requestId]);
const allEvents = (tenantId: string) => t.ownerSql<EventRow>('select * from audit_events where tenant_id = $1 order by seq', [tenantId]);

async function sudo(p: Persona): Promise<string> {
  const r = await t.gql<{ reauthenticate: { token: string } }>(`mutation($p: String!) { reauthenticate(password: $p) { token } }`, { p: PERSONA_PASSWORD }, { token: p.token });
  p.token = ok(r).reauthenticate.token;
  return p.token;
}

/** The last mail to `to` with a link of `prefix` (mail leaves after commit, so wait for it). */
async function linkFor(to: string, prefix: 'bwi_' | 'bwr_'): Promise<string> {
  return waitFor(async () => {
    const m = [...mail.sent].reverse().find((x) => x.to === to && x.text.includes(prefix));
    return m ? new RegExp(`token=(${prefix}[A-Za-z0-9_-]+)`).exec(m.text)![1] : null;
  });
}

const VERIFY = `mutation { verifyAuditChain { ok checked headSeq brokenSeq brokenEventId reason } }`;
const LOGIN = `mutation($input: LoginInput!) { login(input: $input) { token twoFactorRequired challenge } }`;
const login = (slug: string, email: string, password = PERSONA_PASSWORD) => t.gql<{ login: { token: string } }>(LOGIN, { input: { tenant: slug, email, password } });

beforeAll(async () => {
  t = await startTestServer([platformPlugin, identityPlugin, accessPlugin, ticketsPlugin, auditPlugin], { BULWARK_OUTBOX_RETRY_BASE_MS: '10' }, { mail });
  a = await createPersonas(t, 'acme');
  b = await createPersonas(t, 'globex');
});
afterAll(() => t?.close());
afterEach(() => t.clock.reset());

describe('F1 append-only', () => {
  it('refuses UPDATE, DELETE, TRUNCATE and direct INSERT to the runtime role (grant), and UPDATE and DELETE to the owner (trigger)', async () => {
    ok(await t.gql(`mutation { createTicket(input: { subject: "for F1", body: "x" }) { id } }`, {}, { token: a.agent.token }));
    const c = await t.runtimeClient();
    await c.query(`select set_config('app.tenant_id', $1, false)`, [a.tenantId]);
    expect((await c.query('select count(*)::int as n from audit_events')).rows[0].n).toBeGreaterThan(0);
    await expect(c.query(`update audit_events set outcome = 'failure'`)).rejects.toThrow(/permission denied/);
    await expect(c.query(`delete from audit_events`)).rejects.toThrow(/permission denied/);
    await expect(c.query(`truncate audit_events`)).rejects.toThrow(/permission denied/);
    await expect(
      c.query(`insert into audit_events (tenant_id, seq, id, occurred_at, actor_type, action, outcome, prev_hash, hash)
               values ($1, 999999, gen_random_uuid(), now(), 'system', 'x', 'success', '\\x00', '\\x00')`, [a.tenantId]),
    ).rejects.toThrow(/permission denied/);
    // The owner (a superuser here) is stopped by the trigger.
    await expect(t.ownerSql(`update audit_events set outcome = 'failure' where tenant_id = $1`, [a.tenantId])).rejects.toThrow(/append-only/);
    await expect(t.ownerSql(`delete from audit_events where tenant_id = $1`, [a.tenantId])).rejects.toThrow(/append-only/);
    await expect(t.ownerSql(`truncate audit_events`)).rejects.toThrow(/append-only/);
  });

  it('lets the runtime role delete nothing recent, even with an event dated decades ago', async () => {
    const tenant = await createPersonas(t, 'forger');
    for (let i = 0; i < 3; i++) ok(await t.gql(`mutation { createTicket(input: { subject: "recent", body: "x" }) { id } }`, {}, { token: tenant.agent.token }));
    const before = (await allEvents(tenant.tenantId)).length;
    const c = await t.runtimeClient();
    await c.query('begin');
    await c.query(`select set_config('app.tenant_id', $1, true)`, [tenant.tenantId]);
    await c.query(`select bulwark_audit_append($1::jsonb)`, [JSON.stringify([{ occurredAt: '1970-01-01T00:00:00Z', actorType: 'system', action: 'platform.accessDenied', outcome: 'denied' }])]);
    const { rows } = await c.query(`select bulwark_audit_prune() as n`);
    await c.query('commit');
    expect(Number(rows[0].n)).toBe(0); // the old-dated event is not a prefix: nothing goes
    expect((await allEvents(tenant.tenantId)).length).toBe(before + 1);
  });

  it('writes events whatever people typed (astral characters, quotes) and refuses text that is not text', async () => {
    const subject = 'emoji 😀, "quotes", back\\slash and ünïcödé';
    const r = await t.gql<{ createTicket: { id: string } }>(`mutation($s: String!) { createTicket(input: { subject: $s, body: "x" }) { id } }`, { s: subject }, { token: a.agent.token });
    const id = ok(r).createTicket.id;
    const [e] = await eventsOf(r.headers.get('x-request-id'));
    expect(e).toMatchObject({ action: 'tickets.ticketCreated', target_id: id });
    expect((e.changes?.subject as { after: string }).after).toBe(subject);
    // A lone surrogate is not Unicode and NUL cannot be stored: both refused up front as bad input
    // (E9), in variables and in literals, so no change and no event can carry them.
    for (const s of ['broken \ud800 text', 'nul \u0000 here']) {
      const bad = await t.gql(`mutation($s: String!) { createTicket(input: { subject: $s, body: "x" }) { id } }`, { s }, { token: a.agent.token });
      expect([bad.status, code(bad)]).toEqual([400, 'BAD_USER_INPUT']);
    }
    const literal = await t.gql(`mutation { createTicket(input: { subject: "nul \\u0000 here", body: "x" }) { id } }`, {}, { token: a.agent.token });
    expect(code(literal)).toBe('BAD_USER_INPUT');
  });

  it("keeps tenant A from reading tenant B's events by any filter or id", async () => {
    const created = ok(await t.gql<{ createTicket: { id: string } }>(`mutation { createTicket(input: { subject: "B secret", body: "x" }) { id } }`, {}, { token: b.agent.token }));
    const [bEvent] = await t.ownerSql<EventRow>(`select * from audit_events where tenant_id = $1 and target_id = $2`, [b.tenantId, created.createTicket.id]);
    expect(bEvent).toBeDefined();
    const one = await t.gql(`query($id: ID!) { auditEvent(id: $id) { id } }`, { id: bEvent.id }, { token: a.admin.token });
    expect(code(one)).toBe('NOT_FOUND');
    for (const filter of [{ targetId: created.createTicket.id }, { actorId: b.agent.id }, { search: 'globex' }]) {
      const page = ok(await t.gql<{ auditEvents: { items: unknown[] } }>(`query($f: AuditFilter) { auditEvents(filter: $f) { items { id } } }`, { f: filter }, { token: a.admin.token }));
      expect({ filter, items: page.auditEvents.items }).toEqual({ filter, items: [] });
    }
    const mine = ok(await t.gql<{ auditEvents: { items: { id: string }[] } }>(`{ auditEvents(first: 100) { items { id } } }`, {}, { token: a.admin.token }));
    const aIds = new Set((await allEvents(a.tenantId)).map((e) => e.id));
    expect(mine.auditEvents.items.length).toBeGreaterThan(0);
    expect(mine.auditEvents.items.every((e) => aIds.has(e.id))).toBe(true);
    // Agents and requesters cannot read the log at all.
    expect(code(await t.gql(`{ auditEvents { items { id } } }`, {}, { token: a.agent.token }))).toBe('FORBIDDEN');
  });
});

describe('F2 per-tenant hash chain', () => {
  /** Runs `edit` on the owner connection with the append-only trigger off (an attacker with the database). */
  async function tamper(sql: string, params: unknown[]) {
    await t.ownerSql('alter table audit_events disable trigger audit_events_append_only');
    try {
      await t.ownerSql(sql, params);
    } finally {
      await t.ownerSql('alter table audit_events enable trigger audit_events_append_only');
    }
  }
  async function swap(tenantId: string, x: string, y: string) {
    await tamper(`update audit_events set seq = -1 where tenant_id = $1 and seq = $2`, [tenantId, x]);
    await tamper(`update audit_events set seq = $3 where tenant_id = $1 and seq = $2`, [tenantId, y, x]);
    await tamper(`update audit_events set seq = $2 where tenant_id = $1 and seq = -1`, [tenantId, y]);
  }
  const verify = async (p: Persona) => ok(await t.gql<{ verifyAuditChain: { ok: boolean; brokenSeq: number | null; brokenEventId: string | null; reason: string | null; checked: number } }>(VERIFY, {}, { token: p.token })).verifyAuditChain;

  it('verifies an intact chain, and finds an edited, a deleted, a swapped and a truncated event at the right place', async () => {
    const tenant = await createPersonas(t, 'chain-co');
    for (let i = 0; i < 6; i++) ok(await t.gql(`mutation($s: String!) { createTicket(input: { subject: $s, body: "x" }) { id } }`, { s: `t${i}` }, { token: tenant.agent.token }));
    const intact = await verify(tenant.admin);
    expect(intact).toMatchObject({ ok: true, brokenSeq: null });
    expect(intact.checked).toBeGreaterThanOrEqual(6);
    const events = await allEvents(tenant.tenantId);
    const [e2, e3, e4] = [events[1], events[2], events[3]];

    // Edited: the actor of event 2 rewritten.
    await tamper(`update audit_events set actor_name = 'someone else' where tenant_id = $1 and seq = $2`, [tenant.tenantId, e2.seq]);
    expect(await verify(tenant.admin)).toMatchObject({ ok: false, brokenSeq: Number(e2.seq), brokenEventId: e2.id, reason: `event #${e2.seq} was altered` });
    await tamper(`update audit_events set actor_name = $3 where tenant_id = $1 and seq = $2`, [tenant.tenantId, e2.seq, e2.actor_name]);
    expect(await verify(tenant.admin)).toMatchObject({ ok: true });

    // Swapped: events 3 and 4 trade places (their numbers).
    await swap(tenant.tenantId, e3.seq, e4.seq);
    expect(await verify(tenant.admin)).toMatchObject({ ok: false, brokenSeq: Number(e3.seq) });
    await swap(tenant.tenantId, e3.seq, e4.seq);
    expect(await verify(tenant.admin)).toMatchObject({ ok: true });

    // Deleted: event 3 is gone.
    await tamper(`delete from audit_events where tenant_id = $1 and seq = $2`, [tenant.tenantId, e3.seq]);
    expect(await verify(tenant.admin)).toMatchObject({ ok: false, brokenSeq: Number(e3.seq), reason: `event #${e3.seq} is missing` });

    // Truncated: the newest events deleted (the chain head still knows how far it went).
    const other = await createPersonas(t, 'chain-two');
    ok(await t.gql(`mutation { createTicket(input: { subject: "x", body: "x" }) { id } }`, {}, { token: other.agent.token }));
    const last = (await allEvents(other.tenantId)).at(-1)!;
    await tamper(`delete from audit_events where tenant_id = $1 and seq = $2`, [other.tenantId, last.seq]);
    const truncated = await verify(other.admin);
    expect(truncated).toMatchObject({ ok: false, brokenSeq: Number(last.seq) });
    expect(truncated.reason).toMatch(/missing/);
  });

  it('believes a retention checkpoint only with the chained event that recorded the cut', async () => {
    const tenant = await createPersonas(t, 'checkpointed');
    for (let i = 0; i < 4; i++) ok(await t.gql(`mutation { createTicket(input: { subject: "x", body: "x" }) { id } }`, {}, { token: tenant.agent.token }));
    const events = await allEvents(tenant.tenantId);
    // Someone with the database forges a checkpoint at event 2 and deletes events 1-2.
    await t.ownerSql(`insert into audit_checkpoints (tenant_id, seq, hash) select tenant_id, seq, hash from audit_events where tenant_id = $1 and seq = $2`, [tenant.tenantId, events[1].seq]);
    await tamper(`delete from audit_events where tenant_id = $1 and seq <= $2`, [tenant.tenantId, events[1].seq]);
    const v = await verify(tenant.admin);
    expect(v).toMatchObject({ ok: false, brokenSeq: Number(events[1].seq) });
    expect(v.reason).toMatch(/no matching audit\.pruned event/);
  });

  it('numbers events of concurrent operations of one tenant without gaps or forks', async () => {
    const tenant = await createPersonas(t, 'busy-co');
    await Promise.all(
      Array.from({ length: 24 }, (_, i) => t.gql(`mutation($s: String!) { createTicket(input: { subject: $s, body: "x" }) { id } }`, { s: `c${i}` }, { token: tenant.agent.token })),
    );
    const seqs = (await allEvents(tenant.tenantId)).map((e) => Number(e.seq));
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    expect(await verify(tenant.admin)).toMatchObject({ ok: true });
  });
});

describe('F3 one event, exactly, for each action', () => {
  const TOTP_SECRET = { value: '' };
  const totp = (secret: string) => TOTP.generate({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30, timestamp: t.clock.now().getTime() });
  let c: TenantPersonas;
  let extra: { id: string; email: string; token: string };

  beforeAll(async () => {
    c = await createPersonas(t, 'coverage');
    extra = await freshAgent('extra@coverage.test');
  });

  /** A person signed in through the API (a real password, for the flows that check one). */
  async function freshAgent(email: string) {
    const invited = ok(await t.gql<{ inviteUser: { id: string } }>(`mutation($i: InviteUserInput!) { inviteUser(input: $i) { id } }`, { i: { email, name: email, role: 'agent' } }, { token: c.admin.token }));
    const link = await linkFor(email, 'bwi_');
    ok(await t.gql(`mutation($i: TokenPasswordInput!) { acceptInvitation(input: $i) }`, { i: { token: link, password: PERSONA_PASSWORD } }));
    const token = ok(await login('coverage', email)).login.token;
    return { id: invited.inviteUser.id, email, token };
  }

  interface Row {
    action: string;
    run: () => Promise<GqlResult<unknown>>;
    expect: Partial<EventRow>;
    /** Other events the same request records (a lockout is also a failed sign-in). */
    also?: string[];
    /** B8: who re-authenticates first. */
    sudo?: 'admin' | 'extra';
    setup?: 'sudo-auditor' | 'light-agent-session' | 'enrol-extra' | 'relogin-extra';
  }
  const roleId = { value: '' };
  const apiToken = { value: '', id: '' };
  const groupId = { value: '' };
  const orgId = { value: '' };
  const ticketId = { value: '' };
  const ROWS: Row[] = [
    { action: IdentityAudit.loginSucceeded, run: () => login('coverage', 'extra@coverage.test'), expect: { actor_type: 'user', target_type: 'User', outcome: 'success', actor_name: 'extra@coverage.test' } },
    { action: IdentityAudit.loginFailed, run: () => login('coverage', 'extra@coverage.test', 'wrong password here'), expect: { actor_type: 'anonymous', actor_name: 'extra@coverage.test', target_type: 'User', outcome: 'failure' } },
    { action: IdentityAudit.loginFailed, run: () => login('coverage', 'nobody@coverage.test', 'wrong password here'), expect: { actor_type: 'anonymous', actor_name: 'nobody@coverage.test', target_id: null, outcome: 'failure' } },
    {
      action: IdentityAudit.loginThrottled,
      run: async () => {
        await t.ownerSql(`insert into login_throttle (key, window_start, failures) values ($1, now(), 1000) on conflict (key) do update set failures = 1000, window_start = now()`, [`${c.tenantId}:127.0.0.1`]);
        try {
          return await login('coverage', 'extra@coverage.test');
        } finally {
          await t.ownerSql(`delete from login_throttle where key = $1`, [`${c.tenantId}:127.0.0.1`]);
        }
      },
      expect: { actor_type: 'anonymous', outcome: 'failure' },
    },
    {
      action: IdentityAudit.accountLocked,
      run: async () => {
        const u = await freshAgent('locked@coverage.test');
        await t.ownerSql(`update users set failed_logins = 4 where id = $1`, [u.id]);
        return login('coverage', 'locked@coverage.test', 'wrong again and again');
      },
      also: [IdentityAudit.loginFailed],
      expect: { target_type: 'User', outcome: 'failure' },
    },
    { action: IdentityAudit.userUnlocked, run: async () => t.gql(`mutation($id: ID!) { unlockUser(id: $id) }`, { id: (await t.ownerSql<{ id: string }>(`select id from users where email = 'locked@coverage.test'`))[0].id }, { token: c.admin.token }), expect: { actor_type: 'user', actor_id: '$admin', target_type: 'User' } },
    { action: IdentityAudit.reauthenticated, run: () => t.gql(`mutation($p: String!) { reauthenticate(password: $p) { token } }`, { p: PERSONA_PASSWORD }, { token: extra.token }).then((r) => ((extra.token = (r.data as { reauthenticate: { token: string } }).reauthenticate.token), r)), expect: { actor_id: '$extra', target_id: '$extra' } },
    { action: IdentityAudit.reauthenticationFailed, run: () => t.gql(`mutation($p: String!) { reauthenticate(password: $p) { token } }`, { p: 'not my password' }, { token: c.auditor.token }), expect: { actor_id: '$auditor', outcome: 'failure' } },
    {
      sudo: 'extra',
      action: IdentityAudit.twoFactorEnabled,
      run: async () => {
        const begin = ok(await t.gql<{ beginTwoFactorEnrolment: { secret: string } }>(`mutation { beginTwoFactorEnrolment { secret } }`, {}, { token: extra.token }));
        TOTP_SECRET.value = begin.beginTwoFactorEnrolment.secret;
        return t.gql(`mutation($c: String!) { confirmTwoFactorEnrolment(code: $c) { codes } }`, { c: totp(TOTP_SECRET.value) }, { token: extra.token });
      },
      expect: { actor_id: '$extra', target_id: '$extra' },
    },
    {
      sudo: 'extra',
      action: IdentityAudit.recoveryCodesRegenerated,
      run: () => t.gql(`mutation { regenerateRecoveryCodes { codes } }`, {}, { token: extra.token }),
      expect: { actor_id: '$extra', target_id: '$extra' },
    },
    {
      action: IdentityAudit.loginFailed,
      run: async () => {
        const first = ok(await login('coverage', 'extra@coverage.test')) as unknown as { login: { challenge: string } };
        return t.gql(`mutation($i: VerifyTwoFactorInput!) { verifyTwoFactor(input: $i) { token } }`, { i: { challenge: first.login.challenge, code: '000000' === totp(TOTP_SECRET.value) ? '111111' : '000000' } });
      },
      expect: { actor_type: 'anonymous', target_id: '$extra', outcome: 'failure' },
    },
    {
      sudo: 'extra',
      action: IdentityAudit.twoFactorDisabled, run: () => t.gql(`mutation { disableTwoFactor }`, {}, { token: extra.token }), expect: { actor_id: '$extra' } },
    {
      sudo: 'admin',
      action: IdentityAudit.twoFactorReset, run: () => t.gql(`mutation($id: ID!) { resetTwoFactor(userId: $id) }`, { id: extra.id }, { token: c.admin.token }), setup: 'enrol-extra', expect: { actor_id: '$admin', target_id: '$extra' } },
    { setup: 'relogin-extra', action: IdentityAudit.passwordChanged, run: () => t.gql(`mutation($i: ChangePasswordInput!) { changePassword(input: $i) }`, { i: { currentPassword: PERSONA_PASSWORD, newPassword: 'a brand new passphrase for me' } }, { token: extra.token }), expect: { actor_id: '$extra', target_id: '$extra' } },
    { action: IdentityAudit.passwordResetRequested, run: () => t.gql(`mutation($i: PasswordResetRequestInput!) { requestPasswordReset(input: $i) }`, { i: { tenant: 'coverage', email: 'extra@coverage.test' } }), expect: { actor_type: 'anonymous', target_id: '$extra', outcome: 'success' } },
    {
      action: IdentityAudit.passwordReset,
      run: async () => {
        const link = await linkFor('extra@coverage.test', 'bwr_');
        return t.gql(`mutation($i: TokenPasswordInput!) { resetPassword(input: $i) }`, { i: { token: link, password: 'another fresh passphrase now' } });
      },
      expect: { target_id: '$extra' },
    },
    { action: IdentityAudit.sessionRevoked, run: async () => t.gql(`mutation($id: ID!) { revokeSession(id: $id) }`, { id: (await t.ownerSql<{ id: string }>(`select id from sessions where user_id = $1 limit 1`, [c.requester2.id]))[0].id }, { token: c.requester2.token }), expect: { actor_id: '$requester2', target_type: 'Session' } },
    { action: IdentityAudit.otherSessionsRevoked, run: () => t.gql(`mutation { revokeOtherSessions }`, {}, { token: c.requester.token }), expect: { actor_id: '$requester', target_id: '$requester' } },
    { action: IdentityAudit.userSignedOut, run: () => t.gql(`mutation($id: ID!) { signOutUser(userId: $id) }`, { id: c.lightAgent.id }, { token: c.admin.token }), expect: { actor_id: '$admin', target_id: '$lightAgent' } },
    { action: IdentityAudit.userSuspended, run: () => t.gql(`mutation($id: ID!) { suspendUser(id: $id) { id } }`, { id: c.requester2.id }, { token: c.admin.token }), expect: { target_id: '$requester2' } },
    { action: IdentityAudit.userReactivated, run: () => t.gql(`mutation($id: ID!) { reactivateUser(id: $id) { id } }`, { id: c.requester2.id }, { token: c.admin.token }), expect: { target_id: '$requester2' } },
    {
      sudo: 'admin',
      action: IdentityAudit.roleChanged, run: () => t.gql(`mutation($i: ChangeRoleInput!) { changeUserRole(input: $i) { id } }`, { i: { id: c.requester2.id, role: 'light_agent' } }, { token: c.admin.token }), expect: { target_id: '$requester2' } },
    { action: IdentityAudit.userDeleted, run: () => t.gql(`mutation($id: ID!) { deleteUser(id: $id) }`, { id: c.requester2.id }, { token: c.admin.token }), expect: { target_id: '$requester2' } },
    { action: IdentityAudit.userInvited, run: () => t.gql(`mutation($i: InviteUserInput!) { inviteUser(input: $i) { id } }`, { i: { email: 'invitee@coverage.test', name: 'Invitee', role: 'agent' } }, { token: c.admin.token }), expect: { actor_id: '$admin', target_type: 'User' } },
    {
      action: IdentityAudit.invitationAccepted,
      run: async () => t.gql(`mutation($i: TokenPasswordInput!) { acceptInvitation(input: $i) }`, { i: { token: await linkFor('invitee@coverage.test', 'bwi_'), password: 'a long and unrelated passphrase' } }),
      expect: { actor_type: 'user', target_type: 'User' },
    },
    { action: IdentityAudit.settingsChanged, run: () => t.gql(`mutation($i: IdentitySettingsInput!) { updateIdentitySettings(input: $i) { lockoutThreshold } }`, { i: { lockoutThreshold: 6, allowRequesterSignup: true } }, { token: c.admin.token }), expect: { actor_id: '$admin', target_type: 'IdentitySettings' } },
    { action: IdentityAudit.signedUp, run: () => t.gql(`mutation($i: SignUpInput!) { signUp(input: $i) }`, { i: { tenant: 'coverage', email: 'new.requester@coverage.test', name: 'New Requester', password: 'quiet mountain lake at dawn' } }), expect: { actor_type: 'anonymous', target_type: 'User' } },
    { action: IdentityAudit.logout, run: () => t.gql(`mutation { logout }`, {}, { token: c.lightAgent.token }), setup: 'light-agent-session', expect: { actor_id: '$lightAgent', target_id: '$lightAgent' } },
    {
      sudo: 'admin',
      action: AccessAudit.roleCreated,
      run: async () => {
        const r = await t.gql<{ createRole: { key: string } }>(`mutation($i: RoleInput!) { createRole(input: $i) { key } }`, { i: { name: 'Triage', permissions: ['TICKETS_READ'] } }, { token: c.admin.token });
        roleId.value = ok(r).createRole.key;
        return r;
      },
      expect: { actor_id: '$admin', target_type: 'Role' },
    },
    {
      sudo: 'admin',
      action: AccessAudit.roleUpdated, run: () => t.gql(`mutation($k: ID!, $i: RoleInput!) { updateRole(key: $k, input: $i) { key } }`, { k: roleId.value, i: { name: 'Triage', permissions: ['TICKETS_READ', 'TICKETS_CREATE'] } }, { token: c.admin.token }), expect: { target_type: 'Role' } },
    {
      sudo: 'admin',
      action: AccessAudit.roleDeleted, run: () => t.gql(`mutation($k: ID!) { deleteRole(key: $k) }`, { k: roleId.value }, { token: c.admin.token }), expect: { target_type: 'Role' } },
    {
      sudo: 'admin',
      action: AccessAudit.ipAllowlistChanged, run: () => t.gql(`mutation($i: IpAllowlistInput!) { setIpAllowlist(input: $i) { ipMode } }`, { i: { mode: 'report', rules: [{ cidr: '10.0.0.0/8', label: 'office' }] } }, { token: c.admin.token }), expect: { target_type: 'AccessSettings' } },
    { sudo: 'admin', action: AccessAudit.lockdownChanged, run: () => t.gql(`mutation { setLockdown(on: true) { lockdown } }`, {}, { token: c.admin.token }), expect: { target_type: 'AccessSettings' } },
    { sudo: 'admin', action: AccessAudit.lockdownChanged, run: () => t.gql(`mutation { setLockdown(on: false) { lockdown } }`, {}, { token: c.admin.token }), expect: { target_type: 'AccessSettings' } },
    { action: 'platform.accessDenied', run: () => t.gql(`{ identitySettings { lockoutThreshold } }`, {}, { token: c.agent.token }), expect: { actor_id: '$agent', target_id: 'identitySettings', outcome: 'denied' } },
    { action: 'platform.accessDenied', run: () => t.gql(`mutation { signOutEveryone }`, {}, { token: c.agent.token }), expect: { actor_id: '$agent', target_id: 'signOutEveryone', outcome: 'denied' } },
    {
      action: 'tickets.ticketCreated',
      run: async () => {
        const r = await t.gql<{ createTicket: { id: string } }>(`mutation { createTicket(input: { subject: "Printer on fire", body: "help" }) { id } }`, {}, { token: c.agent.token });
        ticketId.value = ok(r).createTicket.id;
        return r;
      },
      expect: { actor_id: '$agent', target_type: 'Ticket' },
    },
    { action: 'tickets.ticketUpdated', run: () => t.gql(`mutation($id: ID!) { updateTicket(id: $id, input: { status: PENDING }) { id } }`, { id: ticketId.value }, { token: c.agent.token }), expect: { target_type: 'Ticket' } },
    { action: 'tickets.commentAdded', run: () => t.gql(`mutation($id: ID!) { addComment(ticketId: $id, input: { body: "on it", public: false }) { id } }`, { id: ticketId.value }, { token: c.agent.token }), expect: { target_type: 'Comment' } },
    {
      action: 'tickets.groupCreated',
      run: async () => {
        const r = await t.gql<{ createTicketGroup: { id: string } }>(`mutation($i: TicketGroupInput!) { createTicketGroup(input: $i) { id } }`, { i: { name: 'Tier 2', memberIds: [c.agent.id] } }, { token: c.admin.token });
        groupId.value = ok(r).createTicketGroup.id;
        return r;
      },
      expect: { actor_id: '$admin', target_type: 'TicketGroup' },
    },
    { action: 'tickets.groupUpdated', run: () => t.gql(`mutation($id: ID!, $i: TicketGroupInput!) { updateTicketGroup(id: $id, input: $i) { id } }`, { id: groupId.value, i: { name: 'Tier 2', memberIds: [] } }, { token: c.admin.token }), expect: { target_type: 'TicketGroup', changes: { members: { before: ['$agent'], after: [] } } as never } },
    { action: 'tickets.groupDeleted', run: () => t.gql(`mutation($id: ID!) { deleteTicketGroup(id: $id) }`, { id: groupId.value }, { token: c.admin.token }), expect: { target_type: 'TicketGroup' } },
    {
      action: IdentityAudit.organizationCreated,
      run: async () => {
        const r = await t.gql<{ createOrganization: { id: string } }>(`mutation { createOrganization(input: { name: "Initech", domains: ["initech.example"] }) { id } }`, {}, { token: c.admin.token });
        orgId.value = ok(r).createOrganization.id;
        return r;
      },
      expect: { actor_id: '$admin', target_type: 'Organization' },
    },
    {
      action: IdentityAudit.organizationUpdated,
      run: () => t.gql(`mutation($id: ID!) { updateOrganization(id: $id, input: { name: "Initech", domains: ["initech.example", "initech.test"] }) { id } }`, { id: orgId.value }, { token: c.admin.token }),
      expect: { target_type: 'Organization', changes: { domains: { before: ['initech.example'], after: ['initech.example', 'initech.test'] } } as never },
    },
    {
      action: IdentityAudit.organizationChanged,
      run: () => t.gql(`mutation($id: ID!, $o: ID) { updateUser(id: $id, input: { organizationId: $o }) { id } }`, { id: c.requester.id, o: orgId.value }, { token: c.admin.token }),
      expect: { target_type: 'User', target_id: '$requester', changes: { organization: { before: null, after: 'Initech' } } as never },
    },
    { action: IdentityAudit.organizationDeleted, run: () => t.gql(`mutation($id: ID!) { deleteOrganization(id: $id) }`, { id: orgId.value }, { token: c.admin.token }), expect: { target_type: 'Organization' } },
    { action: 'tickets.ticketDeleted', run: () => t.gql(`mutation($id: ID!) { deleteTicket(id: $id) }`, { id: ticketId.value }, { token: c.admin.token }), expect: { target_type: 'Ticket' } },
    { action: AuditLogAudit.chainVerified, run: () => t.gql(VERIFY, {}, { token: c.auditor.token }), expect: { actor_id: '$auditor', target_type: 'AuditLog' } },
    { action: AuditLogAudit.settingsChanged, run: () => t.gql(`mutation { setAuditRetention(days: 400) { retentionDays } }`, {}, { token: c.admin.token }), expect: { target_type: 'AuditSettings' } },
    { action: AuditLogAudit.alertRuleCreated, run: () => t.gql(`mutation { createAlertRule(input: { name: "exports", kind: "export" }) { rule { id } } }`, {}, { token: c.admin.token }), expect: { target_type: 'AlertRule' } },
    { action: AuditLogAudit.alertRuleUpdated, run: async () => t.gql(`mutation($id: ID!) { updateAlertRule(id: $id, input: { name: "exports!", kind: "export" }) { rule { id } } }`, { id: (await t.ownerSql<{ id: string }>(`select id from audit_alert_rules where tenant_id = $1`, [c.tenantId]))[0].id }, { token: c.admin.token }), expect: { target_type: 'AlertRule' } },
    { action: AuditLogAudit.alertRuleDeleted, run: async () => t.gql(`mutation($id: ID!) { deleteAlertRule(id: $id) }`, { id: (await t.ownerSql<{ id: string }>(`select id from audit_alert_rules where tenant_id = $1`, [c.tenantId]))[0].id }, { token: c.admin.token }), expect: { target_type: 'AlertRule' } },
    {
      action: AuditLogAudit.deliveryRetried,
      run: async () => {
        const id = randomUUID();
        await t.ownerSql(
          `insert into outbox (tenant_id, id, kind, recipient, summary, payload, status, attempts, last_error, next_attempt_at, created_at) values ($1, $2, 'platform.mail', 'x@coverage.test', 'Lost', 'v1.x', 'failed', 8, '550 no', now(), now())`,
          [c.tenantId, id],
        );
        return t.gql(`mutation($id: ID!) { retryDelivery(id: $id) { status attempts } }`, { id }, { token: c.admin.token });
      },
      expect: { actor_id: '$admin', target_type: 'Delivery' },
    },
    { action: AuditLogAudit.exported, run: () => t.gql(`mutation { exportAuditLog(format: "ndjson") { url } }`, {}, { token: c.auditor.token }), setup: 'sudo-auditor', expect: { actor_id: '$auditor', target_type: 'AuditLog' } },
    { action: 'spam.settingsChanged', run: () => t.gql(`mutation { updateSpamSettings(input: { enabled: true, limit: 45, windowMinutes: 30 }) { limit } }`, {}, { token: c.admin.token }), expect: { actor_id: '$admin', target_type: 'SpamSettings', changes: { limit: { before: 50, after: 45 } } as never } },
    { action: 'attachments.settingsChanged', run: () => t.gql(`mutation { updateAttachmentSettings(input: { maxBytes: 5242880, allowedTypes: ["image/png"] }) { maxBytes } }`, {}, { token: c.admin.token }), expect: { actor_id: '$admin', target_type: 'AttachmentSettings' } },
    { sudo: 'admin', action: 'tickets.exported', run: () => t.gql(`mutation { exportTickets(format: CSV) { url } }`, {}, { token: c.admin.token }), expect: { actor_id: '$admin', target_type: null, outcome: 'success' } },
    {
      sudo: 'admin',
      action: IdentityAudit.tokenCreated,
      run: async () => {
        const r = await t.gql<{ createApiToken: { token: string; apiToken: { id: string } } }>(`mutation { createApiToken(input: { name: "partner", permissions: [TICKETS_READ, TICKETS_VIEW_ALL, TICKETS_CREATE, TICKETS_UPDATE] }) { token apiToken { id } } }`, {}, { token: c.admin.token });
        apiToken.value = ok(r).createApiToken.token;
        apiToken.id = ok(r).createApiToken.apiToken.id;
        return r;
      },
      expect: { actor_id: '$admin', target_type: 'ApiToken' },
    },
    // What a token does is attributed to the token (its id and name at the time).
    { action: 'tickets.ticketCreated', run: () => t.gql(`mutation($r: ID!) { createTicket(input: { subject: "from a partner", body: "x", requesterId: $r }) { id } }`, { r: c.requester.id }, { token: apiToken.value }), expect: { actor_type: 'token', actor_id: '$token', actor_name: 'partner' } },
    { action: IdentityAudit.tokenRevoked, run: () => t.gql(`mutation($id: ID!) { revokeApiToken(id: $id) { id } }`, { id: apiToken.id }, { token: c.admin.token }), expect: { actor_id: '$admin', target_id: '$token' } },
    { action: IdentityAudit.everyoneSignedOut, run: () => t.gql(`mutation { signOutEveryone }`, {}, { token: c.admin.token }), expect: { actor_id: '$admin', target_type: 'Tenant' } },
  ];
  // Actions this table does not perform, and the test that does.
  const ELSEWHERE: Record<string, string> = {
    'audit.pruned': 'retention: "deletes only through the prune path …"',
    'platform.lockdownChanged': 'apps/api/e2e/audit-crash.e2e.ts (the operators\' CLI switch)',
    // Needs the SSO feature (its enforcement setting and a second factor): with the SSO events.
    'identity.breakGlassSignIn': 'libs/sso/api/src/oidc.spec.ts ("lets an owner with two-factor break the glass")',
    // A flood and an admin's decisions, with their own setup (a requester over the limit).
    'spam.quarantined': 'apps/api/src/spam-watcher.spec.ts ("H3 a flood of 60 tickets …": one event, by the requester, in their own mutation)',
    'spam.released': 'apps/api/src/spam-watcher.spec.ts ("H3 a flood of 60 tickets …")',
    'spam.blocked': 'apps/api/src/spam-watcher.spec.ts ("H3 block refuses their new tickets …")',
    'spam.deleted': 'apps/api/src/spam-watcher.spec.ts ("H3 delete removes the held tickets (audited), never the person")',
    // The email channel needs its listener and a DNS table for sender checks: its own spec.
    'mail.messageReceived': 'libs/mail/api/src/inbound.spec.ts ("H5 files a correctly signed new message …", "H5 policy “unverified” …")',
    'mail.messageHeld': 'libs/mail/api/src/inbound.spec.ts ("H5 holds a forged From: …")',
    'mail.messageReleased': 'libs/mail/api/src/inbound.spec.ts ("releases a held message … audited with who decided")',
    'mail.messageDiscarded': 'libs/mail/api/src/inbound.spec.ts ("releases a held message … and discards another")',
    'mail.settingsChanged': 'libs/mail/api/src/inbound.spec.ts ("refuses bad forwarding addresses … records a change with before and after")',
    'mail.inboundSecretRotated': 'libs/mail/api/src/inbound.spec.ts ("H5 the HTTP endpoint files with A’s secret …")',
  };

  it('covers every declared action', () => {
    const covered = new Set([...ROWS.map((r) => r.action), ...Object.keys(ELSEWHERE)]);
    const declared = t.server.app.audit.definitions.map((d) => d.key as string);
    expect(declared.filter((k) => !covered.has(k))).toEqual([]);
  });

  it('performs each action and finds exactly one event, with the right fields, from that request', async () => {
    const ids: Record<string, string> = { get $token() { return apiToken.id; }, $admin: c.admin.id, $agent: c.agent.id, $auditor: c.auditor.id, $requester: c.requester.id, $requester2: c.requester2.id, $lightAgent: c.lightAgent.id, $extra: extra.id };
    for (const row of ROWS) {
      const setup = row.setup;
      if (setup === 'sudo-auditor') await sudo(c.auditor);
      if (setup === 'relogin-extra') extra.token = ok(await login('coverage', extra.email)).login.token;
      if (setup === 'light-agent-session') c.lightAgent.token = await mintSession(t, c.tenantId, c.lightAgent.id);
      if (setup === 'enrol-extra') {
        const begin = ok(await t.gql<{ beginTwoFactorEnrolment: { secret: string } }>(`mutation { beginTwoFactorEnrolment { secret } }`, {}, { token: extra.token }));
        t.clock.advance(30_000);
        ok(await t.gql(`mutation($c: String!) { confirmTwoFactorEnrolment(code: $c) { codes } }`, { c: totp(begin.beginTwoFactorEnrolment.secret) }, { token: extra.token }));
      }
      if (row.sudo === 'admin') await sudo(c.admin);
      if (row.sudo === 'extra') extra.token = await sudo({ ...c.admin, id: extra.id, email: extra.email, token: extra.token });
      t.clock.advance(31_000); // a new TOTP step for every row that needs one
      const r = await row.run();
      const requestId = r.headers.get('x-request-id');
      const events = await eventsOf(requestId);
      const resolve = (v: unknown): unknown =>
        typeof v === 'string' && v.startsWith('$') ? ids[v] : Array.isArray(v) ? v.map(resolve) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolve(x)])) : v;
      const want = resolve(row.expect) as Record<string, unknown>;
      const got = { action: row.action, events: events.map((e) => e.action).sort() };
      const wanted = { action: row.action, events: [row.action, ...(row.also ?? [])].sort() };
      // On a mismatch, the answer says why the action did not happen.
      expect(JSON.stringify(got) === JSON.stringify(wanted) ? got : { ...got, errors: r.errors }).toEqual(wanted);
      const event = events.find((e) => e.action === row.action) as EventRow;
      expect({ action: row.action, ...pick(event, Object.keys(want)) }).toEqual({ action: row.action, ...want });
      expect(event.tenant_id).toBe(c.tenantId);
    }
    // And the chain of all that still verifies (a new session: everyone was signed out last).
    const auditor = await mintSession(t, c.tenantId, c.auditor.id);
    expect(ok(await t.gql<{ verifyAuditChain: { ok: boolean } }>(VERIFY, {}, { token: auditor })).verifyAuditChain.ok).toBe(true);
  }, 120_000);
});

function pick(row: EventRow, keys: string[]) {
  return Object.fromEntries(keys.map((k) => [k, (row as unknown as Record<string, unknown>)[k]]));
}

describe('F4 the fields of an event', () => {
  it('names actor (as they were), tenant, action, target, time in ms UTC, IP, user agent, request id, outcome and a diff with secrets redacted', async () => {
    const r = await t.gql<{ createTicket: { id: string } }>(`mutation { createTicket(input: { subject: "F4", body: "fields" }) { id } }`, {}, { token: a.agent.token, headers: { 'user-agent': 'F4-agent/1.0' } });
    const id = ok(r).createTicket.id;
    const before = t.clock.now();
    const upd = await t.gql(`mutation($id: ID!) { updateTicket(id: $id, input: { subject: "F4 renamed", priority: HIGH }) { id } }`, { id }, { token: a.agent.token, headers: { 'user-agent': 'F4-agent/1.0' } });
    const [e] = await eventsOf(upd.headers.get('x-request-id'));
    expect(e).toMatchObject({
      tenant_id: a.tenantId,
      actor_type: 'user',
      actor_id: a.agent.id,
      actor_name: 'agent of acme',
      action: 'tickets.ticketUpdated',
      target_type: 'Ticket',
      target_id: id,
      outcome: 'success',
      ip: '127.0.0.1',
      user_agent: 'F4-agent/1.0',
      request_id: upd.headers.get('x-request-id'),
      changes: { subject: { before: 'F4', after: 'F4 renamed' }, priority: { before: 'normal', after: 'high' } },
    });
    expect(Math.abs(new Date(e.occurred_at).getTime() - before.getTime())).toBeLessThan(5000);
    expect(new Date(e.occurred_at).getTime() % 1).toBe(0);
    // The name is the one at the time: renaming the person later leaves the event as it was.
    await t.ownerSql(`update users set name = 'Renamed Agent' where id = $1`, [a.agent.id]);
    const [again] = await t.ownerSql<EventRow>('select actor_name from audit_events where id = $1', [e.id]);
    expect(again.actor_name).toBe('agent of acme');
    await t.ownerSql(`update users set name = 'agent of acme' where id = $1`, [a.agent.id]);
    // Secrets by declaration: a comment's text is redacted; no password hash ever reaches the log.
    const com = await t.gql(`mutation($id: ID!) { addComment(ticketId: $id, input: { body: "secret text" }) { id } }`, { id }, { token: a.agent.token });
    const [ce] = await eventsOf(com.headers.get('x-request-id'));
    expect(ce.changes?.body).toEqual({ before: null, after: '[redacted]' });
    const leaks = await t.ownerSql<{ n: number }>(`select count(*)::int as n from audit_events where (coalesce(changes::text, '') || coalesce(details::text, '')) ~ '\\$2[aby]\\$|secret text|whsec_|persona password'`);
    expect(leaks[0].n).toBe(0);
  });
});

describe('F5 the same transaction as the change', () => {
  it('runs sign-in and other tenant-changing fields alone, so no operation acts in two tenants', async () => {
    const r = await t.gql(
      `mutation($i: PasswordResetRequestInput!) { a: createTicket(input: { subject: "two tenants", body: "x" }) { id } b: requestPasswordReset(input: $i) }`,
      { i: { tenant: 'globex', email: 'nobody@globex.test' } },
      { token: a.agent.token },
    );
    expect(code(r)).toBe('BAD_USER_INPUT');
    expect(await t.ownerSql(`select 1 from tickets where subject = 'two tenants'`)).toEqual([]);
    expect(await eventsOf(r.headers.get('x-request-id'))).toEqual([]);
  });

  it('counts the fields of root fragments too: hidden in a fragment, sign-in still runs alone', async () => {
    const forms = [
      `mutation($i: PasswordResetRequestInput!) { ...M } fragment M on Mutation { a: createTicket(input: { subject: "fragment", body: "x" }) { id } b: requestPasswordReset(input: $i) }`,
      `mutation($i: PasswordResetRequestInput!) { ... on Mutation { a: createTicket(input: { subject: "fragment", body: "x" }) { id } } ...M } fragment M on Mutation { b: requestPasswordReset(input: $i) }`,
    ];
    for (const query of forms) {
      const r = await t.gql(query, { i: { tenant: 'globex', email: 'nobody@globex.test' } }, { token: a.agent.token });
      expect({ query, code: code(r), message: r.errors?.[0].message }).toEqual({ query, code: 'BAD_USER_INPUT', message: 'requestPasswordReset must be the only field of its operation' });
      expect(await eventsOf(r.headers.get('x-request-id'))).toEqual([]);
    }
    expect(await t.ownerSql(`select 1 from tickets where subject = 'fragment'`)).toEqual([]);
  });

  it('writes a committed change with its event, and leaves neither when the work fails', async () => {
    const count = async () => Number((await t.ownerSql<{ n: string }>(`select count(*) as n from audit_events where tenant_id = $1`, [a.tenantId]))[0].n);
    const tickets = async () => Number((await t.ownerSql<{ n: string }>(`select count(*) as n from tickets where tenant_id = $1 and subject = 'F5'`, [a.tenantId]))[0].n);
    const n0 = await count();
    await expect(
      withSystemContext(t.server.orm, t.server.app, a.tenantId, 'F5 test', async (ctx) => {
        audit(ctx, AccessAudit.lockdownChanged, { targetId: 'x', changes: { lockdown: { before: false, after: true } } });
        await ctx.em.getConnection().execute(`update tickets set subject = 'F5' where tenant_id = ?`, [a.tenantId], 'run', ctx.em.getTransactionContext());
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect({ events: await count(), tickets: await tickets() }).toEqual({ events: n0, tickets: 0 });

    // In GraphQL: each mutation field is a savepoint. The first field commits with its event,
    // the second fails after its change and event were made, and leaves neither.
    const r = await t.gql<{ ok: { id: string } }>(
      `mutation { ok: createTicket(input: { subject: "F5 ok", body: "x" }) { id } bad: updateTicket(id: "00000000-0000-4000-8000-000000000000", input: { subject: "nope" }) { id } }`,
      {},
      { token: a.admin.token },
    );
    expect(code(r)).toBe('NOT_FOUND');
    const [created] = await t.ownerSql<{ id: string }>(`select id from tickets where tenant_id = $1 and subject = 'F5 ok'`, [a.tenantId]);
    const events = await eventsOf(r.headers.get('x-request-id'));
    expect(events.map((e) => [e.action, e.target_id])).toEqual([['tickets.ticketCreated', created.id]]);
  });

  it('keeps the event of a refused attempt although the attempt rolls back (authorization failures, failed sign-ins)', async () => {
    const r = await t.gql(`mutation { a: createTicket(input: { subject: "F5 denied", body: "x" }) { id } b: deleteTicket(id: "00000000-0000-4000-8000-000000000000") }`, {}, { token: a.agent.token });
    const events = await eventsOf(r.headers.get('x-request-id'));
    expect(events.map((e) => [e.action, e.outcome, e.target_id])).toEqual([
      ['tickets.ticketCreated', 'success', expect.any(String)],
      ['platform.accessDenied', 'denied', 'b'],
    ]);
  });
});

describe('F6 structured logs', () => {
  it('writes one JSON object per line, escapes control characters and redacts secrets', async () => {
    // A sign-in to a workspace that does not exist: its event has no tenant to be stored in, so
    // the writer logs it instead (structured, without the password).
    await login('no-such-workspace', 'mallory@nowhere.test', 'hunter2 hunter2 hunter2');
    const lines = t.logs();
    for (const l of lines) expect(() => JSON.parse(l)).not.toThrow();
    const line = lines.find((l) => l.includes('identity.loginFailed') && l.includes('nowhere.test'));
    expect(JSON.parse(line!)).toMatchObject({ msg: 'audit', action: 'identity.loginFailed', actorName: 'mallory@nowhere.test', outcome: 'failure' });
    expect(lines.join('\n')).not.toContain('hunter2');

    // Control characters and forged lines in values stay inside one escaped JSON line.
    const out: string[] = [];
    const log = createLogger({}, (l) => out.push(l));
    log.info('x', { typed: 'evil\n{"level":"error","msg":"forged"}\u0007\u001b[31m', password: 'p1', nested: { sessionToken: 't1', authorization: 'Bearer b1' }, note: 'fine' });
    expect(out).toHaveLength(1);
    expect([...out[0]].some((ch) => ch.charCodeAt(0) < 0x20)).toBe(false);
    expect(JSON.parse(out[0])).toMatchObject({
      msg: 'x',
      typed: 'evil\n{"level":"error","msg":"forged"}\u0007\u001b[31m',
      password: '[redacted]',
      nested: { sessionToken: '[redacted]', authorization: '[redacted]' },
      note: 'fine',
    });

    // A child's fields, and its parent's, are redacted the same way when a line is written.
    const child = createLogger({ service: 's', apiToken: 'base-secret' }, (l) => out.push(l)).child({ requestId: 'r1', sessionSecret: 'child-secret' });
    child.warn('y', { password: 'p2' });
    expect(JSON.parse(out[1])).toEqual({ time: expect.any(String), level: 'warn', msg: 'y', service: 's', apiToken: '[redacted]', requestId: 'r1', sessionSecret: '[redacted]', password: '[redacted]' });
  });
});

describe('reading the log', () => {
  it('pages newest first by keyset, and filters by actor, action, target, outcome, time and IP', async () => {
    const tenant = await createPersonas(t, 'pager');
    for (let i = 0; i < 30; i++) ok(await t.gql(`mutation($s: String!) { createTicket(input: { subject: $s, body: "x" }) { id } }`, { s: `p${i}` }, { token: tenant.agent.token }));
    await login('pager', 'agent@pager.test', 'wrong password for pager');
    const Q = `query($f: AuditFilter, $first: Int, $after: String) { auditEvents(filter: $f, first: $first, after: $after) { items { seq action actorId outcome ip } hasMore nextCursor } }`;
    type Page = { auditEvents: { items: { seq: number; action: string; actorId: string | null; outcome: string; ip: string }[]; hasMore: boolean; nextCursor: string | null } };
    const seen: number[] = [];
    let after: string | null = null;
    do {
      const page: Page = ok(await t.gql<Page>(Q, { first: 7, after }, { token: tenant.auditor.token }));
      seen.push(...page.auditEvents.items.map((e) => e.seq));
      after = page.auditEvents.nextCursor;
      expect(page.auditEvents.hasMore).toBe(after !== null);
    } while (after);
    expect(seen).toEqual([...seen].sort((x, y) => y - x));
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length).toBe((await allEvents(tenant.tenantId)).length);

    const get = async (f: object) => ok(await t.gql<Page>(Q, { f, first: 100 }, { token: tenant.auditor.token })).auditEvents.items;
    expect((await get({ actorId: tenant.agent.id })).length).toBe(30);
    expect((await get({ actions: ['identity.loginFailed'] })).map((e) => e.outcome)).toEqual(['failure']);
    expect((await get({ outcome: 'failure' })).length).toBe(1);
    expect((await get({ ip: '127.0.0.1' })).length).toBe(31);
    expect((await get({ ip: '10.9.9.9' })).length).toBe(0);
    expect((await get({ from: new Date(Date.now() + 3600_000).toISOString() })).length).toBe(0);
    expect((await get({ to: new Date(Date.now() + 3600_000).toISOString(), targetType: 'Ticket' })).length).toBe(30);
  });
});

describe('export', () => {
  it('needs re-authentication, is audited, streams once as CSV or NDJSON, and the link dies after use', async () => {
    expect(code(await t.gql(`mutation { exportAuditLog { url } }`, {}, { token: a.auditor.token }))).toBe('REAUTH_REQUIRED');
    await sudo(a.auditor);
    // D14: a format it does not know is refused, not turned into CSV.
    expect(code(await t.gql(`mutation { exportAuditLog(format: "xlsx") { url } }`, {}, { token: a.auditor.token }))).toBe('BAD_USER_INPUT');
    const r = await t.gql<{ exportAuditLog: { url: string } }>(`mutation($f: AuditFilter) { exportAuditLog(format: "csv", filter: $f) { url } }`, { f: { targetType: 'Ticket' } }, { token: a.auditor.token });
    const url = ok(r).exportAuditLog.url;
    expect(url).toMatch(/^\/api\/audit\/export\/bwx_/);
    const res = await fetch(`${t.url}${url}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/csv/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const lines = (await res.text()).trim().split('\r\n');
    expect(lines[0]).toBe('seq,id,occurred_at,actor_type,actor_id,actor_name,action,target_type,target_id,outcome,ip,user_agent,request_id,changes,details,hash');
    const ticketEvents = await t.ownerSql(`select 1 from audit_events where tenant_id = $1 and target_type = 'Ticket' and seq < (select max(seq) from audit_events where tenant_id = $1)`, [a.tenantId]);
    expect(lines.length - 1).toBe(ticketEvents.length);
    expect((await fetch(`${t.url}${url}`)).status).toBe(404); // once
    expect(t.logs().some((l) => l.includes(url.split('/').pop()!))).toBe(false); // B9: never logged
    // Racing downloads of one link: exactly one gets the file.
    await sudo(a.auditor);
    const raced = ok(await t.gql<{ exportAuditLog: { url: string } }>(`mutation { exportAuditLog(format: "csv") { url } }`, {}, { token: a.auditor.token })).exportAuditLog.url;
    const statuses = await Promise.all([1, 2, 3].map(() => fetch(`${t.url}${raced}`).then(async (x) => (await x.arrayBuffer(), x.status))));
    expect(statuses.sort()).toEqual([200, 404, 404]);
    const [exported] = await eventsOf(r.headers.get('x-request-id'));
    expect(exported).toMatchObject({ action: 'audit.exported', actor_id: a.auditor.id, details: expect.objectContaining({ format: 'csv' }) });

    const nd = ok(await t.gql<{ exportAuditLog: { url: string } }>(`mutation { exportAuditLog(format: "ndjson") { url } }`, {}, { token: a.auditor.token })).exportAuditLog.url;
    const rows = (await (await fetch(`${t.url}${nd}`)).text()).trim().split('\n').map((l) => JSON.parse(l));
    expect(rows.length).toBeGreaterThan(5);
    expect(rows[0]).toMatchObject({ seq: expect.any(Number), action: expect.any(String), hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    // Another tenant's token shape, or a tampered one, finds nothing.
    expect((await fetch(`${t.url}${nd.slice(0, -4)}AAAA`)).status).toBe(404);
  });
});

describe('retention', () => {
  it('deletes only through the prune path, keeps at least 90 days, checkpoints the chain and records it', async () => {
    const tenant = await createPersonas(t, 'oldtimer');
    t.clock.advance(-100 * 86_400_000); // events written 100 days ago
    for (let i = 0; i < 3; i++) ok(await t.gql(`mutation { createTicket(input: { subject: "old", body: "x" }) { id } }`, {}, { token: tenant.agent.token }));
    t.clock.reset();
    expect(code(await t.gql(`mutation { setAuditRetention(days: 30) { retentionDays } }`, {}, { token: tenant.admin.token }))).toBe('BAD_USER_INPUT');
    ok(await t.gql(`mutation { setAuditRetention(days: 90) { retentionDays } }`, {}, { token: tenant.admin.token }));
    ok(await t.gql(`mutation { createTicket(input: { subject: "new", body: "x" }) { id } }`, {}, { token: tenant.agent.token }));
    const before = await allEvents(tenant.tenantId);
    const old = before.filter((e) => new Date(e.occurred_at).getTime() < Date.now() - 90 * 86_400_000);
    expect(old.length).toBe(3);

    // The job's path: every tenant by its own setting.
    expect(await pruneAll(t.server.orm)).toBeGreaterThanOrEqual(3);
    const after = await allEvents(tenant.tenantId);
    expect(after.some((e) => old.some((o) => o.id === e.id))).toBe(false);
    expect(after.at(-1)).toMatchObject({ action: 'audit.pruned', actor_type: 'system', details: expect.objectContaining({ deleted: 3, retentionDays: 90 }) });
    const [cp] = await t.ownerSql<{ seq: string }>('select seq from audit_checkpoints where tenant_id = $1', [tenant.tenantId]);
    expect(Number(cp.seq)).toBe(Number(old.at(-1)!.seq));
    expect(ok(await t.gql<{ verifyAuditChain: { ok: boolean } }>(VERIFY, {}, { token: tenant.admin.token })).verifyAuditChain.ok).toBe(true);
    // Other tenants keep their recent events.
    expect((await allEvents(a.tenantId)).length).toBeGreaterThan(0);
  });
});

describe('alerts', () => {
  it('refuses, in production, webhooks whose host is on an internal network (SSRF)', async () => {
    expect(['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '::1', 'fd00::1', 'fe80::1', '::ffff:10.0.0.1', '0.0.0.0'].filter((ip) => !isInternalAddress(ip))).toEqual([]);
    expect(['8.8.8.8', '203.0.113.5', '2001:db8::1'].filter(isInternalAddress)).toEqual([]);
    // Final: the outbox marks it failed without trying again.
    await expect(postWebhook('https://localhost:9/hook', signWebhook('s', '{}', new Date()), { publicOnly: true })).rejects.toMatchObject({
      final: true,
      message: 'refused: the host resolves to an internal address',
    });
  });

  it('raises a failed-login alert once per window, delivers a signed webhook, and streams it to the operators', async () => {
    const received: { headers: IncomingHttpHeaders; body: string }[] = [];
    let failFirst = true;
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        // The first delivery fails: the retry must get through.
        if (failFirst) {
          failFirst = false;
          res.writeHead(503).end();
          return;
        }
        received.push({ headers: req.headers, body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
      const tenant = await createPersonas(t, 'alerted');
      const created = ok(
        await t.gql<{ createAlertRule: { webhookSecret: string; rule: { id: string } } }>(
          `mutation($i: AlertRuleInput!) { createAlertRule(input: $i) { webhookSecret rule { id webhookUrl } } }`,
          { i: { name: 'brute force', kind: 'failed_logins', threshold: 3, windowMinutes: 10, webhookUrl: url } },
          { token: tenant.admin.token },
        ),
      );
      const secret = created.createAlertRule.webhookSecret;
      expect(secret).toMatch(/^whsec_/);
      const [stored] = await t.ownerSql<{ webhook_secret_sealed: string }>('select webhook_secret_sealed from audit_alert_rules where id = $1', [created.createAlertRule.rule.id]);
      expect(stored.webhook_secret_sealed).toMatch(/^v1\./);
      expect(stored.webhook_secret_sealed).not.toContain(secret.slice(6));

      for (let i = 0; i < 5; i++) await login('alerted', 'agent@alerted.test', `wrong guess ${i}`);
      const alerts = await waitFor(async () => {
        const list = ok(await t.gql<{ securityAlerts: { kind: string; subject: string; delivery: string; attempts: number; eventId: string }[] }>(`{ securityAlerts { kind subject title delivery attempts eventId } }`, {}, { token: tenant.auditor.token })).securityAlerts;
        return list.length >= 2 && list.every((x) => x.delivery !== 'pending') ? list : null;
      });
      // One per subject (the account, the address) for the window, not one per failure.
      expect(alerts.map((x) => x.subject).sort()).toEqual([`account:${tenant.agent.id}`, 'ip:127.0.0.1']);
      expect(alerts.every((x) => x.delivery === 'delivered')).toBe(true);
      // Each alert names the event that crossed the threshold.
      for (const x of alerts) {
        const ev = ok(await t.gql<{ auditEvent: { action: string } }>(`query($id: ID!) { auditEvent(id: $id) { action } }`, { id: x.eventId }, { token: tenant.auditor.token }));
        expect(ev.auditEvent.action).toBe('identity.loginFailed');
      }
      expect(alerts.some((x) => x.attempts === 2)).toBe(true);
      expect(received).toHaveLength(2);
      for (const r of received) {
        const h = Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, String(v)]));
        expect(verifyWebhook(secret, h, r.body, Math.floor(Date.now() / 1000))).toBe(true);
        expect(verifyWebhook(secret, h, r.body.replace('failed', 'FAILED'), Math.floor(Date.now() / 1000))).toBe(false);
        expect(verifyWebhook(secret, h, r.body, Math.floor(Date.now() / 1000) + 3600)).toBe(false); // stale
        expect(JSON.parse(r.body)).toMatchObject({ type: 'bulwark.alert', alert: { kind: 'failed_logins', rule: 'brute force' } });
      }
      expect(t.logs().filter((l) => l.includes('"msg":"security alert"') && l.includes(tenant.tenantId))).toHaveLength(2);
      // The secret never comes back.
      const rules = await t.gql(`{ alertRules { id webhookUrl } }`, {}, { token: tenant.admin.token });
      expect(JSON.stringify(rules)).not.toContain(secret);
      // Another tenant sees none of it.
      expect(ok(await t.gql<{ securityAlerts: unknown[] }>(`{ securityAlerts { id } }`, {}, { token: b.admin.token })).securityAlerts).toEqual([]);
    } finally {
      server.close();
    }
  }, 60_000);

  it('alerts on permission grants and network changes; refuses non-https webhooks in production-like input', async () => {
    const tenant = await createPersonas(t, 'watched');
    ok(await t.gql(`mutation { createAlertRule(input: { name: "grants", kind: "permission_granted" }) { rule { id } } }`, {}, { token: tenant.admin.token }));
    ok(await t.gql(`mutation { createAlertRule(input: { name: "network", kind: "network_change" }) { rule { id } } }`, {}, { token: tenant.admin.token }));
    expect(code(await t.gql(`mutation { createAlertRule(input: { name: "x", kind: "nonsense" }) { rule { id } } }`, {}, { token: tenant.admin.token }))).toBe('BAD_USER_INPUT');
    expect(code(await t.gql(`mutation { createAlertRule(input: { name: "x", kind: "export", webhookUrl: "ftp://a" }) { rule { id } } }`, {}, { token: tenant.admin.token }))).toBe('BAD_USER_INPUT');
    await sudo(tenant.admin);
    ok(await t.gql(`mutation($i: RoleInput!) { createRole(input: $i) { key } }`, { i: { name: 'Grantee', permissions: ['TICKETS_READ'] } }, { token: tenant.admin.token }));
    ok(await t.gql(`mutation { setLockdown(on: true) { lockdown } }`, {}, { token: tenant.admin.token }));
    ok(await t.gql(`mutation { setLockdown(on: false) { lockdown } }`, {}, { token: tenant.admin.token }));
    const list = await waitFor(async () => {
      const l = ok(await t.gql<{ securityAlerts: { kind: string }[] }>(`{ securityAlerts { kind title } }`, {}, { token: tenant.admin.token })).securityAlerts;
      return l.length >= 3 ? l : null;
    });
    expect(list.map((x) => x.kind).sort()).toEqual(['network_change', 'network_change', 'permission_granted']);
  });
});

async function waitFor<T>(fn: () => Promise<T | null>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 100));
  }
}
