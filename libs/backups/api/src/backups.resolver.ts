import { DriverException } from '@mikro-orm/core';
import { backupsConfig } from './backups.config';
import { Arg, Ctx, Int, Mutation, Query, Resolver } from 'type-graphql';
import { AppError, badInput, notFound, Tenant, type RequestContext } from '@bulwark/platform-api';
import { requireRecentAuth } from '@bulwark/identity-api';
import { BackupRun } from './backup-run.entity';
import { backupSettings, restoreAsNewTenant, restoreTenant, setBackupEncryption, type BackupDeps } from './backup.service';
import { backupSchedule, nextRuns, updateSchedule } from './schedules';
import { queueBackup } from './backup.job';
import { storageFor } from './storage';
import { BackupEncryptionInput, BackupRunView, BackupScheduleInput, BackupScheduleView, RestoreInput, RestoreResult } from './backups.types';

const deps = (ctx: RequestContext): BackupDeps => ({ orm: ctx.em, app: ctx.app, storage: storageFor(ctx.app.config), schemas: ctx.app.migrations });

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
    const run = await ctx.em.findOne(BackupRun, { id: input.runId });
    if (!run) throw notFound('Backup');
    if (run.status !== 'succeeded' || !run.storageKey) throw badInput('Only a succeeded backup can be restored', { runId: 'not succeeded' });
    if (run.encryption === 'openpgp') throw badInput('An OpenPGP backup is restored from the CLI, from the file you decrypted with your key', { runId: 'openpgp' });
    const tenant = await ctx.em.findOneOrFail(Tenant, { id: ctx.tenantId as string });
    const copy = input.newWorkspace;
    // Replacing this workspace's data is confirmed by typing its name; a copy replaces nothing.
    if (!input.dryRun && !copy && input.confirm !== tenant.slug) throw badInput(`Type the workspace name "${tenant.slug}" to confirm`, { confirm: 'mismatch' });
    const d = deps(ctx);
    const p = ctx.principal;
    // The restore runs in its own transaction; its event names the person who asked for it.
    const actor = p?.kind === 'user' ? { type: 'user' as const, id: p.userId, name: p.name ?? null } : undefined;
    try {
      const source = d.storage.get(run.storageKey);
      const done = (r: { rows: number; manifest: { counts: Record<string, number> }; header: { createdAt: string; schema: string } }, newWorkspaceSlug: string | null = null) => ({
        dryRun: input.dryRun,
        rows: r.rows,
        counts: r.manifest.counts,
        backupCreatedAt: new Date(r.header.createdAt),
        schema: r.header.schema,
        newWorkspaceSlug,
      });
      if (copy && !input.dryRun) {
        const r = await restoreAsNewTenant(d, tenant.id, source, { slug: copy.slug, name: copy.name, runId: run.id, actor });
        return done(r, r.slug);
      }
      return done(await restoreTenant(d, tenant.id, source, { dryRun: input.dryRun, runId: run.id, actor }));
    } catch (e) {
      if (e instanceof AppError) throw e; // a taken or invalid slug, said as such
      // A database error's text holds SQL and row values (ids, hashes): it goes to the log only.
      // (Raw SQL errors come from pg as they are: a DatabaseError, with its severity.)
      if (e instanceof DriverException || (typeof e === 'object' && e !== null && 'severity' in e)) {
        ctx.log.error('restore failed in the database', { runId: run.id, error: e });
        throw new AppError('BAD_USER_INPUT', `The backup cannot be restored: its rows do not fit this database (request ${ctx.requestId}; see the server log)`);
      }
      throw new AppError('BAD_USER_INPUT', `The backup cannot be restored: ${(e as Error).message}`);
    }
  }
}
