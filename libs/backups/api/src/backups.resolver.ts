import { backupsConfig } from './backups.config';
import { Arg, Ctx, Int, Mutation, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '@bulwark/platform-api';
import { requireRecentAuth } from '@bulwark/identity-api';
import { BackupRun } from './backup-run.entity';
import { backupSettings, setBackupEncryption } from './backup-settings.service';
import { restoreBackup } from './restore.service';
import { toClientError } from './backups.errors';
import { backupSchedule, nextRuns, updateSchedule } from './schedules';
import { queueBackup } from './backup.job';
import { BackupEncryptionInput, BackupRunView, BackupScheduleInput, BackupScheduleView, RestoreInput, RestoreResult } from './backups.types';

const runView = (r: BackupRun): BackupRunView => ({
  id: r.id,
  status: r.status,
  trigger: r.trigger,
  encryption: r.encryption,
  sizeBytes: r.sizeBytes ? Number(r.sizeBytes) : null,
  sha256: r.sha256 ?? null,
  counts: r.counts ?? null,
  rows: r.counts ? Object.values(r.counts).reduce((a, b) => a + b, 0) : null,
  error: r.error ?? null,
  createdAt: r.createdAt,
  finishedAt: r.finishedAt ?? null,
  durationSeconds: r.finishedAt && r.startedAt ? (r.finishedAt.getTime() - r.startedAt.getTime()) / 1000 : null,
});

async function scheduleView(ctx: RequestContext): Promise<BackupScheduleView> {
  const s = await backupSchedule(ctx);
  const enc = await backupSettings(ctx);
  return {
    cron: s.cron,
    timezone: s.timezone,
    retentionCount: s.retentionCount,
    enabled: s.enabled,
    nextRuns: s.enabled ? nextRuns(s.cron, s.timezone, ctx.app.now(), 5) : [],
    encryption: enc.encryption,
    openpgpFingerprint: enc.openpgpFingerprint ?? null,
    storage: backupsConfig.of(ctx.app.config).storage,
  };
}

@Resolver()
export class BackupResolver {
  @Query(() => [BackupRunView], { description: 'Backup runs, newest first' })
  async backupRuns(@Arg('limit', () => Int, { defaultValue: 50 }) limit: number, @Ctx() ctx: RequestContext) {
    return (await ctx.em.find(BackupRun, {}, { orderBy: { createdAt: 'desc' }, limit: Math.min(Math.max(limit, 1), 100) })).map(runView);
  }

  @Query(() => BackupScheduleView)
  backupSchedule(@Ctx() ctx: RequestContext) {
    return scheduleView(ctx);
  }

  @Mutation(() => BackupScheduleView)
  async updateBackupSchedule(@Arg('input', () => BackupScheduleInput) input: BackupScheduleInput, @Ctx() ctx: RequestContext) {
    await updateSchedule(ctx, input);
    return scheduleView(ctx);
  }

  @Mutation(() => BackupScheduleView, { description: 'Needs a recent re-authentication' })
  async setBackupEncryption(@Arg('input', () => BackupEncryptionInput) input: BackupEncryptionInput, @Ctx() ctx: RequestContext) {
    await requireRecentAuth(ctx);
    await setBackupEncryption(ctx, { mode: input.mode, publicKeyArmored: input.publicKey });
    return scheduleView(ctx);
  }

  @Mutation(() => BackupRunView, { description: 'Queues a backup now and returns its run (status queued; watch backupRuns for the rest)' })
  async runBackupNow(@Ctx() ctx: RequestContext) {
    return runView(await queueBackup(ctx, 'manual'));
  }

  @Mutation(() => RestoreResult, {
    description: 'Needs backups.restore and a recent re-authentication. A dry run only verifies; a real one replaces all data (typed confirmation: the workspace slug)',
  })
  async restoreBackup(@Arg('input', () => RestoreInput) input: RestoreInput, @Ctx() ctx: RequestContext): Promise<RestoreResult> {
    await requireRecentAuth(ctx);
    return restoreBackup(ctx, input).catch((e: unknown) => {
      throw toClientError(e);
    });
  }
}
