/**
 * The benchmark's server process, started by main.ts (so the load generator never shares this
 * event loop). Over the database in DATABASE_URL (created empty by main.ts) it:
 *   1. starts the full Bulwark server (apps/api's plugin list, migrations run by startServer),
 *   2. seeds the benchmark tenant and ANALYZEs it,
 *   3. starts the raw-`pg` baseline server (baseline.ts) on another port,
 *   4. counts the SQL statements one request sends, per page size, on each server,
 *   5. prints one `BENCH_READY {json}` line on stdout, then serves until stdin closes (main.ts
 *      exited, however it exited) or SIGTERM/SIGINT.
 * Progress goes to stderr with the `bench: ` prefix; server logs (warn and up) go to stderr too.
 *
 * With BENCH_SCENARIO=login-load, steps 3 and 4 are skipped; the seed adds BENCH_LOGIN_USERS
 * agents with a known password (cost-12 hashes), and over the IPC channel main.ts opens, each
 * measured window gets this process's event-loop delay, DB pool occupancy and CPU time back.
 *
 * Environment: DATABASE_URL (required), BENCH_TICKETS, BENCH_PAGES (comma-separated),
 * BENCH_DATA_DIR, BENCH_SCENARIO (list | login-load), BENCH_LOGIN_USERS,
 * BENCH_CPU_PROFILE_DIR or BENCH_HEAP_PROFILE_DIR (profile the serving phase's CPU or allocations into
 * that folder).
 */
import 'reflect-metadata';
import { createLogger, loadConfig, memoryMailSender, startServer, withSystemContext, type BulwarkServer } from '@bulwark/platform-api';
import type { PostgreSqlConnection } from '@mikro-orm/postgresql';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { Session as InspectorSession } from 'node:inspector';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { IncomingMessage } from 'node:http';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { apiPlugins } from '@bulwark/composition-api';
import { startBaseline, type Baseline } from './baseline';
import { listBody, PROGRESS_PREFIX, READY_PREFIX, searchBody, searchRequests, type ReadyInfo, type Scenario, type SearchReady, type WindowCommand, type WindowStats } from './query';
import { seedBenchTenant } from './seed';

const progress = (msg: string) => process.stderr.write(`${PROGRESS_PREFIX}${msg}\n`);

/**
 * Profile of the serving phase only: CPU (BENCH_CPU_PROFILE_DIR) or allocations
 * (BENCH_HEAP_PROFILE_DIR), started once the servers are up and seeded, written when this process
 * stops. Start-up, migrations and seeding stay out of it. The allocation profile samples every
 * allocation, also what the garbage collector has already freed (what makes collections come
 * often is what a request allocates, not what it keeps), and records how many HTTP requests the
 * server received meanwhile, so profile-summary.ts can give bytes per request.
 */
async function startProfiler(kind: 'cpu' | 'heap', dir: string): Promise<() => Promise<void>> {
  const session = new InspectorSession();
  session.connect();
  const post = promisify(session.post.bind(session)) as (method: string, params?: object) => Promise<unknown>;
  let requests = 0;
  const count = () => requests++;
  if (kind === 'cpu') {
    await post('Profiler.enable');
    await post('Profiler.start');
  } else {
    subscribe('http.server.request.start', count);
    await post('HeapProfiler.enable');
    await post('HeapProfiler.startSampling', {
      samplingInterval: 1024,
      includeObjectsCollectedByMajorGC: true,
      // --heap-survivors: leave out what a scavenge frees, to see what gets promoted.
      includeObjectsCollectedByMinorGC: process.env.BENCH_HEAP_SURVIVORS !== '1',
    });
  }
  return async () => {
    let file: string;
    if (kind === 'cpu') {
      const { profile } = (await post('Profiler.stop')) as { profile: object };
      file = join(dir, `server-${process.pid}.cpuprofile`);
      writeFileSync(file, JSON.stringify(profile));
    } else {
      const { profile } = (await post('HeapProfiler.stopSampling')) as { profile: object };
      unsubscribe('http.server.request.start', count);
      file = join(dir, `server-${process.pid}.heapprofile`);
      writeFileSync(file, JSON.stringify({ ...profile, bulwarkRequests: requests }));
    }
    session.disconnect();
  };
}

interface TarnPool {
  max: number;
  numUsed(): number;
  numPendingAcquires(): number;
}

