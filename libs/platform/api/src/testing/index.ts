/**
 * Test harness for API tests (DESIGN.md §4, ring 2): a real server on a fresh database cloned from
 * the run's migrated template, a GraphQL client, a settable clock, and direct SQL connections as
 * the owner and as the runtime role for checks that must not go through the API.
 */
import type { PostgreSqlConnection } from '@mikro-orm/postgresql';
import { Client } from 'pg';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config';
import { createLogger } from '../logger';
import { memoryMailSender, type MailSender } from '../mail';
import type { ApiPlugin } from '../plugin';
import type { DnsResolver } from '../context';
import { RUNTIME_ROLE } from '../db/rls';
import { unroutedTables } from '../db/routing';
import { startServer, type BulwarkServer } from '../server';

export async function createTestDatabase(): Promise<string> {
  const server = process.env.BULWARK_TEST_SERVER_URL;
  const template = process.env.BULWARK_TEST_TEMPLATE;
  if (!server || !template) throw new Error('run API tests through jest (its global setup prepares the database server)');
  // Jest reloads modules per file, so no counter survives between files of one worker.
  const name = `bwt_${process.env.BULWARK_TEST_RUN}_${randomBytes(6).toString('hex')}`;
  const admin = new Client({ connectionString: `${server}/postgres` });
  await admin.connect();
  try {
    await admin.query(`create database ${name} template ${template}`);
  } finally {
    await admin.end();
  }
  return `${server}/${name}`;
}

/** Tables with a tenant_id column, from the catalog. */
async function tenantTablesOf(owner: Client): Promise<Set<string>> {
  const { rows } = await owner.query<{ name: string }>(
    `select c.relname as name from pg_class c join pg_attribute a on a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped
      where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p')`,
  );
  return new Set(rows.map((r) => r.name));
}

/** Collects, for the server's whole life, the statements it sends that would not route (routing.ts). */
function watchRouting(server: BulwarkServer, tenantTables: ReadonlySet<string>): Set<string> {
  const found = new Set<string>();
  const knex = (server.orm.em.getConnection() as PostgreSqlConnection).getKnex();
  knex.on('query', (q: { sql: string }) => {
    const tables = unroutedTables(q.sql, tenantTables);
    if (tables.length) found.add(`${tables.join(', ')}: ${q.sql.replace(/\s+/g, ' ').slice(0, 300)}`);
  });
  return found;
}

