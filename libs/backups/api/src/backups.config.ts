import { defineConfig, int } from '@bulwark/platform-api';
import { join, resolve } from 'node:path';
import type { S3Settings } from './s3-storage';

/** The backups feature's settings (README "Settings"). */
export const backupsConfig = defineConfig('backups', (env, kernel) => {
  const storage = (env.BULWARK_BACKUP_STORAGE || 'local') as 'local' | 's3';
  if (storage !== 'local' && storage !== 's3') throw new Error(`BULWARK_BACKUP_STORAGE is "local" or "s3", got "${storage}"`);
  if (storage === 's3' && !env.BULWARK_BACKUP_S3_BUCKET) throw new Error('BULWARK_BACKUP_S3_BUCKET must be set when BULWARK_BACKUP_STORAGE=s3');
  if ((env.BULWARK_BACKUP_S3_PREFIX ?? '').startsWith('/')) throw new Error('BULWARK_BACKUP_S3_PREFIX is relative (no leading /)');
  const s3: S3Settings | undefined =
    storage === 's3'
      ? {
          endpoint: env.BULWARK_BACKUP_S3_ENDPOINT || undefined,
          region: env.BULWARK_BACKUP_S3_REGION || 'us-east-1',
          bucket: env.BULWARK_BACKUP_S3_BUCKET as string,
          prefix: env.BULWARK_BACKUP_S3_PREFIX ?? 'bulwark/',
          accessKeyId: env.BULWARK_BACKUP_S3_ACCESS_KEY_ID || undefined,
          secretAccessKey: env.BULWARK_BACKUP_S3_SECRET_ACCESS_KEY || undefined,
          forcePathStyle: env.BULWARK_BACKUP_S3_PATH_STYLE === '1',
        }
      : undefined;
  return {
    /** Where local backups are stored (the default target), and where S3 uploads are spooled. */
    dir: resolve(env.BULWARK_BACKUP_DIR || join(kernel.dataDir, 'backups')),
    /** The local directory, or S3-compatible object storage (`s3`, with the settings in `s3`). */
    storage,
    s3,
    /** How often each API process looks for due backup schedules; 0 turns scheduling off there. */
    schedulerSeconds: int(env, 'BULWARK_BACKUP_SCHEDULER_SECONDS', 30, 0, 3600),
  };
});
