import type { BulwarkConfig } from '@bulwark/platform-api';
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { storageFor, type BackupStorage } from './storage';

/**
 * Files a workspace keeps (ticket attachments), stored through the backups' storage driver (the
 * local directory or S3, whichever BULWARK_BACKUP_STORAGE names) under `files/<tenant>/<id>`,
 * encrypted at rest: AES-256-GCM under a key derived from the master key for this one purpose,
 * the file's key authenticated with it, so a file copied under another key (another tenant's) does
 * not open. Files are small (a tenant's limit, at most MAX_FILE_BYTES), so each is one buffer.
 *
 * Convention the backups rely on: a tenant table whose rows own a file has a `storage_key` column
 * equal to `<tenant_id>/<id>` of the row (a generated column), so backups carry the files of the
 * rows they carry and a restore (into a copy too, whose ids change) puts them back under its rows.
 */
export interface FileStore {
  put(storageKey: string, content: Buffer): Promise<void>;
  read(storageKey: string): Promise<Buffer>;
  /** The file, or null when the storage has none under this key (removed by a sweep meanwhile). */
  readIfExists(storageKey: string): Promise<Buffer | null>;
  exists(storageKey: string): Promise<boolean>;
  /** Every stored file (`<tenant>/<id>`) and when it was written. */
  list(): Promise<{ storageKey: string; modifiedAt: Date }[]>;
  remove(storageKey: string): Promise<void>;
}

/** The largest file any tenant may keep (a tenant's own limit is at most this). */
export const MAX_FILE_BYTES = 50 * 1024 * 1024;

const MAGIC = Buffer.from('bwf1');
const PURPOSE = 'files at rest';

const keyOf = (masterKey: string) => Buffer.from(hkdfSync('sha256', masterKey, 'bulwark', PURPOSE, 32));
const objectKey = (storageKey: string) => {
  if (!/^[0-9a-f-]{36}\/[0-9a-f-]{36}$/.test(storageKey)) throw new Error(`not a file key: ${storageKey}`);
  return `files/${storageKey}`;
};

export function encryptFile(masterKey: string, storageKey: string, plain: Buffer): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyOf(masterKey), iv);
  cipher.setAAD(Buffer.from(storageKey));
  const ct = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([MAGIC, iv, cipher.getAuthTag(), ct]);
}

/** Tries the master key, then the one before a rotation. */
export function decryptFile(keys: (string | undefined)[], storageKey: string, sealed: Buffer): Buffer {
  if (!sealed.subarray(0, 4).equals(MAGIC)) throw new Error('not a stored file');
  let last: unknown = new Error('no key to open the file with');
  for (const k of keys) {
    if (!k) continue;
    try {
      const d = createDecipheriv('aes-256-gcm', keyOf(k), sealed.subarray(4, 16));
      d.setAAD(Buffer.from(storageKey));
      d.setAuthTag(sealed.subarray(16, 32));
      return Buffer.concat([d.update(sealed.subarray(32)), d.final()]);
    } catch (e) {
      last = e;
    }
  }
  throw last;
}

async function collect(stream: Readable, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) throw new Error('stored file larger than any file kept');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** "No such file": a local ENOENT, or S3's NoSuchKey / 404. */
function isMissing(e: unknown): boolean {
  const x = e as { code?: string; name?: string; $metadata?: { httpStatusCode?: number } };
  return x?.code === 'ENOENT' || x?.name === 'NoSuchKey' || x?.$metadata?.httpStatusCode === 404;
}

/** The file store over a storage driver (tests pass a local one); default: the configured one. */
export function fileStore(config: BulwarkConfig, storage: BackupStorage = storageFor(config)): FileStore {
  const keys = [config.masterKey, config.masterKeyPrevious];
  const read = async (storageKey: string) => decryptFile(keys, storageKey, await collect(storage.get(objectKey(storageKey)), MAX_FILE_BYTES + 64));
  return {
    async put(storageKey, content) {
      await storage.put(objectKey(storageKey), Readable.from([encryptFile(config.masterKey, storageKey, content)]));
    },
    read,
    async readIfExists(storageKey) {
      try {
        return await read(storageKey);
      } catch (e) {
        if (isMissing(e)) return null;
        throw e;
      }
    },
    exists: (storageKey) => storage.exists(objectKey(storageKey)),
    list: async () => (await storage.listFiles()).map((f) => ({ storageKey: f.key.slice('files/'.length), modifiedAt: f.modifiedAt })),
    async remove(storageKey) {
      await storage.remove(objectKey(storageKey));
    },
  };
}
