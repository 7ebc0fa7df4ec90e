import type { MikroORM } from '@mikro-orm/postgresql';
import type { Command } from 'commander';
import { createAppServices, type AppServices, type RequestContext } from './context';
import type { BulwarkConfig } from './config';
import { loadConfig } from './config';
import { createOrm } from './db/orm';
import type { Logger } from './logger';
import type { ComposedApi } from './plugin';
import { migrateDatabase, openDatabase } from './server';
import { withSystemContext } from './system-context';

/**
 * What an operator command gets (`npm run cli -- …`; apps/cli). Each feature adds its commands
 * with `ApiPlugin.cli(program, kit)`, so the CLI, like the server, is its plugin list.
 * Results go to stdout (`out`), logs to stderr, so scripts can read the results.
 */
export interface CliKit {
  api: ComposedApi;
  log: Logger;
  out(line: string): void;
  /** The server's database (DATABASE_URL, or the embedded PostgreSQL, joined if a server runs on it), migrated. */
  withDatabase<T>(fn: (db: CliDatabase) => Promise<T>): Promise<T>;
  /** The settings and services alone, for commands that need no database (checking a file). */
  offline(): { config: BulwarkConfig; app: AppServices };
  /**
   * Progress on stderr with rows (and bytes) per second: on a terminal one line rewritten in place,
   * elsewhere (a log) a line a second.
   */
  progressLine(): (p: { phase: string; table?: string; rows: number; bytes?: number }) => void;
  /** Ends the progress line (a new line), when one was shown. */
  endProgress(): void;
}

export interface CliDatabase {
  config: BulwarkConfig;
  app: AppServices;
  /** The runtime role's ORM (RLS applies), opened on first use and closed with the database. */
  orm(): Promise<MikroORM>;
  /** The owner's, for what only operators write (platform switches). */
  ownerOrm(): Promise<MikroORM>;
  /** A tenant's id from its slug (the lookup works before any tenant is set). */
  tenantIdOf(slug: string): Promise<string>;
  /** Runs `fn` in one transaction in a tenant, as the system, with `reason` in its log lines. */
  inTenant<T>(tenantId: string, reason: string, fn: (ctx: RequestContext) => Promise<T>): Promise<T>;
}

export function createCliKit(api: ComposedApi, log: Logger, out: (line: string) => void): CliKit {
  return {
    api,
    log,
    out,
    async withDatabase(fn) {
      const config = loadConfig();
      api.checkConfig(config);
      const database = await openDatabase(config, log);
      const opened: MikroORM[] = [];
      const open = (role: 'runtime' | 'owner') => {
        let orm: Promise<MikroORM> | undefined;
        return () => (orm ??= createOrm({ url: database.url, entities: api.entities, migrations: api.migrations, role, poolMax: 2, audit: api.audit }).then((o) => (opened.push(o), o)));
      };
      try {
        await migrateDatabase(database.url, api, log);
        const app = createAppServices(config, api, log);
        const orm = open('runtime');
        const db: CliDatabase = {
          config,
          app,
          orm,
          ownerOrm: open('owner'),
          async tenantIdOf(slug) {
            const [row] = await (await orm()).em.getConnection().execute<{ id: string | null }[]>('select bulwark_tenant_by_slug(?) as id', [slug.trim().toLowerCase()]);
            if (!row?.id) throw new Error(`no tenant "${slug}"`);
            return row.id;
          },
          inTenant: async (tenantId, reason, fn) => withSystemContext(await orm(), app, tenantId, reason, fn),
        };
        return await fn(db);
      } finally {
        for (const o of opened) await o.close(true);
        await database.embedded?.stop();
      }
    },
    offline() {
      const config = loadConfig();
      api.checkConfig(config);
      return { config, app: createAppServices(config, api, log) };
    },
    endProgress() {
      if (process.stderr.isTTY) process.stderr.write('\n');
    },
    progressLine() {
      // A log would keep only the first of the rewritten lines: there, whole lines, fewer of them.
      const terminal = !!process.stderr.isTTY;
      const started = Date.now();
      let last = 0;
      return ({ phase, table, rows, bytes }) => {
        const now = Date.now();
        if (now - last < (terminal ? 250 : 1000)) return;
        last = now;
        const s = Math.max(0.001, (now - started) / 1000);
        const mb = bytes ? `, ${(bytes / 1048576).toFixed(1)} MB (${(bytes / 1048576 / s).toFixed(1)} MB/s)` : '';
        const line = `${phase}${table ? ` ${table}` : ''}: ${rows} rows (${Math.round(rows / s)}/s)${mb}`;
        process.stderr.write(terminal ? `\r${line}   ` : `${line}\n`);
      };
    },
  };
}

/** A feature's operator commands (ApiPlugin.cli). */
export type CliCommands = (program: Command, kit: CliKit) => void;
