/**
 * Once per test run: a PostgreSQL server (DATABASE_URL's, or an embedded one in a temporary
 * folder) and a template database migrated by the real CLI. Each test file clones the template.
 * No MikroORM import here: it would break MikroORM in every worker (STACK.md).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../libs/platform/api/src/db/embedded-postgres';

declare global {
  var __BULWARK_EMBEDDED__: EmbeddedPostgres | undefined;
}

export default async function globalSetup() {
  const run = `${Date.now().toString(36)}${process.pid.toString(36)}`;
  let serverUrl: string;
  if (process.env.DATABASE_URL) {
    const u = new URL(process.env.DATABASE_URL);
    u.pathname = '';
    serverUrl = u.toString().replace(/\/$/, '');
    process.stdout.write(`\n[tests] PostgreSQL from DATABASE_URL (${u.host})\n`);
  } else {
    const dataDir = mkdtempSync(join(tmpdir(), 'bulwark-test-pg-'));
    chmodSync(dataDir, 0o755); // the postgres user must reach it when tests run as root
    const embedded = await startEmbeddedPostgres({ dataDir, database: 'postgres' });
    globalThis.__BULWARK_EMBEDDED__ = embedded;
    process.env.BULWARK_TEST_PG_DIR = dataDir;
    serverUrl = embedded.serverUrl;
    process.stdout.write(`\n[tests] embedded PostgreSQL in ${dataDir}\n`);
  }
  const template = `bwt_${run}_tpl`;
  const admin = new Client({ connectionString: `${serverUrl}/postgres` });
  await admin.connect();
  await admin.query(`create database ${template}`);
  await admin.end();
  process.env.BULWARK_TEST_CLI_DIR = join(tmpdir(), `bulwark-test-cli-${run}`);
  execFileSync(process.execPath, ['-r', '@swc-node/register', 'apps/cli/src/main.ts', 'migrate'], {
    cwd: join(__dirname, '../..'),
    env: { ...process.env, DATABASE_URL: `${serverUrl}/${template}`, BULWARK_LOG_LEVEL: 'warn', BULWARK_DATA_DIR: process.env.BULWARK_TEST_CLI_DIR },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  process.env.BULWARK_TEST_SERVER_URL = serverUrl;
  process.env.BULWARK_TEST_TEMPLATE = template;
  process.env.BULWARK_TEST_RUN = run;
}