interface KnexEvents {
  on(event: 'query' | 'query-response' | 'query-error', fn: (...args: unknown[]) => void): void;
}

/**
 * login-load: answers main.ts's window marks (IPC) with what this process saw between them. The
 * event-loop histogram runs all along (a 10 ms timer, cheap) and is reset at each window start;
 * it reports how late that timer fired (its 10 ms period taken off);
 * the pool is sampled only inside windows.
 */
function serveWindowStats(pool: TarnPool, knex: KnexEvents) {
  const eld = monitorEventLoopDelay({ resolution: 10 });
  eld.enable();
  // Each `me` (the requests with a bearer token; sign-ins carry none) as this server saw it: from
  // its headers being parsed to its answer handed to the kernel. What the client measured beyond
  // that waited outside the server's JavaScript (kernel, loopback, the load generator itself).
  const started = new WeakMap<object, number>();
  let meTimings: [number, number][] = [];
  // SQL statements of 10 ms or more (sent to answered, as knex sees them): [start (epoch ms), ms, statement].
  const sent = new Map<string, number>();
  let slowSql: [number, number, string][] = [];
  knex.on('query', (q) => sent.set((q as { __knexQueryUid: string }).__knexQueryUid, performance.now()));
  const answered = (q: unknown) => {
    const { __knexQueryUid: uid, sql } = q as { __knexQueryUid: string; sql: string };
    const t0 = sent.get(uid);
    sent.delete(uid);
    const ms = t0 === undefined ? 0 : performance.now() - t0;
    if (t0 !== undefined && ms >= 10) slowSql.push([performance.timeOrigin + t0, ms, sql.slice(0, 60)]);
  };
  knex.on('query-response', (_r, q) => answered(q));
  knex.on('query-error', (_e, q) => answered(q));
  // Garbage collections of 5 ms or more: [start (epoch ms), duration (ms), kind].
  let gcs: [number, number, number][] = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if (e.duration >= 5) gcs.push([performance.timeOrigin + e.startTime, e.duration, (e as { detail?: { kind?: number } }).detail?.kind ?? 0]);
    }
  }).observe({ entryTypes: ['gc'] });
  const isMe = (req: IncomingMessage) => req.headers.authorization?.startsWith('Bearer ') ?? false;
  subscribe('http.server.request.start', (m) => {
    const { request } = m as { request: IncomingMessage };
    if (isMe(request)) started.set(request, performance.now());
  });
  subscribe('http.server.response.finish', (m) => {
    const { request } = m as { request: IncomingMessage };
    const t0 = started.get(request);
    if (t0 !== undefined) meTimings.push([performance.timeOrigin + t0, performance.now() - t0]);
  });
  let sampler: NodeJS.Timeout | undefined;
  let w = { run: '', t0: 0, cpu: process.cpuUsage(), samples: 0, used: 0, maxUsed: 0, pending: 0, maxPending: 0, withWaiters: 0 };
  process.on('message', (message) => {
    const msg = message as WindowCommand;
    if (msg.type === 'window-start') {
      eld.reset();
      meTimings = [];
      gcs = [];
      slowSql = [];
      w = { run: msg.run, t0: performance.now(), cpu: process.cpuUsage(), samples: 0, used: 0, maxUsed: 0, pending: 0, maxPending: 0, withWaiters: 0 };
      clearInterval(sampler);
      sampler = setInterval(() => {
        const used = pool.numUsed();
        const pending = pool.numPendingAcquires();
        w.samples++;
        w.used += used;
        w.pending += pending;
        w.maxUsed = Math.max(w.maxUsed, used);
        w.maxPending = Math.max(w.maxPending, pending);
        if (pending > 0) w.withWaiters++;
      }, 20);
      sampler.unref();
    } else if (msg.type === 'window-end') {
      clearInterval(sampler);
      const cpu = process.cpuUsage(w.cpu);
      // The histogram holds whole timer intervals; the delay is what exceeds the 10 ms period.
      const ms = (ns: number) => Math.max(0, ns / 1e6 - 10);
      const n = Math.max(1, w.samples);
      const stats: WindowStats = {
        type: 'window-stats',
        run: msg.run,
        eventLoopDelay: { p50Ms: ms(eld.percentile(50)), p99Ms: ms(eld.percentile(99)), maxMs: ms(eld.max), meanMs: ms(eld.mean) },
        pool: {
          max: pool.max,
          samples: w.samples,
          meanUsed: w.used / n,
          maxUsed: w.maxUsed,
          meanPendingAcquires: w.pending / n,
          maxPendingAcquires: w.maxPending,
          shareWithWaiters: w.withWaiters / n,
        },
        cpu: { userMs: cpu.user / 1000, systemMs: cpu.system / 1000 },
        windowMs: performance.now() - w.t0,
        meTimings,
        gcs,
        slowSql,
      };
      process.send?.(stats);
    }
  });
}

