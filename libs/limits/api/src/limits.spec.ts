/**
 * Rate limits (SECURITY.md H4, D9): budgets per person, token and tenant, per address when
 * anonymous; operations charged their estimated cost; counters shared by every API process on
 * PostgreSQL and on Redis; a store outage; tenant settings. The server trusts one proxy hop, so
 * each test speaks from addresses of its own (`X-Forwarded-For`).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'graphql';
import { buildApiSchema, composeApi, createLogger, loadConfig, platformPlugin, startServer, type BulwarkServer } from '@bulwark/platform-api';
import { startTestServer, TEST_PEPPER, type GqlResult, type TestServer } from '@bulwark/platform-api/testing';
import { identityPlugin } from '@bulwark/identity-api';
import { createPersonas, mintSession, PERSONA_PASSWORD, type Persona, type TenantPersonas } from '@bulwark/identity-api/testing';
import { ticketsPlugin } from '@bulwark/tickets-api';
import { auditPlugin } from '@bulwark/audit-api';
import { scimPlugin } from '@bulwark/scim-api';
import { operationCost } from './cost';
import { limitsPlugin } from './index';

const plugins = [platformPlugin, identityPlugin, ticketsPlugin, scimPlugin, limitsPlugin, auditPlugin];
const ENV = {
  BULWARK_TRUST_PROXY_HOPS: '1',
  BULWARK_RATE_LIMIT_USER_PER_MINUTE: '1000',
  BULWARK_RATE_LIMIT_TOKEN_PER_MINUTE: '500',
  BULWARK_RATE_LIMIT_TENANT_PER_MINUTE: '100000',
  BULWARK_RATE_LIMIT_ANONYMOUS_PER_MINUTE: '300',
  BULWARK_RATE_LIMIT_USER_MAX: '5000',
  BULWARK_RATE_LIMIT_TOKEN_MAX: '5000',
  BULWARK_RATE_LIMIT_TENANT_MAX: '200000',
};
const ME = `{ me { id } }`; // 2 + 1 = 3 points
const PAGE100 = `{ tickets(page: { limit: 100 }) { nodes { id subject } } }`; // 2 + 100 × (2 + 1 + 1) = 402 points
const INTROSPECT = `{ __schema { types { name } } }`; // 2 + 25 × (2 + 1) = 77 points, allowed without a credential
const SETTINGS = `mutation($input: RateLimitsInput!) { updateRateLimits(input: $input) { current { perUser perToken perTenant } custom } }`;

const code = (r: { errors?: { extensions?: { code?: string } }[] }) => r.errors?.[0]?.extensions?.code;
const remaining = (r: GqlResult<unknown>) => Number(r.headers.get('ratelimit-remaining'));
let addressSeq = 0;
/** An address of its own for each caller, so tests do not share anonymous budgets. */
const address = () => ({ 'x-forwarded-for': `198.51.100.${++addressSeq}` });

let t: TestServer;
let a: TenantPersonas;
let b: TenantPersonas;

async function sudo(s: TestServer, p: Persona): Promise<string> {
  const r = await s.gql<{ reauthenticate: { token: string } }>(`mutation($p: String!) { reauthenticate(password: $p) { token } }`, { p: PERSONA_PASSWORD }, { token: p.token, headers: address() });
  if (!r.data) throw new Error(JSON.stringify(r.errors));
  return (p.token = r.data.reauthenticate.token);
}

