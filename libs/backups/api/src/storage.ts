import { createReadStream, createWriteStream, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import type { BulwarkConfig } from '@bulwark/platform-api';
import { s3Storage, STORAGE_KEY } from './s3-storage';
import { backupsConfig } from './backups.config';
import { pipeline } from 'node:stream/promises';

/**
 * Where archives go (issue 5 §5). One interface for every target: the local directory here (the
 * embedded default), S3-compatible storage next. `put` never leaves a half-written object under
 * its final key: it writes a temporary one and renames it once the stream has ended.
 */
export interface BackupStorage {
  readonly name: string;
  put(key: string, body: Readable): Promise<{ size: number }>;
  get(key: string): Readable;
  exists(key: string): Promise<boolean>;
  remove(key: string): Promise<void>;
  list(prefix: string): Promise<string[]>;
  /** Every file kept under `files/` (file-store.ts), with when it was written: for the orphan sweep. */
  listFiles(): Promise<{ key: string; modifiedAt: Date }[]>;
}

/** Keys: see STORAGE_KEY. No absolute paths, no `..`. */
function safe(root: string, key: string): string {
  if (!STORAGE_KEY.test(key)) throw new Error(`not a backup key: ${key}`);
  const path = resolve(root, key);
  if (!path.startsWith(resolve(root) + sep)) throw new Error(`not a backup key: ${key}`);
  return path;
}

/** The storage the configuration names (BULWARK_BACKUP_STORAGE). */
export function storageFor(config: BulwarkConfig): BackupStorage {
  const { storage, s3, dir } = backupsConfig.of(config);
  if (storage === 's3' && s3) return s3Storage(s3, join(dir, '.spool'));
  return localStorage(dir);
}

export function localStorage(root: string): BackupStorage {
  return {
    name: 'local',
    async put(key, body) {
      const path = safe(root, key);
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      const partial = `${path}.partial`;
      try {
        await pipeline(body, createWriteStream(partial, { mode: 0o600 }));
        renameSync(partial, path);
      } catch (e) {
        rmSync(partial, { force: true });
        throw e;
      }
      return { size: statSync(path).size };
    },
    get: (key) => createReadStream(safe(root, key)),
    exists: async (key) => existsSync(safe(root, key)),
    remove: async (key) => rmSync(safe(root, key), { force: true }),
    async list(prefix) {
      const dir = join(root, prefix);
      if (!/^[0-9a-f-]{36}$/.test(prefix) || !existsSync(dir)) return [];
      return readdirSync(dir)
        .filter((f) => f.endsWith('.bwb'))
        .map((f) => `${prefix}/${f}`);
    },
    async listFiles() {
      const base = join(root, 'files');
      if (!existsSync(base)) return [];
      const out: { key: string; modifiedAt: Date }[] = [];
      for (const tenant of readdirSync(base).filter((d) => /^[0-9a-f-]{36}$/.test(d))) {
        for (const f of readdirSync(join(base, tenant)).filter((x) => /^[0-9a-f-]{36}$/.test(x))) {
          out.push({ key: `files/${tenant}/${f}`, modifiedAt: statSync(join(base, tenant, f)).mtime });
        }
      }
      return out;
    },
  };
}
