/**
 * `--scenario backup` (issue 5): a tenant with 100,000 tickets and 300,000 comments is backed up
 * by this process; its peak RSS growth is sampled every 20 ms (target: under 150 MB), and its row
 * rate is compared with `COPY (SELECT …) TO STDOUT` of the same rows over the same database in the
 * same run (target: at least 0.5 of it). The COPY baseline only reads and discards; the backup
 * also serialises, hashes, compresses, encrypts, writes, then reads the file back to verify it — the
 * verification pass is part of the measured time, since a backup is not done before it.
 */
import 'reflect-metadata';
import { createLogger, loadConfig, memoryMailSender, startServer, withSystemContext } from '@bulwark/platform-api';
import { createTenant } from '@bulwark/identity-api';
import { localStorage, runBackup } from '@bulwark/backups-api';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Client } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { apiPlugins } from '@bulwark/composition-api';

export const BACKUP_RATE_TARGET = 0.5;
export const BACKUP_RSS_TARGET_MB = 150;

const mb = (b: number) => b / 1048576;

async function copyBaseline(url: string, tenantId: string, tables: string[]): Promise<{ rows: number; bytes: number; seconds: number }> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    let bytes = 0;
    let rows = 0;
    const t0 = process.hrtime.bigint();
    await c.query('begin isolation level repeatable read read only');
    for (const table of tables) {
      const stream = c.query(copyTo(`COPY (select * from "${table}" where tenant_id = '${tenantId}') TO STDOUT`));
      await pipeline(
        stream,
        new Writable({
          write(chunk: Buffer, _e, cb) {
            bytes += chunk.length;
            for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) rows++;
            cb();
          },
        }),
      );
    }
    await c.query('commit');
    return { rows, bytes, seconds: Number(process.hrtime.bigint() - t0) / 1e9 };
  } finally {
    await c.end();
  }
}

