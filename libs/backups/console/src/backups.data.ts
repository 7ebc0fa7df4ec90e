import { gql, type Api, type ConsoleResource } from '@bulwark/platform-console';

export type RunStatus = 'queued' | 'running' | 'succeeded' | 'failed';

export type BackupRun = Omit<Api.BackupRun, 'status' | 'counts'> & { status: RunStatus; counts: Record<string, number> | null };
export type BackupSchedule = Api.BackupSchedule;
export type ScheduleInput = Api.BackupScheduleInput;
export type RestoreResult = Omit<Api.RestoreResult, 'counts'> & { counts: Record<string, number> };
/** `url` is one-time: GET it once within five minutes. */
export type BackupDownload = Api.BackupDownload;

export const AES = 'aes-256-gcm';
export const OPENPGP = 'openpgp';
/** A run in these states is still being written. */
export const ACTIVE: ReadonlySet<string> = new Set(['queued', 'running']);

const RUN_FIELDS = 'id status trigger encryption sizeBytes sha256 counts rows error createdAt finishedAt durationSeconds';
const SCHEDULE_FIELDS = 'cron timezone retentionCount enabled nextRuns encryption openpgpFingerprint storage';

const fetchRuns = async (limit = 50) => (await gql<{ backupRuns: BackupRun[] }>(`query($limit: Int) { backupRuns(limit: $limit) { ${RUN_FIELDS} } }`, { limit })).backupRuns;

/** The backups resource: the newest runs (as many as the page asks for), newest first. */
export const backupsData: ConsoleResource['data'] = {
  async getList(_r, { pagination }) {
    const runs = await fetchRuns(pagination?.perPage ?? 50);
    return { data: runs as never, total: runs.length };
  },
};

export const fetchSchedule = async () => (await gql<{ backupSchedule: BackupSchedule }>(`{ backupSchedule { ${SCHEDULE_FIELDS} } }`)).backupSchedule;

export const saveSchedule = async (input: ScheduleInput) =>
  (await gql<{ updateBackupSchedule: BackupSchedule }>(`mutation($input: BackupScheduleInput!) { updateBackupSchedule(input: $input) { ${SCHEDULE_FIELDS} } }`, { input })).updateBackupSchedule;

/** Needs a recent password confirmation: call inside withReauth. */
export const setEncryption = async (mode: string, publicKey: string | null) =>
  (await gql<{ setBackupEncryption: BackupSchedule }>(`mutation($input: BackupEncryptionInput!) { setBackupEncryption(input: $input) { ${SCHEDULE_FIELDS} } }`, { input: { mode, publicKey } }))
    .setBackupEncryption;

/** Starts a run after the answer; it shows in backupRuns a moment later. */
export const startBackup = async () => (await gql<{ runBackupNow: { id: string; status: string } }>(`mutation { runBackupNow { id status } }`)).runBackupNow;

/**
 * Needs backups.restore and a recent password confirmation: call inside withReauth. Over this
 * workspace (`confirm`: its slug typed), or into a new one (`newWorkspace`), which replaces nothing.
 */
export const restore = async (runId: string, dryRun: boolean, to: { confirm?: string; newWorkspace?: { slug: string; name: string } } = {}) =>
  (
    await gql<{ restoreBackup: RestoreResult }>(`mutation($input: RestoreInput!) { restoreBackup(input: $input) { dryRun rows counts backupCreatedAt schema newWorkspaceSlug } }`, {
      input: { runId, dryRun, confirm: to.confirm ?? null, newWorkspace: to.newWorkspace ?? null },
    })
  ).restoreBackup;

/** Needs backups.download and a recent password confirmation: pass to downloadOnce. */
export const prepareDownload = async (runId: string) =>
  (await gql<{ downloadBackup: BackupDownload }>(`mutation($runId: ID!) { downloadBackup(runId: $runId) { url expiresAt sizeBytes sha256 fileName } }`, { runId })).downloadBackup;
