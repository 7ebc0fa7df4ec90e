import { MikroORM, type EntityClass } from '@mikro-orm/core';
import { Migrator } from '@mikro-orm/migrations';
import { PostgreSqlDriver, type EntityManager } from '@mikro-orm/postgresql';
import type { MigrationEntry } from '../plugin';
import { auditFlushSubscriber, type AuditCatalog } from '../audit';
import { RUNTIME_ROLE } from './rls';
import { tenantFilter, TenantScoped } from './tenant-scoped';

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
  poolMax?: number;
  /** Captures changes of audited entities at flush (the server's and the CLI's ORMs). */
  audit?: AuditCatalog;
}

export async function createOrm(opts: OrmOptions): Promise<MikroORM<PostgreSqlDriver>> {
  const tenantEntities = opts.entities.filter((e) => e.prototype instanceof TenantScoped);
  const sessionSql =
    opts.role === 'runtime'
      ? `set role ${RUNTIME_ROLE}; set statement_timeout = ${Math.trunc(opts.statementTimeoutMs ?? 5000)}; ` +
        `set idle_in_transaction_session_timeout = 60000`
      : 'select 1';
  return MikroORM.init({
    driver: PostgreSqlDriver,
    clientUrl: opts.url,
    entities: opts.entities,
    extensions: [Migrator],
    allowGlobalContext: false,
    forceUtcTimezone: true,
    // Explicit metadata only: no folder scanning, no cache files written next to the code.
    discovery: { warnWhenNoEntities: true, disableDynamicFileAccess: true },
    metadataCache: { enabled: false },
    // A tenant-scoped row must never be hidden or shown because of its to-one target's filter.
    autoJoinRefsForFilters: false,
    filters: { [tenantFilter.name]: { ...tenantFilter, entity: tenantEntities.map((e) => e.name) } },
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