/** One request; an answer with errors is returned as `error` (main.ts reports it), not thrown. */
async function post(url: string, body: string, token?: string): Promise<{ error?: string }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(url, { method: 'POST', headers, body });
  const text = await res.text();
  return res.status !== 200 || text.includes('"errors"') ? { error: `HTTP ${res.status}: ${text.slice(0, 500)}` } : {};
}

/**
 * search: the statements each request sends at every page size (the third of three, one at a
 * time), and at page 50 the page's own statement, run again under EXPLAIN (ANALYZE, BUFFERS) as
 * the runtime role inside the tenant (so RLS applies as it does to the request).
 */
async function searchStatements(server: BulwarkServer, tenantId: string, token: string, words: { many: string; few: string; comments: number }, pages: number[]): Promise<SearchReady> {
  const url = `${server.url}/graphql`;
  const knex = (server.orm.em.getConnection() as PostgreSqlConnection).getKnex();
  const out: SearchReady = { many: words.many, few: words.few, comments: words.comments, statements: {}, statementsSql: {}, plans: {} };
  for (const r of searchRequests(words)) {
    out.statements[r.label] = {};
    out.statementsSql[r.label] = {};
    for (const n of [...new Set([...pages, 50])]) {
      type Seen = { sql: string; bindings: unknown[]; tx?: string };
      let seen: Seen[] = [];
      for (let i = 0; i < 3; i++) {
        seen = [];
        const listener = (q: { sql: string; bindings: unknown[]; __knexTxId?: string }) => seen.push({ sql: q.sql, bindings: q.bindings, tx: q.__knexTxId });
        knex.on('query', listener);
        try {
          const { error } = await post(url, searchBody(r.kind, n, r.q), token);
          if (error) throw new Error(`${r.label} at page ${n}: ${error}`);
        } finally {
          knex.off('query', listener);
        }
      }
      // The request's own statements are those of its transaction (the one that ran the page);
      // at 100,000 tickets a request is slow enough that the server's background work (jobs,
      // health checks) sends statements meanwhile on other connections: listed, not counted.
      const page = seen.find((q) => /^\s*select t\.id, t\.number/.test(q.sql));
      if (!page) throw new Error(`${r.label}: no page statement among ${seen.map((q) => q.sql.slice(0, 40)).join(' | ')}`);
      // Counted: the transaction's statements, less the workspace settings the server reloads when
      // their one-second caches have expired (lockdown, access settings, IP rules, rate limits) and
      // the session's throttled last-seen touch: whatever the page size, and requests this slow
      // run into them often.
      const sql = seen.filter((q) => q.tx !== undefined && q.tx === page.tx);
      const others = seen.filter((q) => !sql.includes(q));
      const reload = /from platform_settings|from "access_settings"|from "ip_rules"|from "rate_limit_settings"|^\s*update sessions set last_seen_at/;
      if (pages.includes(n)) {
        out.statements[r.label][String(n)] = sql.filter((q) => !reload.test(q.sql)).length;
        const short = (q: Seen) => q.sql.replace(/\s+/g, ' ').trim().slice(0, 120);
        out.statementsSql[r.label][String(n)] = [
          ...sql.map((q) => (reload.test(q.sql) ? `(not counted) ${short(q)}` : short(q))),
          ...others.map((q) => `(other connection) ${short(q)}`),
        ];
      }
      if (n !== 50) continue;
      const plan = await withSystemContext(server.orm, server.app, tenantId, 'bench explain', (ctx) =>
        ctx.em.getConnection().execute<{ 'QUERY PLAN': string }[]>(`explain (analyze, buffers) ${page.sql}`, page.bindings, 'all', ctx.em.getTransactionContext()),
      );
      out.plans[r.label] = { sql: page.sql.replace(/\s+/g, ' ').trim(), bindings: page.bindings, plan: plan.map((l) => l['QUERY PLAN']) };
    }
  }
  return out;
}

