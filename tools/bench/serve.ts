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
 * Environment: DATABASE_URL (required), BENCH_TICKETS, BENCH_PAGES (comma-separated),
 * BENCH_DATA_DIR,
 * BENCH_CPU_PROFILE_DIR (profile the serving phase into that folder).
 */
import 'reflect-metadata';
import { createLogger, loadConfig, startServer, type BulwarkServer } from '@bulwark/platform-api';
import type { PostgreSqlConnection } from '@mikro-orm/postgresql';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { Session as InspectorSession } from 'node:inspector';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { apiPlugins } from '../../apps/api/src/plugins';
import { startBaseline, type Baseline } from './baseline';
import { listBody, PROGRESS_PREFIX, READY_PREFIX, type ReadyInfo } from './query';
import { seedBenchTenant } from './seed';

const progress = (msg: string) => process.stderr.write(`${PROGRESS_PREFIX}${msg}\n`);

/**
 * CPU profile of the serving phase only (BENCH_CPU_PROFILE_DIR): started once both servers are up
 * and seeded, written when this process stops. Start-up, migrations and seeding stay out of it.
 */
async function startProfiler(dir: string): Promise<() => Promise<void>> {
  const session = new InspectorSession();
  session.connect();
  const post = promisify(session.post.bind(session)) as (method: string, params?: object) => Promise<unknown>;
  await post('Profiler.enable');
  await post('Profiler.start');
  return async () => {
    const { profile } = (await post('Profiler.stop')) as { profile: object };
    const file = join(dir, `server-${process.pid}.cpuprofile`);
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  };
}

/** One request; an answer with errors is returned as `error` (main.ts reports it), not thrown. */
async function post(url: string, body: string, token?: string): Promise<{ error?: string }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(url, { method: 'POST', headers, body });
  const text = await res.text();
  return res.status !== 200 || text.includes('"errors"') ? { error: `HTTP ${res.status}: ${text.slice(0, 500)}` } : {};
}

async function main() {
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) throw new Error('serve.ts is started by main.ts with DATABASE_URL set');
  const tickets = Number(process.env.BENCH_TICKETS ?? 5000);
  const pages = (process.env.BENCH_PAGES ?? '10,50,100').split(',').map(Number);

  // Production settings (introspection off, secure cookies); the pepper is a throw-away.
  const config = loadConfig({
    NODE_ENV: 'production',
    PORT: '0',
    DATABASE_URL: databaseUrl,
    BULWARK_PASSWORD_PEPPER: randomBytes(32).toString('base64'),
    BULWARK_DATA_DIR: process.env.BENCH_DATA_DIR ?? mkdtempSync(join(tmpdir(), 'bulwark-bench-data-')),
  });
  const log = createLogger({ service: 'bench-api' }, (l) => process.stderr.write(l + '\n'), 'warn');

  let server: BulwarkServer | undefined;
  let baseline: Baseline | undefined;
  let stopProfiler: (() => Promise<void>) | undefined;
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await stopProfiler?.().catch((e) => process.stderr.write(`could not write the CPU profile: ${String(e)}\n`));
    await baseline?.close().catch(() => undefined);
    await server?.close().catch(() => undefined);
    process.exit(code);
  };
  process.once('SIGTERM', () => void stop(0));
  process.once('SIGINT', () => void stop(0));
  // main.ts keeps our stdin open; it closes when main.ts ends, even by SIGKILL.
  process.stdin.on('end', () => void stop(0)).on('close', () => void stop(0)).resume();

  progress('starting the full server (migrating the database)');
  server = await startServer(apiPlugins, config, { log, database: { url: databaseUrl } });
  const seeded = await seedBenchTenant(server, { tickets, requesters: 50, agents: 10, progress });

  const owner = new Client({ connectionString: databaseUrl });
  await owner.connect();
  let postgres: string;
  try {
    await owner.query('analyze tenants, users, sessions, tickets, ticket_comments');
    postgres = (await owner.query<{ v: string }>(`select current_setting('server_version') as v`)).rows[0].v;
  } finally {
    await owner.end();
  }

  progress('starting the baseline server (raw pg, no auth)');
  baseline = await startBaseline(databaseUrl, seeded.tenantId);
  const fullUrl = `${server.url}/graphql`;

  progress(`counting SQL statements per request at page sizes ${pages.join(', ')}`);
  const knex = (server.orm.em.getConnection() as PostgreSqlConnection).getKnex();
  const statements: ReadyInfo['statements'] = {};
  for (const n of pages) {
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

  if (process.env.BENCH_CPU_PROFILE_DIR) stopProfiler = await startProfiler(process.env.BENCH_CPU_PROFILE_DIR);
  const info: ReadyInfo = {
    full: fullUrl,
    baseline: baseline.url,
    baselineTrx: baseline.trxUrl,
    token: seeded.token,
    tenantId: seeded.tenantId,
    tickets,
    users: seeded.users,
    postgres,
    statements,
  };
  process.stdout.write(`${READY_PREFIX}${JSON.stringify(info)}\n`);
}

main().catch((error) => {
  process.stderr.write(`bench server failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