/** Polls `fn` until it returns something truthy (returned), or fails after `ms`. */
export async function eventually<T>(fn: () => T | Promise<T>, ms = 15_000, what = 'the condition'): Promise<NonNullable<T>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`${what} did not hold within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export class TestClock {
  private offsetMs = 0;
  now = (): Date => new Date(Date.now() + this.offsetMs);
  advance(ms: number) {
    this.offsetMs += ms;
  }
  reset() {
    this.offsetMs = 0;
  }
}

export interface GqlResult<T = Record<string, unknown>> {
  status: number;
  data: T | null;
  errors?: { message: string; extensions?: { code?: string; [k: string]: unknown }; path?: string[] }[];
  headers: Headers;
}

export interface GqlOptions {
  token?: string;
  cookie?: string;
  headers?: Record<string, string>;
}

export const TEST_PEPPER = 'test-pepper-0123456789abcdef0123456789abcdef';

export interface TestServer {
  server: BulwarkServer;
  url: string;
  databaseUrl: string;
  clock: TestClock;
  gql<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>, opts?: GqlOptions): Promise<GqlResult<T>>;
  /** SQL as the database owner (a superuser in tests): sees every tenant, for assertions. */
  ownerSql<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<R[]>;
  /** A connection that runs as the runtime role, exactly like the server's pool. */
  runtimeClient(): Promise<Client>;
  /** The server's log lines so far (JSON), for checks on what was logged. */
  logs(): string[];
  /**
   * Error lines a test provokes on purpose (a failing storage, a broken table): close() prints
   * every other error line, so that expected failures do not fill the test output with stacks.
   */
  expectErrors(...patterns: RegExp[]): void;
  /**
   * Waits until the outbox has delivered (or tried once) everything queued so far: mail and
   * webhooks leave through jobs after the commit (outbox.ts), so a test reads them after this.
   */
  drainOutbox(ms?: number): Promise<void>;
  /** Counts SQL statements the server sends while `fn` runs. */
  countStatements<T>(fn: () => Promise<T>): Promise<{ result: T; statements: string[] }>;
  close(): Promise<void>;
}

export async function startTestServer(
  plugins: readonly ApiPlugin[],
  env: Record<string, string> = {},
  /** mail: where the server's mail goes; 'configured' uses the env's settings (real SMTP). */
  opts: { mail?: MailSender | 'configured'; dns?: DnsResolver } = {},
): Promise<TestServer> {
  const databaseUrl = await createTestDatabase();
  const clock = new TestClock();
  const dataDir = mkdtempSync(join(tmpdir(), 'bulwark-test-data-'));
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: '0',
    DATABASE_URL: databaseUrl,
    BULWARK_PASSWORD_PEPPER: TEST_PEPPER,
    BULWARK_DATA_DIR: dataDir,
    ...env,
  });
  const lines: string[] = [];
  const log = createLogger({ service: 'test' }, (l) => lines.push(l), 'info');
  const mail = opts.mail === 'configured' ? undefined : (opts.mail ?? memoryMailSender());
  const server = await startServer(plugins, config, { log, now: clock.now, database: { url: databaseUrl }, mail, dns: opts.dns });
  const owner = new Client({ connectionString: databaseUrl });
  await owner.connect();
  const clients: Client[] = [];
  const expected: RegExp[] = [];
  const unrouted = watchRouting(server, await tenantTablesOf(owner));

  return {
    server,
    url: server.url,
    databaseUrl,
    clock,
    async gql(query, variables, opts = {}) {
      const headers: Record<string, string> = { 'content-type': 'application/json', ...opts.headers };
      if (opts.token) headers.authorization = `Bearer ${opts.token}`;
      if (opts.cookie) headers.cookie = opts.cookie;
      const res = await fetch(`${server.url}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
      const body = (await res.json()) as { data?: unknown; errors?: GqlResult['errors'] };
      return { status: res.status, data: (body.data ?? null) as never, errors: body.errors, headers: res.headers };
    },
    logs: () => [...lines],
    expectErrors: (...patterns) => void expected.push(...patterns),
    async ownerSql(sql, params = []) {
      return (await owner.query(sql, params)).rows;
    },
    async runtimeClient() {
      const c = new Client({ connectionString: databaseUrl });
      await c.connect();
      await c.query(`set role ${RUNTIME_ROLE}`);
      clients.push(c);
      return c;
    },
    async drainOutbox(ms = 15_000) {
      await eventually(async () => {
        const [{ n }] = (await owner.query<{ n: number }>(`select count(*)::int as n from outbox where status = 'pending' and attempts = 0`)).rows;
        return n === 0;
      }, ms);
    },
    async countStatements(fn) {
      const knex = (server.orm.em.getConnection() as PostgreSqlConnection).getKnex();
      const statements: string[] = [];
      const listener = (q: { sql: string }) => statements.push(q.sql);
      knex.on('query', listener);
      try {
        const result = await fn();
        return { result, statements };
      } finally {
        knex.off('query', listener);
      }
    },
    async close() {
      for (const c of clients) await c.end().catch(() => undefined);
      await owner.end();
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
      // Unexpected errors in a test server are worth seeing even when the test passed.
      const unexpected = lines.filter((l) => l.includes('"level":"error"') && !expected.some((p) => p.test(l)));
      if (unexpected.length) process.stderr.write(unexpected.join('\n') + '\n');
      if (unrouted.size) {
        throw new Error(`statements on tenant data without tenant_id (they would reach every shard on Citus):\n${[...unrouted].join('\n')}`);
      }
    },
  };
}
export { startSmtpSink, type SmtpSink, type ReceivedMail } from './smtp-sink';
