import 'reflect-metadata';
import type { MikroORM } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { createServer, type Server } from 'node:http';
import type { BulwarkConfig } from './config';
import { createAppServices, type AppServices, type DnsResolver } from './context';
import type { MailSender } from './mail';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './db/embedded-postgres';
import { createOrm, isReady, migrate } from './db/orm';
import { DatabaseHealth } from './db/outage';
import { DEMO, seedDemo } from './demo';
import { createApollo } from './graphql/server';
import { buildApiSchema } from './graphql/schema';
import { createHttpApp, expressServerOptions } from './http/app';
import { createLogger, type Logger } from './logger';
import { composeApi, type ApiPlugin, type ComposedApi, type PluginListener } from './plugin';
import { startJobs } from './jobs';

export interface Database {
  url: string;
  embedded?: EmbeddedPostgres;
}

/** DATABASE_URL when set, else the embedded PostgreSQL in the data folder. */
export async function openDatabase(config: BulwarkConfig, log: Logger, opts: { exitOnSignals?: boolean } = {}): Promise<Database> {
  if (config.databaseUrl) return { url: config.databaseUrl };
  log.info('DATABASE_URL is not set: starting the embedded PostgreSQL', { dataDir: config.dataDir });
  const embedded = await startEmbeddedPostgres({ dataDir: config.dataDir, log: (m) => log.debug(m), exitOnSignals: opts.exitOnSignals });
  return { url: embedded.url, embedded };
}

/** Why the database at `url` cannot be used, for a person: where it is (no password) and what it said. */
function unreachable(url: string, error: unknown): Error {
  const u = new URL(url);
  const where = `${u.hostname}:${u.port || 5432}${u.pathname}`;
  const code = (error as { code?: string }).code;
  const said = code === '3D000' ? 'that database does not exist' : code === 'ECONNREFUSED' ? 'nothing answers there' : String((error as Error).message ?? error).split('\n')[0];
  return new Error(`cannot use the PostgreSQL database at ${where} (DATABASE_URL): ${said}`, { cause: error });
}

/** Applies pending migrations as the owner, one process at a time. Returns the tenant count. */
export async function migrateDatabase(url: string, api: ComposedApi, log: Logger): Promise<{ applied: string[]; tenants: number; demo: boolean }> {
  const owner = await createOrm({ url, entities: api.entities, migrations: api.migrations, role: 'owner', poolMax: 1 });
  try {
    const conn = owner.em.getConnection();
    // Several API processes may start together; one pool connection means the lock and the
    // migrations share a session. The first statement also says whether the database is there.
    await conn.execute(`select pg_advisory_lock(hashtext('bulwark:migrate'))`).catch((e: unknown) => {
      throw unreachable(url, e);
    });
    try {
      const applied = await migrate(owner, (m) => log.info(m));
      const [{ n, demo }] = await conn.execute<{ n: string; demo: boolean }[]>(
        'select count(*) as n, bool_or(slug = ?) as demo from tenants',
        [DEMO.tenant],
      );
      return { applied, tenants: Number(n), demo: !!demo };
    } finally {
      await conn.execute(`select pg_advisory_unlock(hashtext('bulwark:migrate'))`);
    }
  } finally {
    await owner.close(true);
  }
}

/** The pool every request and job uses: the runtime role, with the configured deadlines (G7). */
function runtimeOrm(url: string, api: ComposedApi, config: BulwarkConfig, log: Logger) {
  return createOrm({
    url,
    entities: api.entities,
    migrations: api.migrations,
    role: 'runtime',
    statementTimeoutMs: config.statementTimeoutMs,
    connectTimeoutMs: config.dbConnectTimeoutMs,
    audit: api.audit,
    log,
  });
}

/** Runs each plugin's background tasks on their interval; a failed run is logged, the next one comes. */
function startBackground(api: ComposedApi, services: AppServices & { orm: MikroORM }): NodeJS.Timeout[] {
  const timers: NodeJS.Timeout[] = [];
  for (const task of api.plugins.flatMap((p) => p.background ?? [])) {
    const every = task.intervalMs(services.config);
    if (!every) continue;
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      task
        .run(services)
        .catch((error) => services.log.error('background task failed', { task: task.name, error }))
        .finally(() => (running = false));
    }, every);
    timer.unref();
    timers.push(timer);
  }
  return timers;
}

/**
 * A process that only works on jobs and background tasks (no HTTP): `npm run cli -- worker`.
 * Same plugins, same code as the API's own worker; run several, or set BULWARK_WORKER=off on the
 * API processes to keep long jobs (backups) off the machines that answer requests.
 */
export async function startWorker(plugins: readonly ApiPlugin[], config: BulwarkConfig, opts: StartOptions = {}): Promise<{ close(): Promise<void> }> {
  const log = opts.log ?? createLogger({ service: 'bulwark-worker' });
  const api = composeApi(plugins);
  api.checkConfig(config);
  const db = opts.database ?? (await openDatabase(config, log, { exitOnSignals: false }));
  try {
    await migrateDatabase(db.url, api, log);
    const orm = await runtimeOrm(db.url, api, config, log);
    const app = Object.assign(createAppServices(config, api, log, { now: opts.now, mail: opts.mail }), { orm });
    app.jobs = await startJobs(api, app, db.url, { work: true });
    const timers = startBackground(api, app);
    return {
      async close() {
        for (const t of timers) clearInterval(t);
        await app.jobs.stop();
        await orm.close(true);
        if (!opts.database) await db.embedded?.stop();
      },
    };
  } catch (e) {
    if (!opts.database) await db.embedded?.stop().catch(() => undefined);
    throw e;
  }
}

