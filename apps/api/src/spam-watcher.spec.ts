import { withSystemContext } from '@bulwark/platform-api';
import { startTestServer, type GqlResult, type TestServer } from '@bulwark/platform-api/testing';
import { createUser } from '@bulwark/identity-api';
import { createPersonas, mintSession, PERSONA_PASSWORD, personaPasswordHash, type Persona, type TenantPersonas } from '@bulwark/identity-api/testing';
import { createTicket } from '@bulwark/tickets-api';
import { apiPlugins } from '@bulwark/composition-api';

/**
 * The spam watcher (issue 18 part 2; SECURITY.md H3, with F3–F5 for its events and D2 for its
 * queue). Each flood uses a requester of its own, so the tests do not share counts. It lives with
 * the whole-app specs because it needs the audit feature (events, alerts), which builds on tickets.
 */
let t: TestServer;
let a: TenantPersonas;
let b: TenantPersonas;

const QUARANTINE_FIELDS = `id subjectKind address ticketCount limit windowMinutes since status decidedAt heldCount
  heldTickets { id subject createdAt } requester { id name } decidedBy { id name }`;
const Q = {
  create: `mutation($s: String!) { createTicket(input: { subject: $s, body: "flood" }) { id subject } }`,
  list: `query($f: TicketFilter, $p: PageInput) { tickets(filter: $f, page: $p, sort: { field: CREATED_AT, direction: ASC }) { totalCount nodes { id subject } } }`,
  get: `query($id: ID!) { ticket(id: $id) { id } }`,
  queue: `query($f: QuarantineFilter) { spamQuarantines(filter: $f) { totalCount nodes { ${QUARANTINE_FIELDS} } } }`,
  release: `mutation($id: ID!) { releaseQuarantine(id: $id) { ${QUARANTINE_FIELDS} } }`,
  block: `mutation($id: ID!) { blockQuarantine(id: $id) { ${QUARANTINE_FIELDS} } }`,
  del: `mutation($id: ID!) { deleteQuarantinedTickets(id: $id) { ${QUARANTINE_FIELDS} } }`,
  settings: `{ spamSettings { enabled limit windowMinutes defaults { enabled limit windowMinutes } } }`,
  setSettings: `mutation($i: SpamSettingsInput!) { updateSpamSettings(input: $i) { enabled limit windowMinutes } }`,
};

interface Quarantine {
  id: string;
  subjectKind: string;
  address: string | null;
  ticketCount: number;
  limit: number;
  windowMinutes: number;
  status: string;
  heldCount: number;
  heldTickets: { id: string; subject: string }[];
  requester: { id: string; name: string } | null;
  decidedBy: { id: string; name: string } | null;
}

const code = (r: GqlResult<unknown>) => r.errors?.[0]?.extensions?.code;
function ok<T>(r: GqlResult<T>): T {
  if (!r.data || r.errors) throw new Error(JSON.stringify(r.errors));
  return r.data;
}

let seq = 0;
type Flooder = Persona & { name: string };
/** A requester of their own, signed in, for one flood. */
async function newRequester(tenant: TenantPersonas): Promise<Flooder> {
  const n = ++seq;
  const email = `flood${n}@${tenant.slug}.test`;
  const name = `Flooder ${n}`;
  const passwordHash = await personaPasswordHash();
  const id = await withSystemContext(t.server.orm, t.server.app, tenant.tenantId, 'spam spec', async (ctx) => (await createUser(ctx, { email, name, role: 'requester', passwordHash })).id);
  return { id, email, name, role: 'requester', token: await mintSession(t, tenant.tenantId, id) };
}

const file = (p: Persona, subject: string) => t.gql<{ createTicket: { id: string } }>(Q.create, { s: subject }, { token: p.token });

/** Files n tickets one after another; answers every result. */
async function flood(p: Persona, n: number, prefix: string) {
  const out: GqlResult<{ createTicket: { id: string } }>[] = [];
  for (let i = 1; i <= n; i++) out.push(await file(p, `${prefix} ${String(i).padStart(2, '0')}`));
  return out;
}

