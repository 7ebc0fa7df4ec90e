import { drained } from '@bulwark/platform-api';
import { createHash } from 'node:crypto';
import { PassThrough, Transform, type Readable, type Writable } from 'node:stream';
import { constants as zlib, createBrotliCompress, createBrotliDecompress, createGunzip } from 'node:zlib';

/**
 * Archives are compressed with Brotli at quality 1: as fast as PostgreSQL builds the rows, and
 * half the CPU of gzip level 1 for a smaller result, which leaves a core for the database on a
 * small machine. (`brotli -d` reads them; version 1 archives were gzip'd.)
 */
export function compressor() {
  return createBrotliCompress({ params: { [zlib.BROTLI_PARAM_QUALITY]: 1, [zlib.BROTLI_PARAM_LGWIN]: 22 } });
}

/**
 * Gzip (version 1 archives) or Brotli, told apart by the first bytes: gzip's magic is 1f 8b, and
 * a Brotli stream with a 22-bit window (what compressor() writes) starts with a byte whose low
 * four bits are 1011, so never with 0x1f.
 */
export function decompressor(input: Readable): Readable {
  const out = new PassThrough();
  let started = false;
  input.on('error', (e) => out.destroy(e));
  input.once('end', () => started || out.end()); // empty: the reader says so
  const start = () => {
    const first = input.read() as Buffer | null;
    if (first === null) return void input.once('readable', start);
    started = true;
    input.unshift(first);
    const z = first[0] === 0x1f && first[1] === 0x8b ? createGunzip() : createBrotliDecompress();
    z.on('error', (e) => out.destroy(e));
    input.pipe(z).pipe(out);
  };
  input.once('readable', start);
  return out;
}

/**
 * The archive's input. writeArchive waits for 'drain' when the pipe is full; when something past it
 * fails (storage, encryption, the verifier) the pipe never drains again, so `fail` destroys it and
 * makes every later write throw: writeArchive stops with that error instead of waiting for ever.
 */
export class ArchiveSink extends PassThrough {
  private failure: Error | null = null;
  fail(e: Error): void {
    if (this.failure) return;
    this.failure = e;
    this.destroy(e);
  }
  override write(chunk: unknown, encoding?: BufferEncoding | ((e?: Error | null) => void), cb?: (e?: Error | null) => void): boolean {
    if (this.failure) throw this.failure;
    return typeof encoding === 'function' ? super.write(chunk, encoding) : super.write(chunk, encoding as BufferEncoding, cb);
  }
}

/**
 * Passes bytes on unchanged while also writing them to `branch` (the verifier) and hashing them;
 * waits for the branch when it is full, so both sides go at the slower one's pace (flat memory).
 */
export function teeTo(branch: Writable): Transform & { sha256: () => string } {
  const hash = createHash('sha256');
  const t = new Transform({
    transform(chunk: Buffer, _e, cb) {
      hash.update(chunk);
      if (branch.destroyed) return cb(branch.errored ?? new Error('the archive verifier stopped'));
      if (branch.write(chunk)) return cb(null, chunk);
      void drained(branch).then(() => cb(null, chunk));
    },
    flush(cb) {
      branch.end();
      cb();
    },
  }) as Transform & { sha256: () => string };
  t.sha256 = () => hash.digest('hex');
  return t;
}

/**
 * Joins chunks into pieces of at least `size`. COPY sends about 14 KB at a time and Brotli answers
 * each with a few KB: unjoined, each piece is one more call into zlib and one more file write
 * through libuv's pool, which together cost the backup more CPU than hashing everything twice.
 */
function joiner(size = 256 * 1024) {
  let held: Buffer[] = [];
  let length = 0;
  const take = () => {
    const out = Buffer.concat(held, length);
    held = [];
    length = 0;
    return out;
  };
  return {
    /** The joined piece once `size` is reached, else undefined. */
    add(chunk: Buffer): Buffer | undefined {
      held.push(chunk);
      length += chunk.length;
      return length >= size ? take() : undefined;
    },
    rest: (): Buffer | undefined => (length ? take() : undefined),
  };
}

/** A pass-through that hands bytes on joined (see joiner). */
export function coalesce(): Transform {
  const j = joiner();
  return new Transform({
    transform: (chunk: Buffer, _e, cb) => cb(null, j.add(chunk)),
    flush: (cb) => cb(null, j.rest()),
  });
}

/** Byte counter and SHA-256 of what passes (the file as it sits in storage), passed on joined. */
export function tap(): Transform & { size: number; sha256: () => string } {
  const hash = createHash('sha256');
  const j = joiner();
  const t = Object.assign(
    new Transform({
      transform(chunk: Buffer, _e, cb) {
        hash.update(chunk);
        t.size += chunk.length;
        cb(null, j.add(chunk));
      },
      flush: (cb) => cb(null, j.rest()),
    }),
    { size: 0, sha256: () => hash.digest('hex') },
  );
  return t;
}

/**
 * Reads a stored object whole and hashes it: its size, SHA-256, and first `head` bytes (for checks
 * of the object's own header).
 */
export async function digestOf(stream: Readable, head = 0): Promise<{ size: number; sha256: string; head: Buffer }> {
  const hash = createHash('sha256');
  let size = 0;
  const first: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    hash.update(chunk);
    if (size < head) first.push(chunk);
    size += chunk.length;
  }
  return { size, sha256: hash.digest('hex'), head: Buffer.concat(first).subarray(0, head) };
}
