import { afterCommit, defineJob, withSystemContext, type RequestContext } from '@bulwark/platform-api';
import { BackupRun } from './backup-run.entity';
import { BackupSettings } from './backup-settings.entity';
import { backupDeps } from './backup.deps';
import { runBackup } from './backup-run.service';
import { backupSchedule, rotate } from './schedules';

export interface BackupJobData {
  tenantId: string;
  runId: string;
  /** Rotation after a success: keep this many (the schedule's count when it was queued). */
  keep: number;
}

/**
 * One backup, taken by whichever process works on jobs (pg-boss: once). Its run was recorded as
 * queued by whoever asked; the job moves it to running (only if still queued), writes, verifies,
 * and rotates. Failures are recorded on the run (with their audit event and alert), so pg-boss
 * does not retry: a half-written backup is not resumed, and the next one is scheduled anyway.
 */
export const backupJob = defineJob<BackupJobData>({
  name: 'backups.run',
  // Long enough for a very large tenant; a run cut off past this is failed by the next one.
  expireInSeconds: 60 * 60,
  async run(services, data) {
    const deps = backupDeps(services.orm, services);
    const run = await withSystemContext(services.orm, services, data.tenantId, 'backup job', (ctx) => ctx.em.findOne(BackupRun, { id: data.runId }));
    if (!run) return; // deleted since (the tenant is gone)
    const done = await runBackup(deps, data.tenantId, run.trigger, { runId: data.runId }).catch((error: Error) => {
      services.log.warn('backup failed (recorded on its run)', { tenantId: data.tenantId, runId: data.runId, error });
      return null;
    });
    if (done?.status === 'succeeded') await rotate(deps, data.tenantId, data.keep);
  },
});

/**
 * Records a queued run in the caller's transaction and, once it commits, queues its job. If the
 * queue refuses it, the run is failed at once (and says why) rather than left queued.
 */
export async function queueBackup(ctx: RequestContext, trigger: BackupRun['trigger']): Promise<BackupRun> {
  const keep = (await backupSchedule(ctx)).retentionCount;
  const encryption = (await ctx.em.findOne(BackupSettings, {}))?.encryption ?? 'aes-256-gcm';
  const run = ctx.em.create(BackupRun, { status: 'queued', trigger, encryption, createdAt: ctx.app.now() });
  await ctx.em.flush();
  const tenantId = ctx.tenantId as string;
  const { app } = ctx;
  const orm = ctx.em;
  afterCommit(ctx, async () => {
    try {
      await app.jobs.send(backupJob, { tenantId, runId: run.id, keep });
    } catch (error) {
      app.log.error('could not queue a backup', { tenantId, runId: run.id, error });
      await withSystemContext(orm, app, tenantId, 'backup job', async (c) => {
        await c.em.nativeUpdate(BackupRun, { id: run.id, status: 'queued' }, { status: 'failed', error: 'could not be queued (see the server log)', finishedAt: app.now() });
      });
    }
  });
  return run;
}
