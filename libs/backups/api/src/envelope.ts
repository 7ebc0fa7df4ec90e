import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes, type DecipherGCM } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { BackupError } from './backups.errors';

/**
 * AES-256-GCM envelope for backup archives (issue 5 §4). Each backup gets its own random data
 * key; the key is wrapped (AES-256-GCM) under a key-encryption key derived from the platform
 * master key, and the wrapped key travels in the file's header. Layout:
 *
 *   one JSON line  {"format":"bulwark-backup-envelope","version":1,"alg":"aes-256-gcm",
 *                   "kek":<id of the wrapping key>,"wrapped":<b64>,"iv":<b64>}
 *   ciphertext     the compressed archive
 *   16 bytes       the GCM tag (so any flipped byte fails decryption)
 *
 * Rotating the master key: keep the old one in BULWARK_MASTER_KEY_PREVIOUS while new backups are
 * written under the new one; the header's `kek` id says which one unwraps a file.
 */
const MAGIC = 'bulwark-backup-envelope';

export function kekFrom(masterKey: string): { id: string; key: Buffer } {
  const key = Buffer.from(hkdfSync('sha256', masterKey, 'bulwark', 'backup-key-wrap', 32));
  return { id: createHash('sha256').update(key).digest('hex').slice(0, 16), key };
}

function wrap(kek: Buffer, dataKey: Buffer): string {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', kek, iv);
  const ct = Buffer.concat([c.update(dataKey), c.final()]);
  return Buffer.concat([iv, c.getAuthTag(), ct]).toString('base64');
}

function unwrap(kek: Buffer, wrapped: string): Buffer {
  const raw = Buffer.from(wrapped, 'base64');
  const d = createDecipheriv('aes-256-gcm', kek, raw.subarray(0, 12));
  d.setAuthTag(raw.subarray(12, 28));
  return Buffer.concat([d.update(raw.subarray(28)), d.final()]);
}

/** Encrypts a stream: header line, ciphertext, tag. */
export function encryptStream(masterKey: string): Transform {
  const kek = kekFrom(masterKey);
  const dataKey = randomBytes(32);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', dataKey, iv);
  const header = JSON.stringify({ format: MAGIC, version: 1, alg: 'aes-256-gcm', kek: kek.id, wrapped: wrap(kek.key, dataKey), iv: iv.toString('base64') }) + '\n';
  let started = false;
  return new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      if (!started) {
        started = true;
        this.push(header);
      }
      cb(null, cipher.update(chunk));
    },
    flush(cb: TransformCallback) {
      if (!started) this.push(header);
      this.push(cipher.final());
      this.push(cipher.getAuthTag());
      cb();
    },
  });
}

/** What a reader is told when handed a backup of a workspace in OpenPGP mode (see openpgp.ts). */
export const OPENPGP_HINT =
  "this is an OpenPGP backup, encrypted to the workspace's own key: the server cannot decrypt it. Decrypt it with that key (gpg --decrypt) and pass the decrypted file as not encrypted";

/**
 * Decrypts what encryptStream wrote. The last 16 bytes are held back as the tag; a wrong key, a
 * flipped byte or a truncated file fails at the end (`final`), so a reader must treat everything
 * as unverified until the stream ends without error.
 */
export function decryptStream(masterKeys: string[]): Transform {
  let header: Buffer | null = Buffer.alloc(0);
  let decipher: DecipherGCM | null = null;
  let tail = Buffer.alloc(0);
  return new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      try {
        if (header) {
          header = Buffer.concat([header, chunk]);
          // An OpenPGP message starts with a packet tag (high bit set); this envelope with `{`.
          if (header.length && header[0] & 0x80) throw new BackupError('ARCHIVE_OPENPGP', OPENPGP_HINT);
          const nl = header.indexOf(0x0a);
          if (nl < 0) {
            if (header.length > 4096) throw new BackupError('ARCHIVE_INVALID', 'not a Bulwark backup (no envelope header)');
            return cb();
          }
          let h: { format?: string; version?: number; alg?: string; kek?: string; wrapped?: string; iv?: string };
          try {
            h = JSON.parse(header.subarray(0, nl).toString('utf8'));
          } catch {
            throw new BackupError('ARCHIVE_INVALID', 'not a Bulwark backup (bad envelope header)');
          }
          if (h.format !== MAGIC || h.alg !== 'aes-256-gcm' || !h.wrapped || !h.iv) throw new BackupError('ARCHIVE_INVALID', 'not a Bulwark AES-256-GCM backup');
          if (h.version !== 1) throw new BackupError('ARCHIVE_SCHEMA_UNKNOWN', `envelope version ${h.version} is newer than this server reads`);
          const kek = masterKeys.map(kekFrom).find((k) => k.id === h.kek);
          if (!kek) throw new BackupError('KEY_UNAVAILABLE', 'this backup was encrypted under a master key this server does not have');
          decipher = createDecipheriv('aes-256-gcm', unwrap(kek.key, h.wrapped), Buffer.from(h.iv, 'base64'));
          chunk = header.subarray(nl + 1);
          header = null;
        }
        const all = Buffer.concat([tail, chunk]);
        const keep = Math.min(16, all.length);
        tail = all.subarray(all.length - keep);
        const body = all.subarray(0, all.length - keep);
        cb(null, body.length ? (decipher as NonNullable<typeof decipher>).update(body) : undefined);
      } catch (e) {
        cb(e as Error);
      }
    },
    flush(cb: TransformCallback) {
      try {
        if (!decipher || tail.length !== 16) throw new BackupError('ARCHIVE_INVALID', 'the backup is truncated');
        decipher.setAuthTag(tail);
        this.push(decipher.final());
        cb();
      } catch (e) {
        cb(e instanceof BackupError ? e : new BackupError('ARCHIVE_INVALID', 'the backup does not decrypt: it was altered, truncated or made with another key'));
      }
    },
  });
}