const queue = async (tenant: TenantPersonas, status?: string[]) => ok(await t.gql<{ spamQuarantines: { totalCount: number; nodes: Quarantine[] } }>(Q.queue, { f: status ? { status } : null }, { token: tenant.admin.token })).spamQuarantines.nodes;
const quarantineOf = async (tenant: TenantPersonas, p: Persona, status?: string[]) => (await queue(tenant, status)).find((q) => q.requester?.id === p.id);

const stored = async (subjectPrefix: string) =>
  t.ownerSql<{ subject: string; held: boolean }>(`select subject, quarantine_id is not null as held from tickets where subject like $1 order by created_at, subject`, [`${subjectPrefix} %`]);

const events = (action: string, targetId: string) =>
  t.ownerSql<{ actor_id: string; actor_type: string; target_type: string; details: Record<string, unknown>; outcome: string }>(
    `select actor_id, actor_type, target_type, details, outcome from audit_events where action = $1 and target_id = $2 order by seq`,
    [action, targetId],
  );

beforeAll(async () => {
  t = await startTestServer(apiPlugins, { BULWARK_BACKUP_SCHEDULER_SECONDS: '0' });
  a = await createPersonas(t, 'spam-a');
  b = await createPersonas(t, 'spam-b');
}, 60_000);
afterAll(() => t?.close());

