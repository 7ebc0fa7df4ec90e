import { can, reachable } from '@bulwark/platform-api';
import { BackupPermission as P } from './backups.audit';

export const backupRules = {
  Query: { backupRuns: can(P.read), backupSchedule: can(P.read) },
  Mutation: {
    updateBackupSchedule: can(P.manage),
    setBackupEncryption: can(P.manage),
    runBackupNow: can(P.manage),
    restoreBackup: can(P.restore),
    downloadBackup: can(P.download),
  },
  BackupRun: reachable,
  BackupSchedule: reachable,
  RestoreResult: reachable,
  BackupDownload: reachable,
};
