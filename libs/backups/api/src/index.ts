import { defineApiPlugin } from '@bulwark/platform-api';
import { backupsConfig } from './backups.config';
import { backupsCli } from './backups.cli';
import { BackupRun } from './backup-run.entity';
import { BackupSettings } from './backup-settings.entity';
import { Migration20261207000500Backups } from './backups.migration';
import { BackupAudit, BackupPermission } from './backups.audit';
import { BackupSchedule } from './backup-schedule.entity';
import { backupSchedulerTask } from './schedules';
import { backupJob } from './backup.job';
import { BackupResolver } from './backups.resolver';
import { backupRules } from './backups.rules';
import { BackupDownload } from './backup-download.entity';
import { BackupDownloadResolver } from './backups-download.resolver';
import { downloadRoute } from './backups-download.route';

/**
 * Backups of a tenant's data: streamed, encrypted, verified archives and all-or-nothing restores
 * (issue 5): per-tenant schedules checked by every API process, each due backup queued once as a
 * pg-boss job and run by one worker; AES-256-GCM or OpenPGP; local or S3 storage; one-time
 * download links to the stored files.
 */
export const backupsPlugin = defineApiPlugin({
  name: 'backups',
  // A restore writes in a transaction of its own and may take minutes on a large workspace.
  operations: { restoreBackup: { deadlineExempt: true } },
  permissions: [BackupPermission],
  auditActions: [BackupAudit],
  entities: [BackupRun, BackupSettings, BackupSchedule, BackupDownload],
  migrations: [{ name: 'Migration20261207000500Backups', class: Migration20261207000500Backups }],
  background: [backupSchedulerTask],
  // Every tenant is backed up daily from the start (the defaults in backup-schedule.entity.ts).
  tenantCreated: async (ctx) => void ctx.em.create(BackupSchedule, {}),
  jobs: [backupJob],
  resolvers: [BackupResolver, BackupDownloadResolver],
  rules: backupRules,
  routes: (router) => router.get('/download/:token', downloadRoute),
  cli: backupsCli,
  config: backupsConfig,
});

export { backupDeps, type BackupDeps, type Progress, type ReadOptions } from './backup.deps';
export { runBackup } from './backup-run.service';
export { restoreBackup, restoreTenant, restoreAsNewTenant, type RestoreRequest, type RestoreOutcome } from './restore.service';
export { verifyArchive, openArchive } from './backup-envelope.service';
export { backupSettings, setBackupEncryption } from './backup-settings.service';
export { BackupError, BackupErrorCodes, clientCodeOf, type BackupErrorCode } from './backups.errors';
export { BackupSettings, type BackupEncryption } from './backup-settings.entity';
export { localStorage, storageFor, type BackupStorage } from './storage';
export { fileStore, encryptFile, decryptFile, MAX_FILE_BYTES, type FileStore } from './file-store';
export { s3Storage, type S3Settings } from './s3-storage';
export { BackupRun } from './backup-run.entity';
export { BackupSchedule } from './backup-schedule.entity';
export { backupJob, queueBackup, type BackupJobData } from './backup.job';
export { schedulerTick, rotate, nextRuns, updateSchedule, backupSchedule } from './schedules';
export { BackupAudit, BackupPermission } from './backups.audit';
