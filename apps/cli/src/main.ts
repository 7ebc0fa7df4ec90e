import 'reflect-metadata';
import {
  citusPlan,
  composeApi,
  createCliKit,
  createLogger,
  DEMO,
  errorText,
  loadConfig,
  migrateDatabase,
  openDatabase,
  seedDemo,
  startWorker,
  type CliKit,
} from '@bulwark/platform-api';
import { apiPlugins } from '@bulwark/composition-api';
import { Command, CommanderError } from 'commander';

/**
 * Operator commands. They use the server's database settings (DATABASE_URL, or the embedded
 * PostgreSQL in BULWARK_DATA_DIR, joined if a server is running on it) and print what they did.
 * Logs go to stderr, results to stdout, so scripts can read the results. The kernel's commands
 * are here; each feature adds its own (ApiPlugin.cli).
 */
const log = createLogger({ service: 'bulwark-cli' }, (l) => process.stderr.write(l + '\n'), (process.env.BULWARK_LOG_LEVEL as 'info') || 'warn');
const out = (line: string) => process.stdout.write(line + '\n');

function kernelCommands(program: Command, kit: CliKit): void {
  program
    .command('migrate')
    .description('apply pending database migrations (as the database owner)')
    .action(async () => {
      const database = await openDatabase(loadConfig(), log);
      try {
        const { applied } = await migrateDatabase(database.url, kit.api, log);
        out(applied.length ? `applied ${applied.length} migration(s): ${applied.join(', ')}` : 'database is up to date');
      } finally {
        await database.embedded?.stop();
      }
    });

  program
    .command('worker')
    .description('work on queued jobs (backups) and background tasks, without serving HTTP, until stopped (SIGINT/SIGTERM)')
    .action(async () => {
      const config = loadConfig();
      const database = await openDatabase(config, log);
      try {
        const worker = await startWorker(apiPlugins, config, { log, database });
        out('worker started: taking queued jobs; stop with Ctrl-C');
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        out('stopping: letting a running job finish');
        await worker.close();
      } finally {
        await database.embedded?.stop();
      }
    });

  program
    .command('citus')
    .description('scale-out on Citus (docs/scale-out.md)')
    .command('plan')
    .description('print the SQL that distributes a freshly migrated database by tenant (read from the catalog; changes nothing)')
    .action(() =>
      kit.withDatabase(async (db) => {
        const owner = await db.ownerOrm();
        const conn = owner.em.getConnection();
        for (const line of (await citusPlan((sql) => conn.execute(sql))).statements) out(line);
        const [{ n }] = await conn.execute<{ n: string }[]>('select count(*) as n from tenants');
        if (Number(n)) {
          log.warn(`this database already holds ${n} workspace(s): distributing copies their rows, so run the plan in a maintenance window (docs/scale-out.md)`);
        }
      }),
    );

  program
    .command('seed')
    .description('sample data')
    .command('demo')
    .description(`create the demo workspace "${DEMO.tenant}" (refused when NODE_ENV=production)`)
    .action(() =>
      kit.withDatabase(async (db) => {
        if (db.config.env === 'production') throw new Error('the demo seed refuses to run with NODE_ENV=production (SECURITY.md A12)');
        await seedDemo(await db.orm(), db.app, kit.api);
        out(`seeded tenant "${DEMO.tenant}": sign in as ${DEMO.adminEmail} with password "${DEMO.password}"`);
      }),
    );
}

export function buildCli(): Command {
  const program = new Command('bulwark').description('Bulwark operator commands').exitOverride();
  const kit = createCliKit(composeApi(apiPlugins), log, out);
  kernelCommands(program, kit);
  for (const plugin of apiPlugins) plugin.cli?.(program, kit);
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
