import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { audit, auditDiff, badInput, withSystemContext, type BackgroundTask, type RequestContext } from '@bulwark/platform-api';
import { CronExpressionParser } from 'cron-parser';
import { BackupRun } from './backup-run.entity';
import { backupsConfig } from './backups.config';
import { BackupSchedule } from './backup-schedule.entity';
import { BackupAudit } from './backups.audit';
import { forkOf, type BackupDeps } from './backup.deps';
import { queueBackup } from './backup.job';

/** The next `count` times a cron expression fires in a time zone, after `from`. */
export function nextRuns(cron: string, timezone: string, from: Date, count = 1): Date[] {
  const it = CronExpressionParser.parse(cron, { tz: timezone, currentDate: from });
  return Array.from({ length: count }, () => it.next().toDate());
}

export function checkSchedule(cron: string, timezone: string): void {
  if (!Intl.supportedValuesOf('timeZone').includes(timezone) && timezone !== 'UTC') throw badInput(`Unknown time zone ${timezone}`, { timezone: 'unknown' });
  let runs: Date[];
  try {
    if (cron.trim().split(/\s+/).length !== 5) throw new Error('five fields');
    runs = nextRuns(cron, timezone, new Date(), 2);
  } catch {
    throw badInput('A cron expression has five fields: minute hour day-of-month month day-of-week (e.g. "0 2 * * *")', { cron: 'invalid' });
  }
  // More often than hourly would pile backups on top of each other.
  if (runs[1].getTime() - runs[0].getTime() < 60 * 60_000) throw badInput('Back up at most once an hour', { cron: 'too often' });
}

export async function backupSchedule(ctx: RequestContext): Promise<BackupSchedule> {
  // Made on first use: by the scheduler for every tenant (bulwark_backup_unplanned), or here.
  return (await ctx.em.findOne(BackupSchedule, {})) ?? ctx.em.create(BackupSchedule, {});
}

export interface ScheduleInput {
  cron: string;
  timezone: string;
  retentionCount: number;
  enabled: boolean;
}

export async function updateSchedule(ctx: RequestContext, input: ScheduleInput): Promise<BackupSchedule> {
  const cron = input.cron.trim().replace(/\s+/g, ' ');
  checkSchedule(cron, input.timezone);
  if (!Number.isInteger(input.retentionCount) || input.retentionCount < 1 || input.retentionCount > 100) {
    throw badInput('Keep 1 to 100 backups', { retentionCount: 'out of range' });
  }
  const s = await backupSchedule(ctx);
  const before = { cron: s.cron, timezone: s.timezone, retentionCount: s.retentionCount, enabled: s.enabled };
  Object.assign(s, { cron, timezone: input.timezone, retentionCount: input.retentionCount, enabled: input.enabled, updatedAt: ctx.app.now() });
  s.nextRunAt = s.enabled ? nextRuns(cron, input.timezone, ctx.app.now())[0] : null;
  const changes = auditDiff(before, { cron, timezone: input.timezone, retentionCount: input.retentionCount, enabled: input.enabled });
  if (Object.keys(changes).length) audit(ctx, BackupAudit.scheduleChanged, { targetId: s.id, changes });
  return s;
}

/**
 * G4: keeps exactly the newest `keep` succeeded backups; older ones are removed from storage,
 * then forgotten. Failed runs are kept for the record (they hold no file).
 */
export async function rotate(deps: BackupDeps, tenantId: string, keep: number): Promise<number> {
  const old = await withSystemContext(deps.orm, deps.app, tenantId, 'backup rotation', (ctx) =>
    ctx.em.find(BackupRun, { status: 'succeeded' }, { orderBy: { createdAt: 'desc' }, offset: keep }),
  );
  for (const r of old) if (r.storageKey) await deps.storage.remove(r.storageKey);
  if (!old.length) return 0;
  await withSystemContext(deps.orm, deps.app, tenantId, 'backup rotation', async (ctx) => {
    await ctx.em.nativeDelete(BackupRun, { id: { $in: old.map((r) => r.id) } });
    audit(ctx, BackupAudit.rotated, { targetType: 'BackupSchedule', details: { removed: old.length, kept: keep } });
  });
  return old.length;
}

/**
 * One scheduler pass: gives every tenant without a planned time one, then claims each due schedule
 * inside its own tenant with a compare-and-set on the time it was due (the statement names the
 * tenant, so on Citus it routes to one shard; no lock spans tenants). Of several API processes
 * that saw the same due time, the first one's update moves it on and the others' match no row, so
 * each run is queued once; whichever process works on jobs runs it (pg-boss: once). A run that
 * fails is recorded as failed (and alerts); the schedule carries on. Returns the number queued.
 */
export async function schedulerTick(deps: Pick<BackupDeps, 'orm' | 'app'>): Promise<number> {
  const { orm, app } = deps;
  const conn = forkOf(orm).getConnection();
  for (const { tenant_id } of await conn.execute<{ tenant_id: string }[]>('select * from bulwark_backup_unplanned()')) {
    await withSystemContext(orm, app, tenant_id, 'backup schedule', async (ctx) => {
      const s = await backupSchedule(ctx);
      if (s.enabled && !s.nextRunAt) s.nextRunAt = nextRuns(s.cron, s.timezone, ctx.app.now())[0];
    }).catch((e: unknown) => {
      // Another process made this tenant's first schedule at the same moment: theirs stands.
      if (!(e instanceof UniqueConstraintViolationException)) throw e;
    });
  }
  let queued = 0;
  for (const due of await conn.execute<{ tenant_id: string }[]>('select * from bulwark_backup_due(?)', [app.now()])) {
    queued += await withSystemContext(orm, app, due.tenant_id, 'backup schedule', async (ctx) => {
      const s = await ctx.em.findOne(BackupSchedule, {});
      if (!s) return 0;
      const next = nextRuns(s.cron, s.timezone, ctx.app.now())[0];
      const claimed = await ctx.em.nativeUpdate(BackupSchedule, { id: s.id, enabled: true, nextRunAt: { $lte: ctx.app.now() } }, { nextRunAt: next });
      if (!claimed) return 0; // another process got it first
      await queueBackup(ctx, 'schedule');
      return 1;
    });
  }
  return queued;
}

export const backupSchedulerTask: BackgroundTask = {
  name: 'backup scheduler',
  intervalMs: (config) => backupsConfig.of(config).schedulerSeconds * 1000,
  async run(services) {
    await schedulerTick({ orm: services.orm, app: services });
  },
};
