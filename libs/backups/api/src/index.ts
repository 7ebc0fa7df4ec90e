import { defineApiPlugin } from '@bulwark/platform-api';
import { BackupRun } from './backup-run.entity';
import { BackupSettings } from './backup-settings.entity';
import { Migration20261121001400Backups } from './backups.migration';
import { Migration20261121001500BackupKeys } from './backup-settings.migration';
import { BackupAudit, BackupPermission } from './backups.audit';

/**
 * Backups of a tenant's data: streamed, encrypted, verified archives and all-or-nothing restores
 * (issue 5). This first part runs from the CLI; schedules, S3, OpenPGP and the console follow.
 */
export const backupsPlugin = defineApiPlugin({
  name: 'backups',
  permissions: [BackupPermission],
  auditActions: [BackupAudit],
  entities: [BackupRun, BackupSettings],
  migrations: [
    { name: 'Migration20261121001400Backups', class: Migration20261121001400Backups },
    { name: 'Migration20261121001500BackupKeys', class: Migration20261121001500BackupKeys },
  ],
});

export {
  runBackup,
  restoreTenant,
  verifyArchive,
  openArchive,
  backupSettings,
  setBackupEncryption,
  type BackupDeps,
  type Progress,
  type ReadOptions,
} from './backup.service';
export { BackupSettings, type BackupEncryption } from './backup-settings.entity';
export { localStorage, storageFor, type BackupStorage } from './storage';
export { s3Storage, type S3Settings } from './s3-storage';
export { BackupRun } from './backup-run.entity';
export { BackupAudit, BackupPermission } from './backups.audit';