/** A second API process on the same database: its own pool, its own limiter objects. */
async function secondServer(databaseUrl: string, env: Record<string, string>): Promise<{ server: BulwarkServer; gql: TestServer['gql']; close(): Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bulwark-test-data-'));
  const config = loadConfig({ NODE_ENV: 'test', PORT: '0', DATABASE_URL: databaseUrl, BULWARK_PASSWORD_PEPPER: TEST_PEPPER, BULWARK_DATA_DIR: dataDir, ...env });
  const server = await startServer(plugins, config, { log: createLogger({ service: 'second' }, () => undefined, 'info'), database: { url: databaseUrl } });
  return {
    server,
    async gql(query, variables, opts = {}) {
      const headers: Record<string, string> = { 'content-type': 'application/json', ...opts.headers };
      if (opts.token) headers.authorization = `Bearer ${opts.token}`;
      const res = await fetch(`${server.url}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
      const body = (await res.json()) as { data?: unknown; errors?: GqlResult['errors'] };
      return { status: res.status, data: (body.data ?? null) as never, errors: body.errors, headers: res.headers };
    },
    async close() {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * The API as it is deployed: `node apps/api/src/main.ts` in a process of its own, on the test's
 * database, with its own pool and limiter. Resolves with its URL once it is up; stop() ends it.
 */
async function apiProcess(databaseUrl: string, env: Record<string, string>): Promise<{ url: string; stop(): Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bulwark-test-data-'));
  const root = resolve(__dirname, '../../../..');
  const child = spawn(process.execPath, ['-r', '@swc-node/register', 'apps/api/src/main.ts'], {
    cwd: root,
    env: { PATH: process.env.PATH, NODE_ENV: 'test', PORT: '0', DATABASE_URL: databaseUrl, BULWARK_PASSWORD_PEPPER: TEST_PEPPER, BULWARK_DATA_DIR: dataDir, BULWARK_WORKER: 'off', BULWARK_BACKUP_SCHEDULER_SECONDS: '0', BULWARK_AUDIT_PRUNE_INTERVAL_MINUTES: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const deadline = Date.now() + 90_000;
  let port: string | undefined;
  while (!(port = /Bulwark console: http:\/\/localhost:(\d+)\//.exec(out)?.[1])) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the API process did not start:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url: `http://127.0.0.1:${port}`,
    async stop() {
      child.kill('SIGTERM');
      await exited;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

beforeAll(async () => {
  t = await startTestServer(plugins, ENV);
  a = await createPersonas(t, 'acme');
  b = await createPersonas(t, 'globex');
});
afterAll(() => t?.close());

describe('H4 rate limits', () => {
  it('H4 refuses a person over their budget with 429, RATE_LIMITED, Retry-After and the RateLimit headers', async () => {
    const from = address();
    const first = await t.gql(ME, {}, { token: a.agent.token, headers: from });
    expect(first.status).toBe(200);
    // Sent on success too: both the draft's structured fields and the older triplet.
    expect(first.headers.get('ratelimit-policy')).toBe('"user";q=1000;w=60, "tenant";q=100000;w=60');
    expect(first.headers.get('ratelimit')).toMatch(/^"user";r=997;t=\d+, "tenant";r=\d+;t=\d+$/);
    expect(first.headers.get('ratelimit-limit')).toBe('1000');
    expect(remaining(first)).toBe(997);
    expect(Number(first.headers.get('ratelimit-reset'))).toBeGreaterThan(0);
    expect((await t.gql(PAGE100, {}, { token: a.agent.token, headers: from })).status).toBe(200); // 405
    expect((await t.gql(PAGE100, {}, { token: a.agent.token, headers: from })).status).toBe(200); // 807
    const refused = await t.gql(PAGE100, {}, { token: a.agent.token, headers: from }); // 1209 > 1000
    expect(refused.status).toBe(429);
    expect(code(refused)).toBe('RATE_LIMITED');
    expect(refused.data).toBeNull();
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused.errors?.[0].extensions?.retryAfter).toBe(retryAfter);
    expect(remaining(refused)).toBe(0);
    expect(refused.headers.get('ratelimit')).toMatch(/^"user";r=0;t=\d+/);
    // Even a cheap operation is refused until the window ends (never a 5xx)...
    expect((await t.gql(ME, {}, { token: a.agent.token, headers: from })).status).toBe(429);
    // ...a session of the same person is the same person...
    expect((await t.gql(ME, {}, { token: await mintSession(t, a.tenantId, a.agent.id), headers: from })).status).toBe(429);
    // ...and someone else, of this tenant or another, from the same address, is not.
    expect((await t.gql(ME, {}, { token: a.requester.token, headers: from })).status).toBe(200);
    expect((await t.gql(ME, {}, { token: b.agent.token, headers: from })).status).toBe(200);
  });

  it('H4 counts an API token on a budget of its own, apart from its creator', async () => {
    const token = await sudo(t, a.admin);
    const made = await t.gql<{ createApiToken: { token: string } }>(`mutation { createApiToken(input: { name: "Sync", permissions: [TICKETS_READ] }) { token } }`, {}, { token, headers: address() });
    const bwt = made.data!.createApiToken.token;
    const from = address();
    const once = await t.gql(PAGE100, {}, { token: bwt, headers: from });
    expect(once.status).toBe(200);
    expect(once.headers.get('ratelimit-policy')).toBe('"token";q=500;w=60, "tenant";q=100000;w=60');
    expect(remaining(once)).toBe(98);
    const twice = await t.gql(PAGE100, {}, { token: bwt, headers: from });
    expect([twice.status, code(twice)]).toEqual([429, 'RATE_LIMITED']);
    expect((await t.gql(ME, {}, { token: a.admin.token, headers: from })).status).toBe(200); // its creator
  });

  it('H4 charges SCIM requests to their token too (50 points each), answered 429 with Retry-After', async () => {
    const token = await sudo(t, a.owner);
    const made = await t.gql<{ createApiToken: { token: string } }>(`mutation { createApiToken(input: { name: "IdP", permissions: [SCIM_PROVISION] }) { token } }`, {}, { token, headers: address() });
    const bwt = made.data!.createApiToken.token;
    const from = address();
    const get = () => fetch(`${t.url}/scim/v2/Users`, { headers: { authorization: `Bearer ${bwt}`, ...from } });
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) statuses.push((await get()).status);
    expect(statuses).toEqual([...Array(10).fill(200), 429]); // 11 × 50 > 500
    const refused = await get();
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.headers.get('ratelimit-policy')).toBe('"token";q=500;w=60, "tenant";q=100000;w=60');
    expect(refused.headers.get('content-type')).toContain('application/scim+json');
  });

  it('H4 counts anonymous calls per client address', async () => {
    const from = address();
    const answers: number[] = [];
    for (let i = 0; i < 4; i++) answers.push((await t.gql(INTROSPECT, {}, { headers: from })).status);
    expect(answers).toEqual([200, 200, 200, 429]); // 77 × 4 = 308 > 300
    const last = await t.gql(INTROSPECT, {}, { headers: from });
    expect(last.headers.get('ratelimit-policy')).toBe('"address";q=300;w=60');
    expect(code(last)).toBe('RATE_LIMITED');
    expect((await t.gql(INTROSPECT, {}, { headers: address() })).status).toBe(200); // another address
    expect((await t.gql(INTROSPECT, {}, { token: a.auditor.token, headers: from })).status).toBe(200); // signed in: their own budget
  });

  it('H4 charges an operation its estimated cost, not one each: a 100-ticket page costs more than a me', async () => {
    const from = address();
    const r1 = remaining(await t.gql(ME, {}, { token: a.lightAgent.token, headers: from }));
    const r2 = remaining(await t.gql(ME, {}, { token: a.lightAgent.token, headers: from }));
    const r3 = remaining(await t.gql(PAGE100, {}, { token: a.lightAgent.token, headers: from }));
    expect(r1 - r2).toBe(3);
    expect(r2 - r3).toBe(402);
    const page10 = remaining(await t.gql(`{ tickets(page: { limit: 10 }) { nodes { id subject } } }`, {}, { token: a.lightAgent.token, headers: from }));
    expect(r3 - page10).toBe(42);
  });

  it('E2 estimates cost from the document: fields, fragments, variables, page sizes and defaults', async () => {
    const schema = await buildApiSchema(composeApi(plugins));
    const cost = (q: string, v: Record<string, unknown> = {}) => {
      const document = parse(q);
      return operationCost(schema, document, document.definitions.find((d) => d.kind === 'OperationDefinition')!, v);
    };
    expect(cost(ME)).toBe(3);
    expect(cost(`{ __typename }`)).toBe(1);
    expect(cost(PAGE100)).toBe(402);
    expect(cost(`query($n: Int!) { tickets(page: { limit: $n }) { nodes { id } } }`, { n: 50 })).toBe(2 + 50 * 3);
    expect(cost(`query($p: PageInput) { tickets(page: $p) { nodes { id } } }`, { p: { limit: 7 } })).toBe(2 + 7 * 3);
    expect(cost(`{ tickets { nodes { id } } }`)).toBe(2 + 25 * 3); // the default page
    expect(cost(`{ auditEvents(first: 1000) { items { id } } }`)).toBe(cost(`{ auditEvents(first: 100) { items { id } } }`)); // served at most 100
    expect(cost(`{ securityAlerts { id } }`)).toBe(50 * 3); // the argument's default
    expect(cost(`{ tickets { nodes { ...F } } } fragment F on Ticket { id subject }`)).toBe(2 + 25 * 4);
    expect(cost(`{ tickets(page: { limit: 100 }) { nodes { id requester { id name } } } }`)).toBe(2 + 100 * (2 + 1 + 2 + 2));
  });

  it('D9 one tenant’s burst leaves another tenant unaffected', async () => {
    const c = await createPersonas(t, 'burstco');
    const d = await createPersonas(t, 'calmco');
    await t.ownerSql(`insert into rate_limit_settings (id, tenant_id, per_tenant) values (gen_random_uuid(), $1, 2000)`, [c.tenantId]);
    const from = address(); // one address for everyone: the tenant, not the address, is what runs out
    const people = [c.owner, c.admin, c.agent, c.lightAgent, c.auditor];
    const burst = await Promise.all(Array.from({ length: 10 }, (_, i) => t.gql(PAGE100, {}, { token: people[i % people.length].token, headers: from })));
    const statuses = burst.map((r) => r.status);
    expect(statuses.filter((s) => s === 200).length).toBe(4); // 4 × 402 = 1608 ≤ 2000 < 5 × 402
    expect(statuses.filter((s) => s === 429).length).toBe(6);
    expect(burst.find((r) => r.status === 429)!.headers.get('ratelimit')).toMatch(/"tenant";r=0;/);
    expect((await t.gql(ME, {}, { token: c.requester.token, headers: from })).status).toBe(429); // the whole tenant waits
    // The other tenant, same address, same moment: answered, its counts its own.
    const calm = await t.gql(PAGE100, {}, { token: d.agent.token, headers: from });
    expect(calm.status).toBe(200);
    expect(calm.headers.get('ratelimit')).toMatch(/^"user";r=598;t=\d+, "tenant";r=99598;t=\d+$/);
  });
});

describe('H4 limits hold across API processes', () => {
  it('H4 two API processes on one PostgreSQL share a person’s budget, not double it', async () => {
    const other = await secondServer(t.databaseUrl, ENV);
    try {
      const c = await createPersonas(t, 'twinpg');
      const from = address();
      const answers: number[] = [];
      // 402 a page, alternating processes: the third page passes 1000 on the shared count.
      for (const s of [t, other, t, other]) answers.push((await s.gql(PAGE100, {}, { token: c.agent.token, headers: from })).status);
      expect(answers).toEqual([200, 200, 429, 429]);
      const [row] = await t.ownerSql<{ points: number }>(`select points from rate_limit_counters where key = $1`, [`bw:t:${c.tenantId}:user:${c.agent.id}`]);
      expect(row.points).toBe(4 * 402); // each process judged each page on the shared count
    } finally {
      await other.close();
    }
  });

  it('H4 gathers cheap operations before they reach the shared count, within 100 ms, and counts every point', async () => {
    const c = await createPersonas(t, 'gather');
    const key = `bw:t:${c.tenantId}:user:${c.agent.id}`;
    const points = async () => (await t.ownerSql<{ points: number }>(`select points from rate_limit_counters where key = $1`, [key]))[0]?.points ?? 0;
    const from = address();
    expect((await t.gql(ME, {}, { token: c.agent.token, headers: from })).status).toBe(200); // opens the window at the store
    expect(await points()).toBe(3);
    const answers = await Promise.all(Array.from({ length: 9 }, () => t.gql(ME, {}, { token: c.agent.token, headers: from })));
    expect(answers.map((r) => r.status)).toEqual(Array(9).fill(200));
    expect(remaining(answers.sort((x, y) => remaining(x) - remaining(y))[0])).toBe(1000 - 30); // this process knows them all at once
    await new Promise((r) => setTimeout(r, 300));
    expect(await points()).toBe(30);
  });

  it('H4 a second API process of its own (node apps/api/src/main.ts) shares the budget on PostgreSQL', async () => {
    const other = await apiProcess(t.databaseUrl, ENV);
    try {
      const c = await createPersonas(t, 'twinproc');
      const from = address();
      const viaChild = async () => {
        const res = await fetch(`${other.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${c.agent.token}`, ...from }, body: JSON.stringify({ query: PAGE100 }) });
        return res.status;
      };
      const answers = [(await t.gql(PAGE100, {}, { token: c.agent.token, headers: from })).status, await viaChild(), (await t.gql(PAGE100, {}, { token: c.agent.token, headers: from })).status, await viaChild()];
      expect(answers).toEqual([200, 200, 429, 429]);
    } finally {
      await other.stop();
    }
  }, 120_000);

  describe('on Redis', () => {
    const redisEnv = { ...ENV, BULWARK_REDIS_URL: 'redis://127.0.0.1:6379', BULWARK_REDIS_PREFIX: `bulwark-test-${randomBytes(6).toString('hex')}` };
    let r1: TestServer;
    let r2: Awaited<ReturnType<typeof secondServer>>;
    beforeAll(async () => {
      r1 = await startTestServer(plugins, redisEnv);
      r2 = await secondServer(r1.databaseUrl, redisEnv);
    });
    afterAll(async () => {
      await r2?.close();
      await r1?.close();
    });

    it('H4 two API processes on one Redis share a person’s budget, not double it', async () => {
      const c = await createPersonas(r1, 'twinredis');
      const from = address();
      const answers: number[] = [];
      for (const s of [r1, r2, r1, r2]) answers.push((await s.gql(PAGE100, {}, { token: c.agent.token, headers: from })).status);
      expect(answers).toEqual([200, 200, 429, 429]);
      expect(await r1.ownerSql(`select * from rate_limit_counters`)).toEqual([]); // Redis kept them
    });

    it('H4 a second API process of its own (node apps/api/src/main.ts) shares the budget on Redis', async () => {
      const other = await apiProcess(r1.databaseUrl, redisEnv);
      try {
        const c = await createPersonas(r1, 'twinredisproc');
        const from = address();
        const viaChild = async () =>
          (await fetch(`${other.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${c.agent.token}`, ...from }, body: JSON.stringify({ query: PAGE100 }) })).status;
        const answers = [await viaChild(), (await r1.gql(PAGE100, {}, { token: c.agent.token, headers: from })).status, await viaChild(), (await r1.gql(PAGE100, {}, { token: c.agent.token, headers: from })).status];
        expect(answers).toEqual([200, 200, 429, 429]);
      } finally {
        await other.stop();
      }
    }, 120_000);
  });

  it('H4 a limiter store that is down does not take the API down: counted in each process, one warning', async () => {
    // Nothing listens on port 1: every Redis command fails at once.
    const down = await startTestServer(plugins, { ...ENV, BULWARK_REDIS_URL: 'redis://127.0.0.1:1', BULWARK_REDIS_PREFIX: 'bulwark-test-down' });
    try {
      const c = await createPersonas(down, 'stormy');
      const from = address();
      const answers: number[] = [];
      for (let i = 0; i < 4; i++) answers.push((await down.gql(PAGE100, {}, { token: c.agent.token, headers: from })).status);
      expect(answers).toEqual([200, 200, 429, 429]); // the process's own count still holds
      expect((await down.gql(ME, {}, { token: c.requester.token, headers: from })).status).toBe(200);
      const warnings = down.logs().filter((l) => l.includes('rate-limit store unavailable'));
      expect(warnings.length).toBe(1);
      expect(warnings[0]).toContain('"level":"warn"');
    } finally {
      await down.close();
    }
  });
});

