import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createReadStream, createWriteStream, mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { randomUUID } from 'node:crypto';
import type { BackupStorage } from './storage';

/**
 * Keys are `<tenant id>/<run id>.bwb` (archives) or `files/<tenant id>/<file id>` (files a
 * workspace keeps, such as ticket attachments: see file-store.ts).
 */
export const STORAGE_KEY = /^(?:[0-9a-f-]{36}\/[0-9a-f-]{36}\.bwb|files\/[0-9a-f-]{36}\/[0-9a-f-]{36})$/;

export interface S3Settings {
  endpoint?: string;
  region: string;
  bucket: string;
  /** Keys are `<prefix><tenant id>/<run id>.bwb`. */
  prefix: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  /** `https://host/bucket/key` rather than `https://bucket.host/key` (MinIO, s3rver, most on-premises). */
  forcePathStyle: boolean;
}


/**
 * S3-compatible object storage behind the same interface as the local directory. An archive is
 * spooled to a local temporary file first (its length must be known for a plain PUT; memory stays
 * flat), then uploaded in one PUT, which S3 makes visible all at once: there is never a partial
 * object under the final key.
 */
export function s3Storage(settings: S3Settings, spoolDir: string): BackupStorage {
  const client = new S3Client({
    region: settings.region,
    endpoint: settings.endpoint,
    forcePathStyle: settings.forcePathStyle,
    // The SDK's default (since 3.729) streams uploads as aws-chunked with trailing CRC32 checksums,
    // which many S3-compatible servers store verbatim; checksums only where S3 requires them. The
    // archive carries its own integrity (GCM tag, manifest hashes, SHA-256 in the run record).
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    credentials: settings.accessKeyId && settings.secretAccessKey ? { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey } : undefined,
  });
  const objectKey = (key: string) => {
    if (!STORAGE_KEY.test(key)) throw new Error(`not a backup key: ${key}`);
    return `${settings.prefix}${key}`;
  };
  return {
    name: 's3',
    async put(key, body) {
      mkdirSync(spoolDir, { recursive: true, mode: 0o700 });
      const spool = join(spoolDir, `${randomUUID()}.spool`);
      try {
        await pipeline(body, createWriteStream(spool, { mode: 0o600 }));
        const size = statSync(spool).size;
        await client.send(new PutObjectCommand({ Bucket: settings.bucket, Key: objectKey(key), Body: createReadStream(spool), ContentLength: size, ContentType: 'application/octet-stream' }));
        return { size };
      } finally {
        rmSync(spool, { force: true });
      }
    },
    get(key) {
      // A stream now, the request behind it: callers pipe it like a file stream.
      const out = new PassThrough();
      client
        .send(new GetObjectCommand({ Bucket: settings.bucket, Key: objectKey(key) }))
        .then((r) => {
          const body = r.Body as Readable;
          body.on('error', (e) => out.destroy(e));
          body.pipe(out);
        })
        .catch((e: Error) => out.destroy(e));
      return out;
    },
    async exists(key) {
      try {
        await client.send(new HeadObjectCommand({ Bucket: settings.bucket, Key: objectKey(key) }));
        return true;
      } catch (e) {
        if ((e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return false;
        throw e;
      }
    },
    async remove(key) {
      await client.send(new DeleteObjectCommand({ Bucket: settings.bucket, Key: objectKey(key) }));
    },
    async list(prefix) {
      if (!/^[0-9a-f-]{36}$/.test(prefix)) return [];
      const out: string[] = [];
      let token: string | undefined;
      do {
        const r = await client.send(new ListObjectsV2Command({ Bucket: settings.bucket, Prefix: `${settings.prefix}${prefix}/`, ContinuationToken: token }));
        for (const o of r.Contents ?? []) if (o.Key?.endsWith('.bwb')) out.push(o.Key.slice(settings.prefix.length));
        token = r.IsTruncated ? r.NextContinuationToken : undefined;
      } while (token);
      return out;
    },
    async listFiles() {
      const out: { key: string; modifiedAt: Date }[] = [];
      let token: string | undefined;
      do {
        const r = await client.send(new ListObjectsV2Command({ Bucket: settings.bucket, Prefix: `${settings.prefix}files/`, ContinuationToken: token }));
        for (const o of r.Contents ?? []) {
          const key = o.Key?.slice(settings.prefix.length);
          if (key && STORAGE_KEY.test(key)) out.push({ key, modifiedAt: o.LastModified ?? new Date(0) });
        }
        token = r.IsTruncated ? r.NextContinuationToken : undefined;
      } while (token);
      return out;
    },
  };
}
