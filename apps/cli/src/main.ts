import 'reflect-metadata';
import {
  citusPlan,
  composeApi,
  createAppServices,
  createLogger,
  createOrm,
  DEMO,
  errorText,
  loadConfig,
  migrateDatabase,
  openDatabase,
  seedDemo,
  startWorker,
  withSystemContext,
  type BulwarkConfig,
  type Database,
} from '@bulwark/platform-api';
import { createTenant } from '@bulwark/identity-api';
import { pruneAll, pruneTenant, verifyChain } from '@bulwark/audit-api';
import { BackupRun, storageFor, restoreTenant, runBackup, verifyArchive, type BackupDeps, type Progress } from '@bulwark/backups-api';
import { createReadStream, existsSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { randomUUID } from 'node:crypto';
// eslint-disable-next-line @nx/enforce-module-boundaries -- deliberate: the CLI composes the server's own plugin list, so its migrations, seeds and permissions match the API's
import { apiPlugins } from '../../api/src/plugins';

/**
 * Operator commands. They use the server's database settings (DATABASE_URL, or the embedded
 * PostgreSQL in BULWARK_DATA_DIR, joined if a server is running on it) and print what they did.
 * Logs go to stderr, results to stdout, so scripts can read the results.
 */
const log = createLogger({ service: 'bulwark-cli' }, (l) => process.stderr.write(l + '\n'), (process.env.BULWARK_LOG_LEVEL as 'info') || 'warn');
const out = (line: string) => process.stdout.write(line + '\n');

async function withDatabase<T>(fn: (config: BulwarkConfig, db: Database) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const db = await openDatabase(config, log);
  try {
    return await fn(config, db);
  } finally {
    await db.embedded?.stop();
  }
}

/** Migrates, then runs `fn` in a system context for a tenant, with the runtime role. */
async function inTenant<T>(config: BulwarkConfig, db: Database, tenantId: string, reason: string, fn: Parameters<typeof withSystemContext<T>>[4]) {
  const api = composeApi(apiPlugins);
  await migrateDatabase(db.url, api, log);
  const orm = await createOrm({ url: db.url, entities: api.entities, migrations: api.migrations, role: 'runtime', poolMax: 2, audit: api.audit });
  try {
    return await withSystemContext(orm, createAppServices(config, api, log), tenantId, reason, fn);
  } finally {
    await orm.close(true);
  }
}

/** The tenant id for a slug (the lookup function works before any tenant is set). */
async function tenantIdOf(db: Database, slug: string): Promise<string> {
  const api = composeApi(apiPlugins);
  await migrateDatabase(db.url, api, log);
  const orm = await createOrm({ url: db.url, entities: api.entities, migrations: api.migrations, role: 'runtime', poolMax: 1 });
  try {
    const [row] = await orm.em.getConnection().execute<{ id: string | null }[]>('select bulwark_tenant_by_slug(?) as id', [slug.trim().toLowerCase()]);
    if (!row?.id) throw new Error(`no tenant "${slug}"`);
    return row.id;
  } finally {
    await orm.close(true);
  }
}

/** Runs `fn` with what backups need, for the tenant named by its slug. */
async function withBackups(fn: (deps: BackupDeps, tenantId: string) => Promise<void>, slug: string): Promise<void> {
  await withDatabase(async (config, db) => {
    const tenantId = await tenantIdOf(db, slug);
    const api = composeApi(apiPlugins);
    const orm = await createOrm({ url: db.url, entities: api.entities, migrations: api.migrations, role: 'runtime', poolMax: 2, audit: api.audit });
    try {
      await fn({ orm, app: createAppServices(config, api, log), storage: storageFor(config), schemas: api.migrations.map((m) => m.name) }, tenantId);
    } finally {
      await orm.close(true);
    }
  });
}

/** Progress on stderr, one line rewritten in place: rows and bytes per second (long work). */
function progressLine(): Progress {
  const started = Date.now();
  let last = 0;
  return ({ phase, table, rows, bytes }) => {
    const now = Date.now();
    if (now - last < 250) return;
    last = now;
    const s = Math.max(0.001, (now - started) / 1000);
    process.stderr.write(`\r${phase}${table ? ` ${table}` : ''}: ${rows} rows (${Math.round(rows / s)}/s)${bytes ? `, ${(bytes / 1048576).toFixed(1)} MB (${(bytes / 1048576 / s).toFixed(1)} MB/s)` : ''}   `);
  };
}

/** Exactly one source for the password; stdin and the environment keep it out of `ps`. */
async function passwordFrom(o: { adminPassword?: string; adminPasswordStdin?: boolean; adminPasswordEnv?: string }): Promise<string> {
  const given = [o.adminPassword !== undefined, !!o.adminPasswordStdin, !!o.adminPasswordEnv].filter(Boolean).length;
  if (given !== 1) throw new Error('give the password with exactly one of --admin-password, --admin-password-stdin, --admin-password-env');
  if (o.adminPassword !== undefined) return o.adminPassword;
  if (o.adminPasswordEnv) {
    const v = process.env[o.adminPasswordEnv];
    if (!v) throw new Error(`environment variable ${o.adminPasswordEnv} is empty or not set`);
    return v;
  }
  let data = '';
  for await (const chunk of process.stdin) data += chunk;
  return data.replace(/\r?\n$/, '');
}

export function buildCli(): Command {
  const program = new Command('bulwark').description('Bulwark operator commands').exitOverride();

  program
    .command('migrate')
    .description('apply pending database migrations (as the database owner)')
    .action(() =>
      withDatabase(async (_config, db) => {
        const { applied } = await migrateDatabase(db.url, composeApi(apiPlugins), log);
        out(applied.length ? `applied ${applied.length} migration(s): ${applied.join(', ')}` : 'database is up to date');
      }),
    );

  program
    .command('worker')
    .description('work on queued jobs (backups) and background tasks, without serving HTTP, until stopped (SIGINT/SIGTERM)')
    .action(() =>
      withDatabase(async (config, db) => {
        const worker = await startWorker(apiPlugins, config, { log, database: db });
        out('worker started: taking queued jobs; stop with Ctrl-C');
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        out('stopping: letting a running job finish');
        await worker.close();
      }),
    );

  program
    .command('citus')
    .description('scale-out on Citus (docs/scale-out.md)')
    .command('plan')
    .description('print the SQL that distributes a freshly migrated database by tenant (read from the catalog; changes nothing)')
    .action(() =>
      withDatabase(async (_config, db) => {
        const api = composeApi(apiPlugins);
        await migrateDatabase(db.url, api, log);
        const owner = await createOrm({ url: db.url, entities: api.entities, migrations: api.migrations, role: 'owner', poolMax: 1 });
        try {
          const plan = await citusPlan((sql) => owner.em.getConnection().execute(sql));
          for (const line of plan.statements) out(line);
        } finally {
          await owner.close(true);
        }
      }),
    );

  const tenant = program.command('tenant').description('manage tenants');
  tenant
    .command('create')
    .description('create a tenant with its first owner (non-interactive, for scripts)')
    .requiredOption('--slug <slug>', 'short name used at sign-in: 2-63 lowercase letters, digits, dashes')
    .requiredOption('--name <name>', 'display name')
    .requiredOption('--admin-email <email>', "the first owner's email")
    .option('--admin-password <password>', "the first owner's password (12 to 128 characters); visible to other users of the machine (ps): prefer the next two")
    .option('--admin-password-stdin', "read the first owner's password from standard input")
    .option('--admin-password-env <name>', "read the first owner's password from this environment variable")
    .option('--admin-name <name>', "the first owner's name", 'Owner')
    .action((o: { slug: string; name: string; adminEmail: string; adminPassword?: string; adminPasswordStdin?: boolean; adminPasswordEnv?: string; adminName: string }) =>
      withDatabase(async (config, db) => {
        const adminPassword = await passwordFrom(o);
        const id = randomUUID();
        const { tenant: t, owner } = await inTenant(config, db, id, 'cli tenant create', (ctx) =>
          createTenant(ctx, { slug: o.slug, name: o.name, adminEmail: o.adminEmail, adminPassword, adminName: o.adminName }),
        );
        out(`created tenant ${t.slug} (${t.id}) with owner ${owner.email}`);
      }),
    );

  program
    .command('lockdown')
    .description('platform-wide lockdown: every tenant refuses changes except admins on allowlisted networks (SECURITY.md D11)')
    .argument('<state>', 'on, off or status')
    .action((state: string) =>
      withDatabase(async (_config, db) => {
        if (!['on', 'off', 'status'].includes(state)) throw new Error('say on, off or status');
        const api = composeApi(apiPlugins);
        await migrateDatabase(db.url, api, log);
        // The operator's switch is written as the owner: the runtime role may only read it.
        const owner = await createOrm({ url: db.url, entities: api.entities, migrations: api.migrations, role: 'owner', poolMax: 1 });
        try {
          const conn = owner.em.getConnection();
          // The switch and its events commit together (one connection: poolMax 1).
          if (state !== 'status') await conn.execute('begin');
          if (state !== 'status') {
            await conn.execute(
              `insert into platform_settings (key, value, updated_at) values ('lockdown', ?::jsonb, now())
               on conflict (key) do update set value = excluded.value, updated_at = now()`,
              [JSON.stringify(state === 'on')],
            );
          }
          if (state !== 'status') {
            // Every tenant's log says so (F3 "lockdown toggles"); the operators' log too.
            const n = await conn.execute<{ n: string }[]>('select bulwark_audit_append_all(?::jsonb) as n', [
              JSON.stringify([{ occurredAt: new Date(), actorType: 'system', actorName: 'platform operator (cli)', action: 'platform.lockdownChanged', targetType: 'Platform', outcome: 'success', details: { lockdown: state === 'on' } }]),
            ]);
            await conn.execute('commit');
            log.warn('platform lockdown changed', { lockdown: state === 'on', tenantsNotified: Number(n[0].n) });
          }
          const [row] = await conn.execute<{ value: unknown }[]>(`select value from platform_settings where key = 'lockdown'`);
          out(`platform lockdown is ${row?.value === true ? 'ON: tenants refuse changes (reads go on)' : 'off'}`);
        } finally {
          await owner.close(true);
        }
      }),
    );

  const auditCmd = program.command('audit').description('the audit log');
  auditCmd
    .command('verify')
    .description("walk a tenant's hash chain; exit code 2 and the first broken event when it does not verify (SECURITY.md F2)")
    .requiredOption('--tenant <slug>', 'the tenant')
    .action((o: { tenant: string }) =>
      withDatabase(async (config, db) => {
        const id = await tenantIdOf(db, o.tenant);
        const r = await inTenant(config, db, id, 'cli audit verify', (ctx) => verifyChain(ctx));
        if (r.ok) out(`audit chain of ${o.tenant} is intact: ${r.checked} event(s) checked, head #${r.headSeq}`);
        else {
          out(`audit chain of ${o.tenant} is BROKEN at event #${r.brokenSeq}${r.brokenEventId ? ` (${r.brokenEventId})` : ''}: ${r.reason}`);
          process.exitCode = 2;
        }
      }),
    );
  auditCmd
    .command('prune')
    .description("delete events older than each tenant's retention (the server does this hourly); the chain is checkpointed at the cut")
    .option('--tenant <slug>', 'only this tenant')
    .action((o: { tenant?: string }) =>
      withDatabase(async (config, db) => {
        if (o.tenant) {
          const id = await tenantIdOf(db, o.tenant);
          out(`deleted ${await inTenant(config, db, id, 'cli audit prune', (ctx) => pruneTenant(ctx))} event(s) of ${o.tenant}`);
          return;
        }
        const api = composeApi(apiPlugins);
        await migrateDatabase(db.url, api, log);
        const orm = await createOrm({ url: db.url, entities: api.entities, migrations: api.migrations, role: 'runtime', poolMax: 1 });
        try {
          out(`deleted ${await pruneAll(orm)} event(s) past their tenants' retention`);
        } finally {
          await orm.close(true);
        }
      }),
    );

  const DECRYPTED_HELP = 'the file is an OpenPGP backup already decrypted with `gpg --decrypt` (its manifest is still checked in full)';
  const backup = program.command('backup').description("a tenant's backups (encrypted archives under BULWARK_BACKUP_DIR)");
  backup
    .command('run')
    .description('back a tenant up now: write, read back and verify, then record the run')
    .requiredOption('--tenant <slug>', 'the tenant')
    .action((o: { tenant: string }) =>
      withBackups(async (deps, tenantId) => {
        const run = await runBackup(deps, tenantId, 'cli', { progress: progressLine() });
        process.stderr.write('\n');
        out(`backup ${run.id} of ${o.tenant}: succeeded, ${Number(run.sizeBytes)} bytes, sha256 ${run.sha256}`);
        out(`rows: ${Object.entries(run.counts ?? {}).map(([t, n]) => `${t} ${n}`).join(', ')}`);
        out(`file: ${deps.app.config.backupDir}/${run.storageKey}`);
      }, o.tenant),
    );
  backup
    .command('list')
    .description("a tenant's backup runs, newest first")
    .requiredOption('--tenant <slug>', 'the tenant')
    .action((o: { tenant: string }) =>
      withBackups(async (deps, tenantId) => {
        const runs = await withSystemContext(deps.orm, deps.app, tenantId, 'cli backup list', (ctx) => ctx.em.find(BackupRun, {}, { orderBy: { createdAt: 'desc' }, limit: 100 }));
        if (!runs.length) out(`no backups of ${o.tenant} yet`);
        for (const r of runs) {
          out([r.id, r.createdAt.toISOString(), r.status, r.trigger, r.sizeBytes ? `${r.sizeBytes} bytes` : '-', r.error ?? ''].join('\t').trimEnd());
        }
      }, o.tenant),
    );
  backup
    .command('verify')
    .description('decrypt a backup file and check every stream against its manifest (exit 2 if it does not verify)')
    .argument('<file>', 'the .bwb file')
    .option('--decrypted', DECRYPTED_HELP)
    .action(async (file: string, o: { decrypted?: boolean }) => {
      if (!existsSync(file)) throw new Error(`no file ${file}`);
      const config = loadConfig();
      const api = composeApi(apiPlugins);
      try {
        const { header, manifest } = await verifyArchive({ app: createAppServices(config, api, log), schemas: api.migrations.map((m) => m.name) }, createReadStream(file), { encrypted: !o.decrypted });
        out(`verified: tenant ${header.tenantId}, written ${header.createdAt}, schema ${header.schema}`);
        out(`rows: ${Object.entries(manifest.counts).map(([t, n]) => `${t} ${n}`).join(', ')}`);
      } catch (e) {
        out(`does NOT verify: ${(e as Error).message}`);
        process.exitCode = 2;
      }
    });
  backup
    .command('restore')
    .description("replace a tenant's data with a backup, all or nothing (live sessions and API tokens end)")
    .requiredOption('--tenant <slug>', 'the tenant')
    .option('--run <id>', 'a backup run of this tenant (see backup list)')
    .option('--file <path>', 'a backup file instead')
    .option('--decrypted', DECRYPTED_HELP)
    .option('--dry-run', 'only read and verify the archive; change nothing')
    .action((o: { tenant: string; run?: string; file?: string; decrypted?: boolean; dryRun?: boolean }) =>
      withBackups(async (deps, tenantId) => {
        if (!!o.run === !!o.file) throw new Error('give exactly one of --run or --file');
        if (o.decrypted && !o.file) throw new Error('--decrypted goes with --file (the output of gpg --decrypt)');
        let source;
        if (o.file) {
          if (!existsSync(o.file)) throw new Error(`no file ${o.file}`);
          source = createReadStream(o.file);
        } else {
          const run = await withSystemContext(deps.orm, deps.app, tenantId, 'cli backup restore', (ctx) => ctx.em.findOne(BackupRun, { id: o.run as string, status: 'succeeded' }));
          if (!run?.storageKey) throw new Error(`no succeeded backup ${o.run} of ${o.tenant}`);
          source = deps.storage.get(run.storageKey);
        }
        const r = await restoreTenant(deps, tenantId, source, { dryRun: o.dryRun, runId: o.run ?? null, progress: progressLine(), encrypted: !o.decrypted });
        process.stderr.write('\n');
        out(`${o.dryRun ? 'dry run: the archive verifies; nothing changed' : `restored ${o.tenant}`}: ${r.rows} rows from ${r.header.createdAt}`);
      }, o.tenant),
    );

  const seed = program.command('seed').description('sample data');
  seed
    .command('demo')
    .description(`create the demo tenant "${DEMO.tenant}" (refused when NODE_ENV=production)`)
    .action(() =>
      withDatabase(async (config, db) => {
        if (config.env === 'production') throw new Error('the demo seed refuses to run with NODE_ENV=production (SECURITY.md A12)');
        const api = composeApi(apiPlugins);
        await migrateDatabase(db.url, api, log);
        const orm = await createOrm({ url: db.url, entities: api.entities, migrations: api.migrations, role: 'runtime', poolMax: 2, audit: api.audit });
        try {
          await seedDemo(orm, createAppServices(config, api, log), api);
        } finally {
          await orm.close(true);
        }
        out(`seeded tenant "${DEMO.tenant}": sign in as ${DEMO.adminEmail} with password "${DEMO.password}"`);
      }),
    );
  return program;
}

export async function runCli(argv: string[]): Promise<number> {
  try {
    await buildCli().parseAsync(argv, { from: 'user' });
    // A command that ran but found a problem (a broken audit chain) sets its own code.
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    // errorText: a database error's message carries its statement and values (a failed restore's rows).
    process.stderr.write(`error: ${errorText(e)}\n`);
    return 1;
  }
}

if (require.main === module) {
  void runCli(process.argv.slice(2)).then((code) => process.exit(code));
}
