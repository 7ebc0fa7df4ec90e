import { defineAuditActions, definePermissions } from '@bulwark/platform-api';

export const BackupPermission = definePermissions('backups', {
  read: { description: 'See backup runs and schedules', roles: ['admin', 'auditor'] },
  manage: { description: 'Run backups and change schedules', roles: ['admin'] },
  restore: { description: "Restore the workspace's data from a backup (with a recent password confirmation)", roles: [] },
  download: { description: 'Download backup files as stored (with a recent password confirmation)', roles: ['admin'] },
});

export const BackupAudit = defineAuditActions('backups', {
  backupSucceeded: { description: 'A backup was written and verified', target: 'BackupRun' },
  backupFailed: { description: 'A backup failed', target: 'BackupRun', alert: 'backupFailed' },
  scheduleChanged: { description: 'Changed the backup schedule', target: 'BackupSchedule', config: true },
  rotated: { description: 'Backups beyond the number to keep were deleted', target: 'BackupSchedule' },
  restored: { description: "The workspace's data was restored from a backup", target: 'BackupRun', config: true },
  downloaded: { description: 'Downloaded a backup file (a one-time link to it was made)', target: 'BackupRun', export: 'Backup downloaded' },
  copiedToNewTenant: { description: 'A backup was restored into a new workspace (a sandbox copy)', target: 'BackupRun', config: true },
  restoredAsNewTenant: { description: "This workspace was made from another workspace's backup", target: 'Tenant', config: true },
  encryptionChanged: { description: "How the workspace's backups are encrypted (AES-256-GCM or OpenPGP, and to which key) changed", target: 'BackupSettings', config: true },
});
