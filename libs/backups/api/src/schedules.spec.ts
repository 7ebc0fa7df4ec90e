/**
 * Schedules (issue 5 §2): every tenant has one (daily 02:00 UTC, keep 10), cron and time zone are
 * checked, retention keeps exactly N (SECURITY.md G4), and two API processes on one database run
 * each due backup exactly once.
 */
import { composeApi, loadConfig, memoryMailSender, createLogger, migrateDatabase, startServer, withSystemContext, type BulwarkServer } from '@bulwark/platform-api';
import { startTestServer, TEST_PEPPER, type TestServer } from '@bulwark/platform-api/testing';
import { createPersonas, type TenantPersonas } from '@bulwark/identity-api/testing';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { randomBytes, randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BackupSchedule } from './backup-schedule.entity';
import type { BackupDeps } from './backup.deps';
import { nextRuns, rotate, schedulerTick, updateSchedule } from './schedules';
import { localStorage } from './storage';
import { runBackup } from './backup-run.service';
import { apiPlugins } from '@bulwark/composition-api';

let t: TestServer;
let second: BulwarkServer;
let a: TenantPersonas;
let dir: string;
const depsOf = (s: BulwarkServer): BackupDeps => ({ orm: s.orm, app: s.app, storage: localStorage(dir), schemas: s.api.migrations.map((m) => m.name) });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bulwark-schedules-'));
  t = await startTestServer(apiPlugins, { BULWARK_BACKUP_SCHEDULER_SECONDS: '0', BULWARK_BACKUP_DIR: dir });
  // A second API process on the same database (its own pool, its own scheduler).
  second = await startServer(
    apiPlugins,
    loadConfig({
      NODE_ENV: 'test',
      PORT: '0',
      DATABASE_URL: t.databaseUrl,
      BULWARK_PASSWORD_PEPPER: TEST_PEPPER,
      BULWARK_MASTER_KEY: t.server.app.config.masterKey,
      BULWARK_DATA_DIR: mkdtempSync(join(tmpdir(), 'bulwark-second-')),
      BULWARK_BACKUP_DIR: dir,
      BULWARK_BACKUP_SCHEDULER_SECONDS: '0',
    }),
    { log: createLogger({}, () => undefined), database: { url: t.databaseUrl }, mail: memoryMailSender() },
  );
  a = await createPersonas(t, 'scheduled');
});
afterAll(async () => {
  await second?.close();
  await t?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('schedules', () => {
  it('exist for every new tenant: daily at 02:00 UTC, keeping 10', async () => {
    const rows = await t.ownerSql(`select cron, timezone, retention_count, enabled from backup_schedules where tenant_id = $1`, [a.tenantId]);
    expect(rows).toEqual([{ cron: '0 2 * * *', timezone: 'UTC', retention_count: 10, enabled: true }]);
  });

  it('check cron and time zone, and plan the next run in that zone', async () => {
    expect(nextRuns('0 2 * * *', 'Europe/Berlin', new Date('2026-11-21T09:00:00Z'), 2).map((d) => d.toISOString())).toEqual(['2026-11-22T01:00:00.000Z', '2026-11-23T01:00:00.000Z']);
    const set = (input: object) =>
      withSystemContext(t.server.orm, t.server.app, a.tenantId, 'test', (ctx) => updateSchedule(ctx, { cron: '0 2 * * *', timezone: 'UTC', retentionCount: 10, enabled: true, ...input }));
    await expect(set({ cron: 'every day' })).rejects.toThrow(/five fields/);
    await expect(set({ cron: '*/5 * * * *' })).rejects.toThrow(/at most once an hour/);
    await expect(set({ timezone: 'Mars/Olympus' })).rejects.toThrow(/Unknown time zone/);
    await expect(set({ retentionCount: 0 })).rejects.toThrow(/1 to 100/);
    const s = await set({ cron: '30 3 * * 1', timezone: 'America/New_York', retentionCount: 3 });
    expect(s.nextRunAt!.getUTCHours()).toBe(8); // 03:30 in New York in November is 08:30 UTC
    expect(s.nextRunAt!.getUTCDay()).toBe(1);
  });
});

describe('G4 retention keeps exactly the configured number', () => {
  it('removes the oldest backups and their files beyond N', async () => {
    const deps = depsOf(t.server);
    const made = [];
    for (let i = 0; i < 5; i++) made.push(await runBackup(deps, a.tenantId, 'cli'));
    expect(await rotate(deps, a.tenantId, 3)).toBe(2);
    const runs = await t.ownerSql<{ id: string }>(`select id from backup_runs where tenant_id = $1 and status = 'succeeded' order by created_at desc`, [a.tenantId]);
    expect(runs.map((r) => r.id)).toEqual(made.slice(2).reverse().map((r) => r.id));
    expect(readdirSync(join(dir, a.tenantId)).sort()).toEqual(made.slice(2).map((r) => `${r.id}.bwb`).sort());
    expect(await rotate(deps, a.tenantId, 3)).toBe(0);
  });
});

describe('two API processes on one database', () => {
  it('run each due scheduled backup exactly once (claimed by one, queued once, worked by one)', async () => {
    const tenants = [a, await createPersonas(t, 'sched-two'), await createPersonas(t, 'sched-three')];
    for (const p of tenants) {
      await withSystemContext(t.server.orm, t.server.app, p.tenantId, 'test', async (ctx) => {
        const s = (await ctx.em.findOne(BackupSchedule, {}))!;
        s.retentionCount = 50;
        s.nextRunAt = new Date(Date.now() - 60_000); // due a minute ago
      });
    }
    const count = async () => Number((await t.ownerSql<{ n: string }>(`select count(*) as n from backup_runs where trigger = 'schedule'`))[0].n);
    const before = await count();
    const [one, two] = await Promise.all([schedulerTick(depsOf(t.server)), schedulerTick(depsOf(second))]);
    expect(one + two).toBe(3);
    expect(await count()).toBe(before + 3);
    // Both processes work on jobs; each queued run is taken by one of them and finishes. pg-boss
    // marks a job completed only after its handler has returned, so wait for the jobs too.
    for (let i = 0; i < 200; i++) {
      const open = await t.ownerSql(
        `select 1 from backup_runs where trigger = 'schedule' and status in ('queued', 'running')
         union all select 1 from pgboss.job where name = 'backups.run' and state in ('created', 'retry', 'active')`,
      );
      if (!open.length) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const per = await t.ownerSql<{ tenant_id: string; n: string; status: string }>(`select tenant_id, count(*) as n, min(status) as status from backup_runs where trigger = 'schedule' group by 1`);
    expect(per.map((r) => [Number(r.n), r.status])).toEqual([
      [1, 'succeeded'],
      [1, 'succeeded'],
      [1, 'succeeded'],
    ]);
    const jobs = await t.ownerSql<{ n: string }>(`select count(*) as n from pgboss.job where name = 'backups.run' and state = 'completed'`);
    expect(Number(jobs[0].n)).toBe(3);
    // Planned again for the next time; ticking again now runs nothing.
    expect(await Promise.all([schedulerTick(depsOf(t.server)), schedulerTick(depsOf(second))])).toEqual([0, 0]);
    const next = await t.ownerSql<{ next_run_at: Date }>(`select next_run_at from backup_schedules where tenant_id = any($1)`, [tenants.map((p) => p.tenantId)]);
    expect(next.every((r) => r.next_run_at && r.next_run_at.getTime() > Date.now())).toBe(true);
  });
});

describe('a database owner that is not a superuser (DATABASE_URL with CREATEROLE, as the README allows)', () => {
  it('still lets the scheduler find every workspace’s due schedule (forced RLS would hide them)', async () => {
    const server = new URL(process.env.BULWARK_TEST_SERVER_URL as string);
    const role = `bwt_owner_${randomBytes(4).toString('hex')}`;
    const password = randomBytes(12).toString('hex');
    const admin = new Client({ connectionString: `${server.toString().replace(/\/$/, '')}/postgres` });
    await admin.connect();
    await admin.query(`create role ${role} login createrole password '${password}'`);
    await admin.query(`create database ${role} owner ${role}`);
    // As if this owner had created the runtime role itself (the first migration does, and from
    // PostgreSQL 16 on only a role's creator, or one it gave ADMIN OPTION, may grant it).
    await admin.query(`grant bulwark_app to ${role} with admin option`);
    const url = new URL(server.toString());
    url.username = role;
    url.password = password;
    url.pathname = `/${role}`;
    try {
      const log = createLogger({ service: 'test' }, () => undefined, 'error');
      await migrateDatabase(url.toString(), composeApi(apiPlugins), log);
      const owner = new Client({ connectionString: url.toString() });
      await owner.connect();
      try {
        const tenant = randomUUID();
        // As the owner (RLS forced on it too): a workspace and its schedule, due a minute ago.
        await owner.query('begin');
        await owner.query('select bulwark_enter_tenant($1)', [tenant]);
        await owner.query(`insert into tenants (id, slug, name) values ($1, 'not-super', 'Not super')`, [tenant]);
        await owner.query(`insert into backup_schedules (id, tenant_id, next_run_at) values (gen_random_uuid(), $1, now() - interval '1 minute')`, [tenant]);
        await owner.query('commit');
        // The scheduler's lists, as the runtime role calls them (no workspace entered).
        await owner.query(`set role bulwark_app`);
        expect((await owner.query(`select tenant_id from bulwark_backup_due(now())`)).rows).toEqual([{ tenant_id: tenant }]);
        expect((await owner.query(`select tenant_id from bulwark_backup_unplanned()`)).rows).toEqual([]);
        // And the runtime role itself still sees no schedule without a workspace.
        expect((await owner.query(`select count(*)::int as n from backup_schedules`)).rows).toEqual([{ n: 0 }]);
      } finally {
        await owner.end();
      }
    } finally {
      await admin.query(`drop database ${role} with (force)`);
      await admin.query(`drop role ${role}`);
      await admin.end();
    }
  });
});