export async function runBackupBench(databaseUrl: string, opts: { tickets: number; runs: number }, resultsDir: string, say: (s: string) => void): Promise<string> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bulwark-bench-backup-'));
  const config = loadConfig({
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: '0',
    DATABASE_URL: databaseUrl,
    BULWARK_PASSWORD_PEPPER: randomBytes(32).toString('base64'),
    BULWARK_MASTER_KEY: randomBytes(32).toString('base64'),
    BULWARK_DATA_DIR: dataDir,
    BULWARK_SMTP_URL: 'smtp://127.0.0.1:9',
    BULWARK_PUBLIC_URL: 'http://127.0.0.1',
    BULWARK_MAIL_DOMAIN: 'mail.bench.invalid',
    BULWARK_BACKUP_SCHEDULER_SECONDS: '0',
  });
  const server = await startServer(apiPlugins, config, { log: createLogger({}, () => undefined), database: { url: databaseUrl }, mail: memoryMailSender() });
  try {
    const tenantId = randomUUID();
    say(`seeding ${opts.tickets} tickets and ${opts.tickets * 3} comments`);
    await withSystemContext(server.orm, server.app, tenantId, 'bench seed', async (ctx) => {
      const { owner } = await createTenant(ctx, { slug: 'bench-backup', name: 'Backup bench', adminEmail: 'owner@backup.bench', adminPassword: 'seven quiet lanterns over the harbour' });
      await ctx.em.flush();
      const run = (sql: string, params: unknown[] = []) => ctx.em.getConnection().execute(sql, params, 'run', ctx.em.getTransactionContext());
      await run(`set local statement_timeout = 0`);
      await run(
        `insert into tickets (id, tenant_id, subject, body, status, priority, channel, requester_id, created_at, updated_at)
         select gen_random_uuid(), bulwark_tenant_id(), 'Ticket ' || g, repeat('Details of the request. ', 8), 'open', 'normal', 'email', ?, now(), now()
         from generate_series(1, ?) g`,
        [owner.id, opts.tickets],
      );
      await run(
        `insert into ticket_comments (id, tenant_id, ticket_id, author_id, body, public, created_at)
         select gen_random_uuid(), bulwark_tenant_id(), t.id, ?, 'A reply on this ticket, of ordinary length. ' || c, c % 3 <> 0, now()
         from tickets t cross join generate_series(1, 3) c where t.tenant_id = bulwark_tenant_id()`,
        [owner.id],
      );
    });
    const owner = new Client({ connectionString: databaseUrl });
    await owner.connect();
    // As a real tenant's long-committed rows are: hint bits set, visibility map current (else the
    // first run pays for setting them).
    await owner.query('vacuum (analyze) tickets, ticket_comments, users');
    await owner.end();
    const deps = { orm: server.orm, app: server.app, storage: localStorage(join(dataDir, 'backups')), schemas: server.api.migrations.map((m) => m.name) };
    const results: { copyRowsPerS: number; backupRowsPerS: number; ratio: number; rssGrowthMb: number; backupSeconds: number; nodeCpuSeconds: number; sizeMb: number; rows: number }[] = [];
    for (let i = 1; i <= opts.runs; i++) {
      global.gc?.();
      const base = process.memoryUsage.rss();
      let peak = base;
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20);
      const t0 = process.hrtime.bigint();
      const cpu0 = process.cpuUsage();
      const run = await runBackup(deps, tenantId, 'cli');
      const backupSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
      const cpu = process.cpuUsage(cpu0);
      clearInterval(sampler);
      const rows = Object.values(run.counts ?? {}).reduce((a, b) => a + b, 0);
      const tables = Object.keys(run.counts ?? {});
      const copy = await copyBaseline(databaseUrl, tenantId, tables);
      const r = {
        copyRowsPerS: copy.rows / copy.seconds,
        backupRowsPerS: rows / backupSeconds,
        ratio: copy.seconds / backupSeconds,
        rssGrowthMb: mb(peak - base),
        backupSeconds,
        // This process's CPU (main thread and libuv's pool: compression, encryption, hashing);
        // PostgreSQL's is the rest of the machine's.
        nodeCpuSeconds: (cpu.user + cpu.system) / 1e6,
        sizeMb: mb(Number(run.sizeBytes)),
        rows,
      };
      results.push(r);
      say(
        `run ${i}/${opts.runs}: backup ${rows} rows in ${backupSeconds.toFixed(2)} s (${Math.round(r.backupRowsPerS)} rows/s, ${r.sizeMb.toFixed(1)} MB stored, node CPU ${r.nodeCpuSeconds.toFixed(2)} s); ` +
          `COPY ${copy.rows} rows in ${copy.seconds.toFixed(2)} s (${Math.round(r.copyRowsPerS)} rows/s, ${mb(copy.bytes).toFixed(1)} MB); ` +
          `ratio ${r.ratio.toFixed(2)}; peak RSS growth ${r.rssGrowthMb.toFixed(1)} MB`,
      );
    }
    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const ratio = med(results.map((r) => r.ratio));
    const rss = Math.max(...results.map((r) => r.rssGrowthMb));
    say(
      `\nHeadline: backup at ${ratio.toFixed(2)}× the rate of COPY TO STDOUT of the same rows (median; target ≥ ${BACKUP_RATE_TARGET}: ${ratio >= BACKUP_RATE_TARGET ? 'meets' : 'BELOW'}); ` +
        `peak RSS growth ${rss.toFixed(1)} MB (worst run; target < ${BACKUP_RSS_TARGET_MB} MB: ${rss < BACKUP_RSS_TARGET_MB ? 'meets' : 'ABOVE'}).`,
    );
    const file = join(resultsDir, `bench-backup-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, JSON.stringify({ scenario: 'backup', options: opts, machine: { cpus: cpus().length, node: process.version, loadavg: loadavg() }, ratio, rssGrowthMb: rss, results }, null, 2) + '\n');
    return file;
  } finally {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
