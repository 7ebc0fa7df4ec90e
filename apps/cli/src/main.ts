import 'reflect-metadata';
import {
  composeApi,
  createAppServices,
  createLogger,
  createOrm,
  DEMO,
  loadConfig,
  migrateDatabase,
  openDatabase,
  seedDemo,
  withSystemContext,
  type BulwarkConfig,
  type Database,
} from '@bulwark/platform-api';
import { createTenant } from '@bulwark/identity-api';
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
  const orm = await createOrm({ url: db.url, entities: api.entities, migrations: api.migrations, role: 'runtime', poolMax: 2 });
  try {
    return await withSystemContext(orm, createAppServices(config, api.catalog, log), tenantId, reason, fn);
  } finally {
    await orm.close(true);
  }
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

  const tenant = program.command('tenant').description('manage tenants');
  tenant
    .command('create')
    .description('create a tenant with its first owner (non-interactive, for scripts)')
    .requiredOption('--slug <slug>', 'short name used at sign-in: 2-63 lowercase letters, digits, dashes')
    .requiredOption('--name <name>', 'display name')
    .requiredOption('--admin-email <email>', "the first owner's email")
    .requiredOption('--admin-password <password>', "the first owner's password (12 to 128 characters)")
    .option('--admin-name <name>', "the first owner's name", 'Owner')
    .action((o: { slug: string; name: string; adminEmail: string; adminPassword: string; adminName: string }) =>
      withDatabase(async (config, db) => {
        const id = randomUUID();
        const { tenant: t, owner } = await inTenant(config, db, id, 'cli tenant create', (ctx) =>
          createTenant(ctx, { slug: o.slug, name: o.name, adminEmail: o.adminEmail, adminPassword: o.adminPassword, adminName: o.adminName }),
        );
        out(`created tenant ${t.slug} (${t.id}) with owner ${owner.email}`);
      }),
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
        const orm = await createOrm({ url: db.url, entities: api.entities, migrations: api.migrations, role: 'runtime', poolMax: 2 });
        try {
          await seedDemo(orm, createAppServices(config, api.catalog, log), api);
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
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    const err = e as Error & { extensions?: { fields?: Record<string, string> } };
    const fields = err.extensions?.fields ? ` (${Object.entries(err.extensions.fields).map(([k, v]) => `${k}: ${v}`).join(', ')})` : '';
    process.stderr.write(`error: ${err.message}${fields}\n`);
    return 1;
  }
}

if (require.main === module) {
  void runCli(process.argv.slice(2)).then((code) => process.exit(code));
}
