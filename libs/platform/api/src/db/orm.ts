import { MikroORM, type EntityClass } from '@mikro-orm/core';
import { Migrator } from '@mikro-orm/migrations';
import { PostgreSqlDriver, type EntityManager } from '@mikro-orm/postgresql';
import type { MigrationEntry } from '../plugin';
import { auditFlushSubscriber, type AuditCatalog } from '../audit';
import { RUNTIME_ROLE } from './rls';
import { tenantFilter, TenantScoped } from './tenant-scoped';
import { TenantRoutedDriver } from './routing';
import type { Logger } from '../logger';

export interface OrmOptions {
  url: string;
  entities: EntityClass<unknown>[];
  migrations: MigrationEntry[];
  /**
   * 'runtime': every pooled connection switches to the runtime role at connect, so nothing the
   * server runs, in a request or not, can escape RLS. 'owner': migrations and operator commands.
   */
  role: 'runtime' | 'owner';
  statementTimeoutMs?: number;
  /** Deadline to open a connection and to wait for a free one (G7). */
  connectTimeoutMs?: number;
  poolMax?: number;
  /** Captures changes of audited entities at flush (the server's and the CLI's ORMs). */
  audit?: AuditCatalog;
  /** Where knex's own messages go (as structured lines; by default they are printed as text). */
  log?: Logger;
}

/**
 * knex's messages as structured lines (F6). Its "Connection Error: …" warnings say a dead pooled
 * connection was discarded, which the pool then handles; their text is a driver error that may
 * quote a statement, so only the fact is logged, at debug level.
 */
function knexLog(log: Logger) {
  const text = (m: unknown) => (typeof m === 'string' ? m : String((m as { message?: unknown })?.message ?? m)).slice(0, 300);
  return {
    warn: (m: unknown) => (text(m).startsWith('Connection Error') ? log.debug('database connection discarded') : log.warn('knex', { message: text(m) })),
    error: (m: unknown) => log.error('knex', { message: text(m).split('\n')[0] }),
    deprecate: (m: unknown) => log.warn('knex deprecation', { message: text(m) }),
    debug: (m: unknown) => log.debug('knex', { message: text(m) }),
  };
}

export async function createOrm(opts: OrmOptions): Promise<MikroORM<PostgreSqlDriver>> {
  const tenantEntities = opts.entities.filter((e) => e.prototype instanceof TenantScoped);
  const sessionSql =
    opts.role === 'runtime'
      ? `set role ${RUNTIME_ROLE}; set statement_timeout = ${Math.trunc(opts.statementTimeoutMs ?? 5000)}; ` +
        `set idle_in_transaction_session_timeout = 60000`
      : 'select 1';
  return MikroORM.init({
    driver: TenantRoutedDriver,
    clientUrl: opts.url,
    entities: opts.entities,
    extensions: [Migrator],
    allowGlobalContext: false,
    // A mistyped database name in DATABASE_URL must fail, not quietly migrate a new, empty one.
    ensureDatabase: false,
    forceUtcTimezone: true,
    // Explicit metadata only: no folder scanning, no cache files written next to the code.
    discovery: { warnWhenNoEntities: true, disableDynamicFileAccess: true },
    metadataCache: { enabled: false },
    // A tenant-scoped row must never be hidden or shown because of its to-one target's filter.
    autoJoinRefsForFilters: false,
    filters: { [tenantFilter.name]: { ...tenantFilter, entity: tenantEntities.map((e) => e.name) } },
    // Client-side deadlines (G7): PostgreSQL's own statement_timeout cannot fire while it is frozen
    // or unreachable, so every wait on it is also bounded here. A statement gets a second more than
    // the server's timeout, so the server's cleaner error normally comes first. Keepalive notices a
    // peer that vanished without closing the connection.
    driverOptions: {
      acquireConnectionTimeout: opts.connectTimeoutMs ?? 3000,
      connection: {
        keepAlive: true,
        keepAliveInitialDelayMillis: 10_000,
        connectionTimeoutMillis: opts.connectTimeoutMs ?? 3000,
        ...(opts.role === 'runtime' ? { query_timeout: Math.trunc(opts.statementTimeoutMs ?? 5000) + 1000 } : {}),
      },
      // (knex's own pool options, merged with `pool` below.) Only an idle connection outside any
      // transaction is lent: one whose statement timed out on our side may still wait for its
      // answer (readyForQuery false), and one whose ROLLBACK was given up on may still be inside
      // the old transaction when a frozen server thaws (its status is then not 'I', idle).
      pool: {
        validate: (conn: { readyForQuery?: boolean; getTransactionStatus?: () => string | null }) =>
          conn.readyForQuery === true && (conn.getTransactionStatus?.() ?? 'I') === 'I',
      },
      ...(opts.log ? { log: knexLog(opts.log) } : {}),
    },
    pool: {
      min: 0,
      max: opts.poolMax ?? 10,
      afterCreate: (conn: { query: (sql: string, cb: (err: Error | null) => void) => void }, done: (err: Error | null, conn: unknown) => void) =>
        conn.query(sessionSql, (err) => done(err, conn)),
    },
    migrations: {
      migrationsList: opts.migrations,
      transactional: true,
      allOrNothing: true,
      snapshot: false,
      silent: true,
    },
    subscribers: opts.audit ? [auditFlushSubscriber(opts.audit)] : [],
    debug: false,
  });
}

export async function migrate(orm: MikroORM, log: (m: string) => void = () => undefined): Promise<string[]> {
  const migrator = orm.getMigrator();
  const pending = await migrator.getPendingMigrations();
  // Migrating a database made by another build (the unreleased migrations were squashed per
  // feature once) would fail halfway with "relation already exists": say what it is instead.
  // Migrations this build lacks are fine when nothing is pending: a server composed of fewer
  // plugins on a shared database (the bench's server without the audit feature).
  const known = new Set((orm.config.get('migrations').migrationsList ?? []).map((m) => m.name));
  const foreign = (await migrator.getExecutedMigrations()).map((m) => m.name).filter((n) => !known.has(n));
  if (foreign.length && pending.length) {
    throw new Error(
      `this database was migrated by another build of Bulwark (${foreign.length} migration(s) this one does not know, e.g. ${foreign[0]}): ` +
        'use that build, or start from an empty database (for the embedded PostgreSQL, move BULWARK_DATA_DIR aside)',
    );
  }
  if (pending.length) log(`applying ${pending.length} migration(s): ${pending.map((m) => m.name).join(', ')}`);
  const done = await migrator.up();
  return done.map((m) => m.name);
}

/** Ready means: the database answers and every known migration has been applied. */
export async function isReady(em: EntityManager, migrations: MigrationEntry[]): Promise<boolean> {
  try {
    const rows = await em.getConnection().execute<{ name: string }[]>('select name from mikro_orm_migrations');
    const applied = new Set(rows.map((r) => r.name));
    return migrations.every((m) => applied.has(m.name));
  } catch {
    return false;
  }
}