export interface BulwarkServer {
  url: string;
  port: number;
  orm: MikroORM;
  api: ComposedApi;
  app: AppServices;
  /** The demo tenant exists (so its sign-in can be shown). */
  demoTenant: boolean;
  /** Where the plugins' listeners (ApiPlugin.listen) are bound, by listener name. */
  listeners: Record<string, { host: string; port: number }>;
  close(): Promise<void>;
}

export interface StartOptions {
  log?: Logger;
  now?: () => Date;
  /** Seed the demo tenant when the database has no tenant yet (development with embedded PG). */
  seedDemoIfEmpty?: boolean;
  database?: Database;
  mail?: MailSender;
  /** DNS for sender checks (tests answer from a table); default: the system's resolver. */
  dns?: DnsResolver;
}

export async function startServer(plugins: readonly ApiPlugin[], config: BulwarkConfig, opts: StartOptions = {}): Promise<BulwarkServer> {
  const log = opts.log ?? createLogger({ service: 'bulwark-api' });
  const api = composeApi(plugins);
  api.checkConfig(config);
  // The server stops postgres in its own graceful shutdown (close(), called on SIGINT/SIGTERM).
  const db = opts.database ?? (await openDatabase(config, log, { exitOnSignals: false }));
  try {
    const { tenants, demo } = await migrateDatabase(db.url, api, log);
    let demoTenant = demo;
    const orm = await runtimeOrm(db.url, api, config, log);
    const app: AppServices = createAppServices(config, api, log, { now: opts.now, mail: opts.mail, dns: opts.dns });
    if (opts.seedDemoIfEmpty && tenants === 0 && config.env !== 'production') {
      await seedDemo(orm, app, api);
      demoTenant = true;
      log.info('seeded the demo tenant', { tenant: DEMO.tenant, email: DEMO.adminEmail });
    }
    const schema = await buildApiSchema(api);
    const health = new DatabaseHealth(log);
    let probe: Promise<boolean> | undefined;
    const apollo = createApollo(schema, {
      introspection: config.introspection,
      authenticator: api.authenticator,
      guards: api.guards,
      gates: api.gates,
      meters: api.meters,
      log,
      operationTimeoutMs: config.operationTimeoutMs,
      deadlineExempt: api.operations.with('deadlineExempt'),
      health,
    });
    await apollo.start();
    const http = createHttpApp({
      apollo,
      orm,
      app,
      // One probe at a time: probes that a frozen database leaves waiting must not take the pool.
      ready: () =>
        (probe ??= (async () => {
          const startedAt = Date.now();
          const ok = await isReady(orm.em.fork() as EntityManager, api.migrations);
          if (ok) health.ok(startedAt);
          return ok;
        })().finally(() => (probe = undefined))),
      health,
      plugins: api.plugins,
    });
    const server: Server = createServer(expressServerOptions(http), http);
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e: NodeJS.ErrnoException) =>
        reject(e.code === 'EADDRINUSE' ? new Error(`port ${config.port} on ${config.host} is in use (set PORT to another port)`) : e),
      );
      server.listen(config.port, config.host, () => resolve());
    });
    server.requestTimeout = config.requestTimeoutMs;
    server.headersTimeout = Math.min(60000, config.requestTimeoutMs);
    const port = (server.address() as { port: number }).port;
    const url = `http://${config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host}:${port}`;
    // PORT=0 (tests, a throwaway server) picks a free port: links and SSO callbacks point at it,
    // unless BULWARK_PUBLIC_URL says where people reach the server.
    if (config.port === 0 && !config.source.BULWARK_PUBLIC_URL) config.publicUrl = url;
    // Set on the one AppServices object every request and task shares.
    let closing: Promise<void> | undefined;
    app.jobs = await startJobs(api, Object.assign(app, { orm }), db.url, {
      work: config.worker,
      // The queue polls the database on its own: an outage is one line (G7), and while the server
      // stops (Ctrl-C also reaches the embedded PostgreSQL) lost connections are expected.
      onError: (error) => {
        if (closing) log.debug('job queue error while stopping', { error });
        else if (health.explains(error)) health.failed(error);
        else log.error('job queue error', { error });
      },
      isOutage: (error) => !!closing || health.explains(error),
    });
    const timers = startBackground(api, { ...app, orm });
    const listeners: PluginListener[] = [];
    try {
      for (const p of api.plugins) {
        const l = await p.listen?.({ ...app, orm });
        if (l) listeners.push(l);
      }
    } catch (e) {
      for (const t of timers) clearInterval(t);
      for (const l of listeners) await l.close().catch(() => undefined);
      await new Promise<void>((r) => server.close(() => r()));
      await apollo.stop();
      await app.jobs.stop();
      await orm.close(true);
      throw e;
    }
    return {
      url,
      port,
      orm,
      api,
      app,
      demoTenant,
      listeners: Object.fromEntries(listeners.map((l) => [l.name, l.address])),
      close: () =>
        (closing ??= (async () => {
          for (const t of timers) clearInterval(t);
          // Listeners first: no new work arrives while the rest shuts down.
          for (const l of listeners) await l.close().catch((error) => log.warn('a listener failed to close', { listener: l.name, error }));
          const closed = new Promise<void>((r) => server.close(() => r()));
          server.closeIdleConnections();
          await closed;
          await apollo.stop();
          for (const p of api.plugins) await p.closed?.(app).catch((error) => log.warn('a plugin failed to close', { plugin: p.name, error }));
          await app.jobs.stop();
          await orm.close(true);
          await db.embedded?.stop();
        })()),
    };
  } catch (e) {
    if (!opts.database) await db.embedded?.stop().catch(() => undefined);
    throw e;
  }
}