describe('H4 rate limits are tenant settings within the platform’s maximums', () => {
  it('H4 admins only, re-authenticated, within the maximums (field errors), audited, applied at once', async () => {
    const input = { perUser: 2000, perToken: null, perTenant: 150000 };
    expect(code(await t.gql(SETTINGS, { input }, { token: b.agent.token, headers: address() }))).toBe('FORBIDDEN');
    expect(code(await t.gql(`{ rateLimits { current { perUser } } }`, {}, { token: b.agent.token, headers: address() }))).toBe('FORBIDDEN');
    expect(code(await t.gql(SETTINGS, { input }, { token: b.admin.token, headers: address() }))).toBe('REAUTH_REQUIRED');
    const token = await sudo(t, b.admin);
    const wrong = await t.gql(SETTINGS, { input: { perUser: 5001, perToken: 0, perTenant: 150000 } }, { token, headers: address() });
    expect(wrong.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: { perUser: expect.stringContaining('5000'), perToken: expect.any(String) } });
    expect(wrong.errors?.[0].extensions?.fields).not.toHaveProperty('perTenant');
    const set = await t.gql(SETTINGS, { input }, { token, headers: address() });
    expect(set.data).toEqual({ updateRateLimits: { current: { perUser: 2000, perToken: 500, perTenant: 150000 }, custom: true } });
    const read = await t.gql<{ rateLimits: Record<string, unknown> }>(`{ rateLimits { current { perUser } defaults { perUser } maximums { perUser perToken perTenant } anonymousPerAddress windowSeconds enabled } }`, {}, { token, headers: address() });
    expect(read.data!.rateLimits).toEqual({ current: { perUser: 2000 }, defaults: { perUser: 1000 }, maximums: { perUser: 5000, perToken: 5000, perTenant: 200000 }, anonymousPerAddress: 300, windowSeconds: 60, enabled: true });
    const events = await t.ownerSql<{ action: string; changes: Record<string, { before: unknown; after: unknown }> }>(
      `select action, changes from audit_events where tenant_id = $1 and action = 'limits.settingsChanged'`,
      [b.tenantId],
    );
    expect(events).toHaveLength(1);
    expect(events[0].changes).toMatchObject({ perUser: { after: 2000 }, perTenant: { after: 150000 } });
    // This process applies it at once.
    const after = await t.gql(ME, {}, { token: b.requester2.token, headers: address() });
    expect(after.headers.get('ratelimit-policy')).toBe('"user";q=2000;w=60, "tenant";q=150000;w=60');
  });
});