describe('H3 the spam watcher quarantines (never deletes) a requester over the limit', () => {
  it('H3 a flood of 60 tickets in a minute leaves 50 created and 10 held, answered RATE_LIMITED with retryAfter; release restores them in order; other requesters are unaffected', async () => {
    const flooder = await newRequester(a);
    const results = await flood(flooder, 60, 'flood-seq');
    expect(results.filter((r) => r.data?.createTicket).length).toBe(50);
    const refused = results.slice(50);
    for (const r of refused) {
      expect(r.errors?.[0].extensions).toMatchObject({ code: 'RATE_LIMITED', held: true });
      expect(r.errors?.[0].extensions?.retryAfter).toEqual(expect.any(Number));
      expect(r.errors?.[0].extensions?.retryAfter as number).toBeGreaterThan(0);
      expect(r.errors?.[0].extensions?.retryAfter as number).toBeLessThanOrEqual(30 * 60);
      expect(r.errors?.[0].message).toMatch(/held for review/);
      // Like every RATE_LIMITED answer (H4): 429, and when to come back in the header too.
      expect(r.status).toBe(429);
      expect(Number(r.headers.get('retry-after'))).toBe(r.errors?.[0].extensions?.retryAfter);
    }
    // Held, not deleted: all 60 are stored, the last 10 held.
    const rows = await stored('flood-seq');
    expect(rows.length).toBe(60);
    expect(rows.filter((x) => x.held).map((x) => x.subject)).toEqual(Array.from({ length: 10 }, (_, i) => `flood-seq ${51 + i}`));

    // Another requester of the same tenant files as usual.
    expect(code(await file(a.requester2, 'bystander'))).toBeUndefined();

    // The requester sees their 50; the staff see 50 of theirs.
    const mine = ok(await t.gql<{ tickets: { totalCount: number } }>(Q.list, { p: { limit: 100 } }, { token: flooder.token })).tickets;
    expect(mine.totalCount).toBe(50);

    const q = (await quarantineOf(a, flooder))!;
    expect(q).toMatchObject({ subjectKind: 'REQUESTER', status: 'ACTIVE', ticketCount: 50, limit: 50, windowMinutes: 30, heldCount: 10, requester: { name: flooder.name } });
    expect(q.heldTickets.map((h) => h.subject)).toEqual(Array.from({ length: 10 }, (_, i) => `flood-seq ${51 + i}`));

    const released = ok(await t.gql<{ releaseQuarantine: Quarantine }>(Q.release, { id: q.id }, { token: a.admin.token })).releaseQuarantine;
    expect(released).toMatchObject({ status: 'RELEASED', heldCount: 0, decidedBy: { id: a.admin.id } });
    const after = ok(await t.gql<{ tickets: { totalCount: number; nodes: { subject: string }[] } }>(Q.list, { p: { limit: 100 }, f: { requesterId: flooder.id } }, { token: a.admin.token })).tickets;
    expect(after.totalCount).toBe(60);
    // In the order they were filed: the released ones after the 50, by their original times.
    expect(after.nodes.map((n) => n.subject)).toEqual(Array.from({ length: 60 }, (_, i) => `flood-seq ${String(i + 1).padStart(2, '0')}`));
    // Released, they start afresh: the next ticket is filed.
    expect(code(await file(flooder, 'flood-seq after release'))).toBeUndefined();

    // F3/F4/F5: one quarantine event by the requester in their own mutation, one release by the admin.
    const [quarantined] = await events('spam.quarantined', q.id);
    expect(await events('spam.quarantined', q.id)).toHaveLength(1);
    expect(quarantined).toMatchObject({ actor_type: 'user', actor_id: flooder.id, target_type: 'SpamQuarantine', outcome: 'success', details: { ticketCount: 50, limit: 50, windowMinutes: 30, subjectKind: 'requester', subject: flooder.name } });
    expect(await events('spam.released', q.id)).toEqual([expect.objectContaining({ actor_id: a.admin.id, details: expect.objectContaining({ tickets: 10 }) })]);
  }, 120_000);

  it('H3 counts exactly when the 60 arrive concurrently (an advisory lock per tenant and requester)', async () => {
    const flooder = await newRequester(a);
    // A client told that nothing was stored tries again, as the answer says: on a loaded machine
    // (the suite's other workers) a request can wait past the lock's timeout (RATE_LIMITED, not
    // held) or the operation's deadline (SERVICE_UNAVAILABLE, rolled back). Either way nothing of
    // it counted; an answer whose outcome is unknown would make the count unknowable, so it fails.
    const persistent = async (subject: string) => {
      for (let attempt = 0; ; attempt++) {
        const r = await file(flooder, subject);
        const e = r.errors?.[0].extensions;
        if (e?.outcome === 'unknown') throw new Error(`${subject}: outcome unknown`);
        const nothingStored = (code(r) === 'RATE_LIMITED' && !e?.held) || code(r) === 'SERVICE_UNAVAILABLE';
        if (!nothingStored || attempt === 20) return r;
        await new Promise((res) => setTimeout(res, 250 + Math.random() * 500));
      }
    };
    const results = await Promise.all(Array.from({ length: 60 }, (_, i) => persistent(`flood-par ${String(i + 1).padStart(2, '0')}`)));
    const tally: Record<string, number> = {};
    for (const r of results) {
      const k = r.data?.createTicket ? 'filed' : `${code(r)}${r.errors?.[0].extensions?.held ? ' held' : ''}`;
      tally[k] = (tally[k] ?? 0) + 1;
    }
    expect(tally).toEqual({ filed: 50, 'RATE_LIMITED held': 10 });
    const rows = await stored('flood-par');
    expect(rows.length).toBe(60);
    expect(rows.filter((x) => x.held).length).toBe(10);
    const open = (await queue(a)).filter((q) => q.requester?.id === flooder.id);
    expect(open).toHaveLength(1);
    expect(open[0].heldCount).toBe(10);
    expect(await events('spam.quarantined', open[0].id)).toHaveLength(1);
  }, 120_000);

  it('H3 held tickets are invisible in lists, counts, search, export pages and ticket(id), to everyone; only the queue shows them', async () => {
    await withSettings(a, { enabled: true, limit: 2, windowMinutes: 30 }, async () => {
      const flooder = await newRequester(a);
      await flood(flooder, 3, 'hidden');
      const [held] = await t.ownerSql<{ id: string }>(`select id from tickets where subject = 'hidden 03' and quarantine_id is not null`);
      expect(held).toBeDefined();
      for (const p of [a.admin, a.agent, flooder]) {
        expect(code(await t.gql(Q.get, { id: held.id }, { token: p.token }))).toBe('NOT_FOUND');
        const search = ok(await t.gql<{ tickets: { totalCount: number; nodes: { id: string }[] } }>(Q.list, { f: { search: 'hidden' }, p: { limit: 100 } }, { token: p.token })).tickets;
        expect(search.totalCount).toBe(2);
        expect(search.nodes.map((n) => n.id)).not.toContain(held.id);
      }
      // Nor can anyone act on it as a ticket.
      expect(code(await t.gql(`mutation($id: ID!) { updateTicket(id: $id, input: { status: OPEN }) { id } }`, { id: held.id }, { token: a.admin.token }))).toBe('NOT_FOUND');
      expect(code(await t.gql(`mutation($id: ID!) { addComment(ticketId: $id, input: { body: "x" }) { id } }`, { id: held.id }, { token: flooder.token }))).toBe('NOT_FOUND');
      // Nor is it in an export (the file streams through the list's conditions).
      const sudo = ok(await t.gql<{ reauthenticate: { token: string } }>(`mutation($p: String!) { reauthenticate(password: $p) { token } }`, { p: PERSONA_PASSWORD }, { token: a.admin.token }));
      a.admin.token = sudo.reauthenticate.token;
      const { url } = ok(await t.gql<{ exportTickets: { url: string } }>(`mutation { exportTickets(format: NDJSON, filter: { search: "hidden" }) { url } }`, {}, { token: a.admin.token })).exportTickets;
      const lines = (await (await fetch(`${t.url}${url}`)).text()).trim().split('\n').map((l) => JSON.parse(l) as { subject: string });
      expect(lines.map((l) => l.subject).sort()).toEqual(['hidden 01', 'hidden 02']);
      const q = (await quarantineOf(a, flooder))!;
      expect(q.heldTickets.map((h) => h.id)).toEqual([held.id]);
    });
  }, 60_000);

  it('H3 block refuses their new tickets (nothing stored) until released; release lets the held ones through', async () => {
    await withSettings(a, { enabled: true, limit: 2, windowMinutes: 30 }, async () => {
      const flooder = await newRequester(a);
      await flood(flooder, 3, 'blocked');
      const q = (await quarantineOf(a, flooder))!;
      const blocked = ok(await t.gql<{ blockQuarantine: Quarantine }>(Q.block, { id: q.id }, { token: a.admin.token })).blockQuarantine;
      expect(blocked).toMatchObject({ status: 'BLOCKED', heldCount: 1 });
      const refused = await file(flooder, 'blocked 04');
      expect(refused.errors?.[0]).toMatchObject({ extensions: { code: 'FORBIDDEN', reason: 'spam_blocked' } });
      expect(refused.errors?.[0].message).toMatch(/not accepting new tickets from you/);
      expect((await stored('blocked')).map((r) => r.subject)).toEqual(['blocked 01', 'blocked 02', 'blocked 03']);
      // Blocking twice is a decision already made.
      expect(code(await t.gql(Q.block, { id: q.id }, { token: a.admin.token }))).toBe('CONFLICT');
      expect(await events('spam.blocked', q.id)).toEqual([expect.objectContaining({ actor_id: a.admin.id })]);
      // Released, they are let in again, and the held ticket reappears.
      ok(await t.gql(Q.release, { id: q.id }, { token: a.admin.token }));
      expect(code(await file(flooder, 'blocked 05'))).toBeUndefined();
      expect((await stored('blocked')).filter((r) => r.held)).toEqual([]);
    });
  }, 60_000);

  it('H3 delete removes the held tickets (audited), never the person', async () => {
    await withSettings(a, { enabled: true, limit: 2, windowMinutes: 30 }, async () => {
      const flooder = await newRequester(a);
      await flood(flooder, 5, 'doomed');
      const q = (await quarantineOf(a, flooder))!;
      expect(q.heldCount).toBe(3);
      const done = ok(await t.gql<{ deleteQuarantinedTickets: Quarantine }>(Q.del, { id: q.id }, { token: a.admin.token })).deleteQuarantinedTickets;
      expect(done).toMatchObject({ status: 'DELETED', heldCount: 0 });
      expect((await stored('doomed')).map((r) => r.subject)).toEqual(['doomed 01', 'doomed 02']);
      const [person] = await t.ownerSql<{ status: string }>(`select status from users where id = $1`, [flooder.id]);
      expect(person.status).toBe('active');
      expect(await events('spam.deleted', q.id)).toEqual([expect.objectContaining({ actor_id: a.admin.id, details: expect.objectContaining({ tickets: 3 }) })]);
      const deletions = await t.ownerSql<{ n: number }>(
        `select count(*)::int as n from audit_events where action = 'tickets.ticketDeleted' and target_id in (select e.target_id from audit_events e where e.action = 'tickets.ticketCreated' and e.actor_id = $1)`,
        [flooder.id],
      );
      expect(deletions).toEqual([{ n: 3 }]);
      expect(code(await t.gql(Q.release, { id: q.id }, { token: a.admin.token }))).toBe('CONFLICT');
      // Only open quarantines are in the queue by default; the decided ones on request.
      expect(await quarantineOf(a, flooder)).toBeUndefined();
      expect((await quarantineOf(a, flooder, ['DELETED']))?.status).toBe('DELETED');
    });
  }, 60_000);

  it('H3 does not count tickets staff file (an agent taking calls for a requester is no flood)', async () => {
    await withSettings(a, { enabled: true, limit: 2, windowMinutes: 30 }, async () => {
      const staffFiled = await Promise.all([1, 2, 3, 4].map((i) => t.gql(`mutation($s: String!) { createTicket(input: { subject: $s, body: "x" }) { id } }`, { s: `staff ${i}` }, { token: a.agent.token })));
      expect(staffFiled.map(code)).toEqual([undefined, undefined, undefined, undefined]);
    });
  }, 60_000);

  it('H3 counts anonymous channels per sender address and per client address when a ticket carries them', async () => {
    await withSettings(a, { enabled: true, limit: 2, windowMinutes: 30 }, async () => {
      // No channel sets them yet (inbound email comes later): the service is called as one would.
      const results: string[] = [];
      for (const [i, requester] of [a.requester, a.requester2, a.lightAgent].entries()) {
        await withSystemContext(t.server.orm, t.server.app, a.tenantId, 'spam spec mail', async (ctx) => {
          ctx.principal = { kind: 'user', tenantId: a.tenantId, userId: requester.id, sessionId: 'x', role: 'requester', permissions: new Set() } as never;
          try {
            await createTicket(ctx, { subject: `mail ${i}`, body: 'x' } as never, { senderAddress: 'Spammer@Example.test', clientIp: '203.0.113.9' });
            await ctx.em.flush();
            results.push('filed');
          } catch (e) {
            await ctx.em.flush(); // keepChanges, as the mutation's savepoint does
            results.push((e as { extensions?: { code?: string } }).extensions?.code ?? String(e));
          }
        });
      }
      expect(results).toEqual(['filed', 'filed', 'RATE_LIMITED']);
      const kinds = (await queue(a)).filter((q) => q.subjectKind !== 'REQUESTER');
      expect(kinds.map((q) => q.subjectKind)).toEqual(['SENDER']); // the first subject over the limit holds it
      const [q] = await t.ownerSql<{ subject_key: string }>(`select subject_key from spam_quarantines where subject_kind = 'sender'`);
      expect(q.subject_key).toBe('spammer@example.test');
      // A sender's address is a person's email: masked for a moderator without users.viewPii (an API
      // token scoped to tickets.moderate alone), as people's emails are.
      const sudo = ok(await t.gql<{ reauthenticate: { token: string } }>(`mutation($p: String!) { reauthenticate(password: $p) { token } }`, { p: PERSONA_PASSWORD }, { token: a.admin.token }));
      a.admin.token = sudo.reauthenticate.token;
      const token = ok(await t.gql<{ createApiToken: { token: string } }>(`mutation { createApiToken(input: { name: "moderation", permissions: [TICKETS_MODERATE] }) { token } }`, {}, { token: a.admin.token })).createApiToken.token;
      const asToken = ok(await t.gql<{ spamQuarantines: { nodes: { subjectKind: string; address: string }[] } }>(Q.queue, {}, { token })).spamQuarantines.nodes;
      expect(asToken.find((n) => n.subjectKind === 'SENDER')?.address).toBe('s***@example.test');
      expect(kinds[0]).toMatchObject({ address: 'spammer@example.test' });
    });
  }, 60_000);

  it('H3 retryAfter is when the window lets them in again: then they file as usual, and the quarantine stays for an admin', async () => {
    await withSettings(a, { enabled: true, limit: 2, windowMinutes: 10 }, async () => {
      const flooder = await newRequester(a);
      const [, , third] = await flood(flooder, 3, 'retry');
      const retryAfter = third.errors?.[0].extensions?.retryAfter as number;
      expect(retryAfter).toBeGreaterThan(590);
      expect(retryAfter).toBeLessThanOrEqual(600);
      expect(third.errors?.[0].message).toContain('You can file new tickets again in 10 minutes');
      try {
        t.clock.advance((retryAfter - 5) * 1000);
        expect(code(await file(flooder, 'retry 04'))).toBe('RATE_LIMITED'); // not yet
        t.clock.advance(6_000);
        expect(code(await file(flooder, 'retry 05'))).toBeUndefined();
      } finally {
        t.clock.reset();
      }
      expect((await quarantineOf(a, flooder))?.heldCount).toBe(2);
    });
  }, 60_000);

  it('H3 a request that waits too long for the one before it is answered RATE_LIMITED and files nothing (no connection held to the deadline)', async () => {
    const flooder = await newRequester(a);
    // Someone else holds the requester's lock, as a request still counting would.
    const key = `spam:${a.tenantId}:requester:${flooder.id}`;
    await t.ownerSql(`select pg_advisory_lock(hashtextextended($1, 0))`, [key]);
    try {
      const started = Date.now();
      const r = await file(flooder, 'waited');
      expect(r.errors?.[0].extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfter: 5 });
      expect(r.errors?.[0].message).toMatch(/Nothing was filed/);
      expect(Date.now() - started).toBeLessThan(9_000); // well before the operation's deadline (10 s)
    } finally {
      await t.ownerSql(`select pg_advisory_unlock(hashtextextended($1, 0))`, [key]);
    }
    expect(await stored('waited')).toEqual([]);
    expect(code(await file(flooder, 'waited 2'))).toBeUndefined(); // the lock_timeout did not outlive the lock
  }, 60_000);

  it('H3 the rules can be turned off: nothing is held', async () => {
    await withSettings(a, { enabled: false, limit: 1, windowMinutes: 30 }, async () => {
      const flooder = await newRequester(a);
      expect((await flood(flooder, 3, 'off')).map(code)).toEqual([undefined, undefined, undefined]);
    });
  }, 60_000);
});