async function main() {
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) throw new Error('serve.ts is started by main.ts with DATABASE_URL set');
  const tickets = Number(process.env.BENCH_TICKETS ?? 5000);
  const pages = (process.env.BENCH_PAGES ?? '10,50,100').split(',').map(Number);
  const scenario: Scenario = (['login-load', 'audit-overhead', 'rate-limits', 'search'] as const).find((s) => s === process.env.BENCH_SCENARIO) ?? 'list';
  const loginUsers = scenario === 'login-load' ? Number(process.env.BENCH_LOGIN_USERS ?? 16) : 0;

  // Production settings (introspection off, secure cookies, bcrypt cost 12); the pepper is a
  // throw-away. Production refuses to start without SMTP and a public URL: the URL below is never
  // dialled, because the server is handed an in-memory mail sender. Loopback only.
  const env = {
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: '0',
    DATABASE_URL: databaseUrl,
    BULWARK_PASSWORD_PEPPER: randomBytes(32).toString('base64'),
    BULWARK_DATA_DIR: process.env.BENCH_DATA_DIR ?? mkdtempSync(join(tmpdir(), 'bulwark-bench-data-')),
    BULWARK_SMTP_URL: 'smtp://127.0.0.1:9',
    BULWARK_PUBLIC_URL: 'http://127.0.0.1',
    BULWARK_MAIL_DOMAIN: 'mail.bench.invalid',
    BULWARK_MASTER_KEY: randomBytes(32).toString('base64'),
    // Hashing knobs pass through, to compare settings (login-load).
    BULWARK_HASH_CONCURRENCY: process.env.BULWARK_HASH_CONCURRENCY,
    BULWARK_HASH_NICE: process.env.BULWARK_HASH_NICE,
    // rate-limits: the counters' store (PostgreSQL unless Redis is named), and budgets out of reach,
    // so that the "on" server counts every request and refuses none (the cost of counting is measured).
    BULWARK_REDIS_URL: process.env.BULWARK_REDIS_URL,
    BULWARK_REDIS_PREFIX: `bulwark-bench-${randomBytes(6).toString('hex')}`,
    // search too: its requests are costed like any (a page of 50 is 853 points), and a run of them
    // would exhaust the agent's minute; what is measured is the work, with counting still on.
    ...(scenario === 'rate-limits' || scenario === 'search'
      ? Object.fromEntries(['USER', 'TOKEN', 'TENANT'].flatMap((k) => [[`BULWARK_RATE_LIMIT_${k}_MAX`, '1000000000'], [`BULWARK_RATE_LIMIT_${k}_PER_MINUTE`, '1000000000']]))
      : {}),
  };
  const config = loadConfig(env);
  const log = createLogger({ service: 'bench-api' }, (l) => process.stderr.write(l + '\n'), 'warn');

  let server: BulwarkServer | undefined;
  /** The "off" side of audit-overhead (no audit feature) or of rate-limits (BULWARK_RATE_LIMITS=off). */
  let unaudited: BulwarkServer | undefined;
  let baseline: Baseline | undefined;
  let stopProfiler: (() => Promise<void>) | undefined;
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await stopProfiler?.().catch((e) => process.stderr.write(`could not write the profile: ${String(e)}\n`));
    await baseline?.close().catch(() => undefined);
    await server?.close().catch(() => undefined);
    await unaudited?.close().catch(() => undefined);
    process.exit(code);
  };
  process.once('SIGTERM', () => void stop(0));
  process.once('SIGINT', () => void stop(0));
  // main.ts keeps our stdin open; it closes when main.ts ends, even by SIGKILL.
  process.stdin.on('end', () => void stop(0)).on('close', () => void stop(0)).resume();

  progress('starting the full server (migrating the database)');
  server = await startServer(apiPlugins, config, { log, database: { url: databaseUrl }, mail: memoryMailSender() });
  // The sign-in password is random per run; main.ts gets it in the ready line (a local pipe).
  const loginPassword = `bench-${randomBytes(12).toString('base64url')}`;
  const seeded = await seedBenchTenant(server, {
    tickets,
    requesters: 50,
    agents: 10,
    progress,
    login: loginUsers ? { users: loginUsers, password: loginPassword } : undefined,
    content: scenario === 'search' ? { ownerUrl: databaseUrl } : undefined,
  });

  const owner = new Client({ connectionString: databaseUrl });
  await owner.connect();
  let postgres: string;
  try {
    // search: VACUUM too, as autovacuum would have long since on a desk this size (visibility map,
    // hint bits, the GIN indexes' pending lists folded in), so the first runs do not pay for it.
    await owner.query(`${scenario === 'search' ? 'vacuum ' : ''}analyze tenants, users, sessions, tickets, ticket_comments`);
    postgres = (await owner.query<{ v: string }>(`select current_setting('server_version') as v`)).rows[0].v;
  } finally {
    await owner.end();
  }

  const fullUrl = `${server.url}/graphql`;
  const knex = (server.orm.em.getConnection() as PostgreSqlConnection).getKnex();
  const statements: ReadyInfo['statements'] = {};
  let search: SearchReady | undefined;
  if (scenario === 'audit-overhead') {
    // The same server without the audit feature, on the same database (already migrated): the
    // "off" side of the comparison. Changes are still captured at flush, then dropped (no sink).
    progress('starting the same server without the audit feature');
    unaudited = await startServer(
      apiPlugins.filter((p) => p.name !== 'audit'),
      { ...config, dataDir: mkdtempSync(join(tmpdir(), 'bulwark-bench-data-')) },
      { log, database: { url: databaseUrl }, mail: memoryMailSender() },
    );
  } else if (scenario === 'rate-limits') {
    // The same server, same plugins, with rate limiting off: the "off" side of the comparison.
    progress('starting the same server with rate limiting off');
    unaudited = await startServer(apiPlugins, loadConfig({ ...env, BULWARK_RATE_LIMITS: 'off', BULWARK_DATA_DIR: mkdtempSync(join(tmpdir(), 'bulwark-bench-data-')) }), {
      log,
      database: { url: databaseUrl },
      mail: memoryMailSender(),
    });
  } else if (scenario === 'search') {
    progress(`counting SQL statements per request at page sizes ${pages.join(', ')}, and EXPLAIN ANALYZE of each page at 50`);
    search = await searchStatements(server, seeded.tenantId, seeded.token, seeded.search!, pages);
  } else if (scenario === 'login-load') {
    if (!process.send) throw new Error('login-load needs the IPC channel main.ts opens');
    serveWindowStats((knex as unknown as { client: { pool: TarnPool } }).client.pool, knex as unknown as KnexEvents);
  } else {
    progress('starting the baseline server (raw pg, no auth)');
    baseline = await startBaseline(databaseUrl, seeded.tenantId);
    progress(`counting SQL statements per request at page sizes ${pages.join(', ')}`);
  }
  for (const n of pages) {
    if (!baseline) break; // login-load
    // Three requests, one at a time; the last is counted (the first ones warm caches up).
    let sql: string[] = [];
    let fullError: string | undefined;
    for (let i = 0; i < 3; i++) {
      sql = [];
      const listener = (q: { sql: string }) => sql.push(q.sql);
      knex.on('query', listener);
      try {
        ({ error: fullError } = await post(fullUrl, listBody(n), seeded.token));
      } finally {
        knex.off('query', listener);
      }
    }
    const before = baseline.statements();
    await post(baseline.url, listBody(n));
    const between = baseline.statements();
    await post(baseline.trxUrl, listBody(n));
    statements[String(n)] = {
      full: sql.length,
      baseline: between - before,
      baselineTrx: baseline.statements() - between,
      fullSql: sql,
      fullError,
    };
  }

  if (process.env.BENCH_CPU_PROFILE_DIR) stopProfiler = await startProfiler('cpu', process.env.BENCH_CPU_PROFILE_DIR);
  else if (process.env.BENCH_HEAP_PROFILE_DIR) stopProfiler = await startProfiler('heap', process.env.BENCH_HEAP_PROFILE_DIR);
  const info: ReadyInfo = {
    scenario,
    full: fullUrl,
    baseline: unaudited ? `${unaudited.url}/graphql` : (baseline?.url ?? ''),
    baselineTrx: baseline?.trxUrl ?? '',
    token: seeded.token,
    tenantId: seeded.tenantId,
    tickets,
    users: seeded.users,
    postgres,
    statements,
    login: loginUsers ? { tenant: 'bench', emails: seeded.loginEmails, password: loginPassword, bcryptCost: config.bcryptCost } : undefined,
    threadpool: Number(process.env.UV_THREADPOOL_SIZE || 4),
    search,
  };
  process.stdout.write(`${READY_PREFIX}${JSON.stringify(info)}\n`);
}

main().catch((error) => {
  process.stderr.write(`bench server failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