async function withSettings(tenant: TenantPersonas, input: { enabled: boolean; limit: number; windowMinutes: number }, fn: () => Promise<void>) {
  ok(await t.gql(Q.setSettings, { i: input }, { token: tenant.admin.token }));
  try {
    await fn();
  } finally {
    ok(await t.gql(Q.setSettings, { i: { enabled: true, limit: 50, windowMinutes: 30 } }, { token: tenant.admin.token }));
  }
}

describe('H3 the rules are tenant settings, bounded, for admins only, audited', () => {
  it('H3 starts at 50 tickets in 30 minutes, on', async () => {
    expect(ok(await t.gql<{ spamSettings: unknown }>(Q.settings, {}, { token: b.admin.token })).spamSettings).toEqual({
      enabled: true,
      limit: 50,
      windowMinutes: 30,
      defaults: { enabled: true, limit: 50, windowMinutes: 30 },
    });
  });

  it('H3 refuses non-admins with FORBIDDEN, the queue and decisions too', async () => {
    for (const p of [a.agent, a.requester, a.lightAgent, a.auditor]) {
      expect(code(await t.gql(Q.settings, {}, { token: p.token }))).toBe('FORBIDDEN');
      expect(code(await t.gql(Q.setSettings, { i: { enabled: false, limit: 10, windowMinutes: 10 } }, { token: p.token }))).toBe('FORBIDDEN');
      expect(code(await t.gql(Q.queue, {}, { token: p.token }))).toBe('FORBIDDEN');
      expect(code(await t.gql(Q.release, { id: '00000000-0000-4000-8000-000000000000' }, { token: p.token }))).toBe('FORBIDDEN');
    }
  });

  it('H3 says which rule is out of range on its field', async () => {
    const r = await t.gql(Q.setSettings, { i: { enabled: true, limit: 0, windowMinutes: 5000 } }, { token: a.admin.token });
    expect(r.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', fields: { limit: 'Choose between 1 and 1000 tickets', windowMinutes: 'Choose between 1 minute and 1440 minutes (a day)' } } });
  });

  it('F3 records one settings event with the change, and none when nothing changed', async () => {
    ok(await t.gql(Q.setSettings, { i: { enabled: true, limit: 40, windowMinutes: 20 } }, { token: b.admin.token }));
    ok(await t.gql(Q.setSettings, { i: { enabled: true, limit: 40, windowMinutes: 20 } }, { token: b.admin.token }));
    const rows = await t.ownerSql<{ actor_id: string; changes: unknown }>(`select actor_id, changes from audit_events where action = 'spam.settingsChanged' and tenant_id = $1`, [b.tenantId]);
    expect(rows).toEqual([{ actor_id: b.admin.id, changes: { limit: { before: 50, after: 40 }, windowMinutes: { before: 30, after: 20 } } }]);
    ok(await t.gql(Q.setSettings, { i: { enabled: true, limit: 50, windowMinutes: 30 } }, { token: b.admin.token }));
  });
});

describe('D2 the quarantine queue of one tenant is not another’s', () => {
  it("D2 B's admin neither sees A's quarantines nor decides them; B's requesters are counted apart", async () => {
    await withSettings(a, { enabled: true, limit: 2, windowMinutes: 30 }, async () => {
      const flooder = await newRequester(a);
      await flood(flooder, 3, 'cross');
      const q = (await quarantineOf(a, flooder))!;
      expect(await queue(b, ['ACTIVE', 'BLOCKED', 'RELEASED', 'DELETED'])).toEqual([]);
      for (const m of [Q.release, Q.block, Q.del]) {
        const cross = await t.gql(m, { id: q.id }, { token: b.admin.token });
        const missing = await t.gql(m, { id: '00000000-0000-4000-8000-000000000000' }, { token: b.admin.token });
        expect(cross.errors?.[0]).toEqual(missing.errors?.[0]);
        expect(code(cross)).toBe('NOT_FOUND');
      }
      expect((await quarantineOf(a, flooder))?.status).toBe('ACTIVE');
      // B's limit is its own (50): its requester files as usual.
      expect((await flood(b.requester, 3, 'cross-b')).map(code)).toEqual([undefined, undefined, undefined]);
    });
  }, 60_000);
});

describe('F3 spam events raise spam_quarantine alerts', () => {
  it('F3 a quarantine raises an alert of a spam_quarantine rule', async () => {
    const rule = ok(await t.gql<{ createAlertRule: { rule: { id: string } } }>(`mutation { createAlertRule(input: { name: "Spam", kind: "spam_quarantine" }) { rule { id } } }`, {}, { token: b.admin.token })).createAlertRule.rule;
    await withSettings(b, { enabled: true, limit: 1, windowMinutes: 30 }, async () => {
      const flooder = await newRequester(b);
      await flood(flooder, 2, 'alerting');
      const alert = await waitFor(async () => {
        const [row] = await t.ownerSql<{ kind: string; title: string; subject: string }>(`select kind, title, subject from audit_alerts where rule_id = $1`, [rule.id]);
        return row ?? null;
      });
      expect(alert.kind).toBe('spam_quarantine');
      expect(alert.title).toContain(flooder.name);
      expect(alert.subject).toBe(flooder.name); // in words, not an id
    });
  }, 60_000);
});

async function waitFor<T>(fn: () => Promise<T | null>, ms = 15_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}
