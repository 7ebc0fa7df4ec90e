import { audit, badInput, drained, setTenant, withSystemContext, type AppServices, type AuditOptions, type RequestContext } from '@bulwark/platform-api';
import { IsolationLevel, type MikroORM } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { createHash, randomUUID } from 'node:crypto';
import { insertTenant, rebindTotpSecret } from '@bulwark/identity-api';
import { PassThrough, Transform, type Readable, type Writable } from 'node:stream';
import { constants as zlib, createBrotliCompress, createBrotliDecompress, createGunzip } from 'node:zlib';
import { columnsOf, quoteIdent, readArchive, tenantTablesInOrder, writeArchive, type ArchiveHeader, type Manifest } from './archive';
import { BackupAudit } from './backups.audit';
import { BackupRun } from './backup-run.entity';
import { BACKUP_ENCRYPTIONS, BackupSettings, type BackupEncryption } from './backup-settings.entity';
import { decryptStream, encryptStream } from './envelope';
import { BackupKeyError, encryptToKey, keyIdsOf, readBackupKey, recipientsOf, type BackupKey } from './openpgp';
import type { BackupStorage } from './storage';

/** A fresh entity manager of its own, whether given the ORM or a request's manager. */
export function forkOf(orm: MikroORM | EntityManager): EntityManager {
  return ('em' in orm ? orm.em : orm).fork({ clear: true }) as EntityManager;
}

export interface BackupDeps {
  /** The ORM, or a request's entity manager to fork (a backup started from the API). */
  orm: MikroORM | EntityManager;
  app: AppServices;
  storage: BackupStorage;
  /** Every migration this server knows, oldest first; the last names the archive's schema. */
  schemas: string[];
}

export type Progress = (what: { phase: string; table?: string; rows: number; bytes: number }) => void;

/** A run still "running" this long after it started was cut off (a crash): it is marked failed. */
const STALE_MS = 60 * 60_000;

function masterKeys(app: AppServices): string[] {
  return [app.config.masterKey, ...(app.config.masterKeyPrevious ? [app.config.masterKeyPrevious] : [])];
}

export interface ReadOptions {
  /**
   * `false`: the input is the compressed archive itself, already decrypted by whoever holds the
   * key — an OpenPGP backup after `gpg --decrypt` (the server has no private key to do it).
   * Nothing is then authenticated by the envelope; the manifest (every stream's row count and
   * SHA-256) is still checked in full before anything is trusted. Default `true` (AES envelope).
   */
  encrypted?: boolean;
}

/**
 * Archives are compressed with Brotli at quality 1: as fast as PostgreSQL builds the rows, and
 * half the CPU of gzip level 1 for a smaller result, which leaves a core for the database on a
 * small machine. (`brotli -d` reads them; version 1 archives were gzip'd.)
 */
function compressor() {
  return createBrotliCompress({ params: { [zlib.BROTLI_PARAM_QUALITY]: 1, [zlib.BROTLI_PARAM_LGWIN]: 22 } });
}

/**
 * Gzip (version 1 archives) or Brotli, told apart by the first bytes: gzip's magic is 1f 8b, and
 * a Brotli stream with a 22-bit window (what compressor() writes) starts with a byte whose low
 * four bits are 1011, so never with 0x1f.
 */
function decompressor(input: Readable): Readable {
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

/** Decrypts (unless told the input is already decrypted), decompresses and reads an archive. */
export function openArchive(app: AppServices, input: Readable, opts: ReadOptions = {}): Readable {
  if (opts.encrypted === false) return decompressor(input);
  const plain = input.pipe(decryptStream(masterKeys(app)));
  input.on('error', (e) => plain.destroy(e));
  return decompressor(plain);
}

/** Reads a whole archive and checks it against its manifest: the header and manifest, or an error. */
export async function verifyArchive(deps: Pick<BackupDeps, 'app' | 'schemas'>, input: Readable, opts: ReadOptions = {}): Promise<{ header: ArchiveHeader; manifest: Manifest }> {
  try {
    return await readArchive(openArchive(deps.app, input, opts), { knownSchemas: deps.schemas });
  } catch (e) {
    // zlib's own words ("invalid distance too far back", "Decompression failed") mean a damaged
    // or altered file.
    if (/^(Z_|ERR_BROTLI)/.test(String((e as NodeJS.ErrnoException).code ?? ''))) throw new Error(`the backup is damaged or altered (${(e as Error).message})`);
    throw e;
  }
}

/** The tenant's backup settings (the default when it never changed them). */
export async function backupSettings(ctx: RequestContext): Promise<BackupSettings> {
  return (await ctx.em.findOne(BackupSettings, {})) ?? ctx.em.create(BackupSettings, { updatedAt: ctx.app.now() });
}

/**
 * Chooses how the tenant's backups are encrypted (issue 5 §4; SECURITY.md G3). `openpgp` needs an
 * armored public key, checked here (one key, public, not revoked or expired, able to encrypt) and
 * stored re-armored with its fingerprint; `aes-256-gcm` forgets any stored key. Takes effect from
 * the next backup; earlier ones keep the encryption they were written with. Who may call this is
 * the caller's rule (backups.manage, with a recent password confirmation for people).
 */
export async function setBackupEncryption(ctx: RequestContext, input: { mode: string; publicKeyArmored?: string | null }): Promise<BackupSettings> {
  if (!(BACKUP_ENCRYPTIONS as readonly string[]).includes(input.mode)) {
    throw badInput(`Backups are encrypted with ${BACKUP_ENCRYPTIONS.join(' or ')}`, { mode: 'unknown' });
  }
  const mode = input.mode as BackupEncryption;
  let key: BackupKey | null = null;
  if (mode === 'openpgp') {
    if (!input.publicKeyArmored?.trim()) throw badInput('OpenPGP mode needs the public key to encrypt to', { publicKey: 'missing' });
    try {
      key = await readBackupKey(input.publicKeyArmored, ctx.app.now());
    } catch (e) {
      if (e instanceof BackupKeyError) throw badInput(e.message, { publicKey: 'unusable' });
      throw e;
    }
  } else if (input.publicKeyArmored?.trim()) {
    throw badInput('A public key is only used in OpenPGP mode', { publicKey: 'not used' });
  }
  const s = await backupSettings(ctx);
  // The key itself appears in the event as its SHA-256: the same fingerprint can come with new
  // subkeys or a new expiry, which is a change too.
  const digest = (armored?: string | null) => (armored ? createHash('sha256').update(armored).digest('hex') : null);
  const before = { encryption: s.encryption, openpgpFingerprint: s.openpgpFingerprint ?? null, openpgpPublicKeySha256: digest(s.openpgpPublicKey) };
  const after = { encryption: mode, openpgpFingerprint: key?.fingerprint ?? null, openpgpPublicKeySha256: digest(key?.armored) };
  const changes = Object.fromEntries(
    (Object.keys(after) as (keyof typeof after)[]).filter((k) => before[k] !== after[k]).map((k) => [k, { before: before[k], after: after[k] }]),
  );
  if (Object.keys(changes).length) {
    s.encryption = mode;
    s.openpgpPublicKey = key?.armored ?? null;
    s.openpgpFingerprint = key?.fingerprint ?? null;
    s.updatedAt = ctx.app.now();
    audit(ctx, BackupAudit.encryptionChanged, { targetId: s.id, changes });
  }
  await ctx.em.flush();
  return s;
}

/** How one backup is encrypted, decided when its run starts. */
type Envelope = { kind: 'aes-256-gcm' } | { kind: 'openpgp'; key: BackupKey };

/**
 * Backs a tenant up (SECURITY.md G1): archive from one consistent snapshot → Brotli → AES-256-GCM
 * (or OpenPGP to the tenant's key, G3) → storage, then checks the stored object against the
 * manifest (for OpenPGP, what can be checked without the private key: see below); only then is
 * the run "succeeded". Any failure leaves a failed run (and no object under its key), an audit
 * event and, through the alert rules, an alert. The run records which encryption it used.
 */
export async function runBackup(
  deps: BackupDeps,
  tenantId: string,
  trigger: BackupRun['trigger'],
  opts: { progress?: Progress; runId?: string } = {},
): Promise<BackupRun> {
  const { orm, app, storage } = deps;
  const { progress } = opts;
  const started = await withSystemContext(orm, app, tenantId, 'backup', async (ctx) => {
    const now = ctx.app.now();
    const cutoff = new Date(now.getTime() - STALE_MS);
    for (const stale of await ctx.em.find(BackupRun, { $or: [{ status: 'running', startedAt: { $lt: cutoff } }, { status: 'queued', createdAt: { $lt: cutoff } }] })) {
      stale.error = stale.status === 'running' ? 'interrupted (the process stopped while it ran)' : 'never started (no worker took it)';
      stale.status = 'failed';
      stale.finishedAt = now;
    }
    const settings = await ctx.em.findOne(BackupSettings, {});
    const encryption = settings?.encryption ?? 'aes-256-gcm';
    const publicKey = encryption === 'openpgp' ? (settings?.openpgpPublicKey ?? '') : null;
    if (!opts.runId) return { run: ctx.em.create(BackupRun, { status: 'running', trigger, encryption, createdAt: now, startedAt: now }), publicKey };
    // A queued run (a job): taken only if still queued, so a job delivered twice runs once.
    const taken = await ctx.em.nativeUpdate(BackupRun, { id: opts.runId, status: 'queued' }, { status: 'running', encryption, startedAt: now });
    return taken ? { run: await ctx.em.findOneOrFail(BackupRun, { id: opts.runId }), publicKey } : null;
  });
  if (!started) return withSystemContext(orm, app, tenantId, 'backup', (ctx) => ctx.em.findOneOrFail(BackupRun, { id: opts.runId as string }));
  const { run, publicKey } = started;
  const key = `${tenantId}/${run.id}.bwb`;
  try {
    const envelope: Envelope = publicKey === null ? { kind: 'aes-256-gcm' } : { kind: 'openpgp', key: await backupKey(publicKey, app.now()) };
    const written = await writeToStorage(deps, tenantId, key, envelope, progress);
    progress?.({ phase: 'verifying', rows: written.rows, bytes: written.size });
    if (envelope.kind === 'aes-256-gcm') {
      // G1 for the AES envelope: the manifest was computed from the very bytes written, and the
      // GCM tag seals them; what remains is that storage holds exactly those bytes, whole. The
      // stored object is read back and its size and SHA-256 compared with what was written (a
      // full decrypt-and-parse would double the run's time and prove nothing more).
      await checkStored(storage.get(key), written);
    } else {
      // G1 for OpenPGP. The server has no private key, so it cannot decrypt what it stored and
      // read it back as it does for the AES envelope. Instead it checks what it can, on both sides
      // of the encryption:
      //  - before: the compressed bytes handed to openpgp.encrypt were teed, as they went in, through
      //    decompression and readArchive (format, version, schema, every stream's count and SHA-256 against
      //    the manifest); that reading must match the manifest writeArchive produced. So the bytes
      //    that were encrypted are exactly a valid archive — not a re-reading of the database.
      //  - after: the stored object is read back whole; its size and SHA-256 must equal what the
      //    encryption produced (storage holds exactly that output, untruncated), and it must be an
      //    OpenPGP message encrypted to the tenant's key (no other key, not plaintext).
      // What is left unproven (that the tenant's private key decrypts it) is the tenant's to
      // check, with gpg; the plaintext's SHA-256 in the audit event lets them compare.
      const plaintext = written.plaintext as NonNullable<typeof written.plaintext>;
      if (JSON.stringify(plaintext.manifest) !== JSON.stringify(written.manifest)) throw new Error('the archive does not read back as written');
      await checkStoredOpenPgp(storage.get(key), written, envelope.key);
    }
    return await withSystemContext(orm, app, tenantId, 'backup', async (ctx) => {
      const r = await ctx.em.findOneOrFail(BackupRun, { id: run.id });
      Object.assign(r, { status: 'succeeded', storageKey: key, sizeBytes: String(written.size), sha256: written.sha256, counts: written.manifest.counts, finishedAt: ctx.app.now() });
      const pgp = envelope.kind === 'openpgp' ? { fingerprint: envelope.key.fingerprint, plaintextSha256: written.plaintext?.sha256 } : {};
      audit(ctx, BackupAudit.backupSucceeded, { targetId: r.id, details: { rows: written.rows, bytes: written.size, sha256: written.sha256, trigger, encryption: envelope.kind, ...pgp } });
      return r;
    });
  } catch (error) {
    await storage.remove(key).catch(() => undefined);
    // Shown to admins and auditors: no server paths (the log has the full error).
    const message = (error as Error).message.replace(/(?:[A-Za-z]:)?\/[^\s'",)]+/g, '[path]').slice(0, 500);
    app.log.error('backup failed', { tenantId, runId: run.id, error });
    await withSystemContext(orm, app, tenantId, 'backup', async (ctx) => {
      const r = await ctx.em.findOneOrFail(BackupRun, { id: run.id });
      Object.assign(r, { status: 'failed', error: message, finishedAt: ctx.app.now() });
      audit(ctx, BackupAudit.backupFailed, { targetId: r.id, outcome: 'failure', details: { error: message, trigger } });
    });
    throw error;
  }
}

/** The tenant's key as stored, checked again now: it may have expired or been revoked since. */
async function backupKey(armored: string, now: Date): Promise<BackupKey> {
  try {
    return await readBackupKey(armored, now);
  } catch (e) {
    if (e instanceof BackupKeyError) throw new Error(`the tenant's OpenPGP backup key cannot be used: ${e.message}; upload a new one`);
    throw e;
  }
}

/**
 * Reads a stored object back: it must be exactly what was written (size and SHA-256). Returns its
 * first `head` bytes, for checks of the object's own header.
 */
async function checkStored(stored: Readable, written: { size: number; sha256: string }, head = 0): Promise<Buffer> {
  const hash = createHash('sha256');
  let size = 0;
  const first: Buffer[] = [];
  for await (const chunk of stored as AsyncIterable<Buffer>) {
    hash.update(chunk);
    if (size < head) first.push(chunk);
    size += chunk.length;
  }
  if (size !== written.size || hash.digest('hex') !== written.sha256) throw new Error('the stored backup is not what was written (size or SHA-256 differs)');
  return Buffer.concat(first).subarray(0, head);
}

/** The session key packets sit at the start of the message; this much always holds them. */
const OPENPGP_HEAD = 64 * 1024;

/** See runBackup: what can be checked of a stored OpenPGP backup without its private key. */
async function checkStoredOpenPgp(stored: Readable, written: { size: number; sha256: string }, key: BackupKey): Promise<void> {
  const head = await checkStored(stored, written, OPENPGP_HEAD);
  let recipients: string[];
  try {
    recipients = await recipientsOf(head);
  } catch {
    throw new Error('the stored backup is not an OpenPGP message');
  }
  const ours = new Set(keyIdsOf(key.key));
  if (!recipients.length || !recipients.every((id) => ours.has(id))) throw new Error("the stored backup is not encrypted to the tenant's key alone");
}

/**
 * The archive's input. writeArchive waits for 'drain' when the pipe is full; when something past it
 * fails (storage, encryption, the verifier) the pipe never drains again, so `fail` destroys it and
 * makes every later write throw: writeArchive stops with that error instead of waiting for ever.
 */
class ArchiveSink extends PassThrough {
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
function teeTo(branch: Writable): Transform & { sha256: () => string } {
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
function coalesce(): Transform {
  const j = joiner();
  return new Transform({
    transform: (chunk: Buffer, _e, cb) => cb(null, j.add(chunk)),
    flush: (cb) => cb(null, j.rest()),
  });
}

/** Byte counter and SHA-256 of what is stored (the file as it sits in storage), passed on joined. */
function tap(): Transform & { size: number; sha256: () => string } {
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

async function writeToStorage(deps: BackupDeps, tenantId: string, key: string, envelope: Envelope, progress?: Progress) {
  const { orm, app, storage, schemas } = deps;
  // One snapshot: every table read in the same REPEATABLE READ transaction, under the tenant's RLS.
  const em = forkOf(orm);
  await em.begin({ isolationLevel: IsolationLevel.REPEATABLE_READ, readOnly: true });
  try {
    const conn = em.getConnection();
    const trx = em.getTransactionContext();
    await setTenant(em, tenantId);
    await conn.execute(`select set_config('statement_timeout', '0', true)`, [], 'get', trx);
    // A large tenant's tables are read by a parallel plan: PostgreSQL building the rows' JSON is
    // most of a backup's time, and its workers share it. Small tables stay serial (the planner's
    // min_parallel_table_scan_size); bulwark_tenant_id() is parallel safe (platform migration 001700).
    await conn.execute(
      `select set_config('max_parallel_workers_per_gather', '2', true), set_config('parallel_setup_cost', '0', true), set_config('parallel_tuple_cost', '0', true)`,
      [],
      'get',
      trx,
    );
    const raw = new ArchiveSink();
    const zip = compressor();
    const t = tap();
    // What fails reaches us through `stored` (or writeArchive); this keeps a destroyed chain whose
    // end storage never read (a refused put) from raising an unhandled 'error'.
    t.on('error', () => undefined);
    const joined = coalesce();
    raw.on('error', (e) => joined.destroy(e));
    joined.on('error', (e) => zip.destroy(e));
    raw.pipe(joined).pipe(zip);
    let stored: Promise<{ size: number }>;
    let plaintext: { verified: Promise<{ manifest: Manifest }>; tee: ReturnType<typeof teeTo> } | null = null;
    if (envelope.kind === 'aes-256-gcm') {
      const enc = encryptStream(app.config.masterKey);
      zip.on('error', (e) => enc.destroy(e));
      enc.on('error', (e) => t.destroy(e));
      stored = storage.put(key, zip.pipe(enc).pipe(t));
    } else {
      // G1 for OpenPGP (see runBackup): the compressed bytes are teed, on their way into the
      // encryption, through decompression and readArchive, which checks them against the manifest as
      // they pass. The verifier and the encryption read the same chunks at the same pace.
      const toVerifier = new PassThrough();
      const unzip = createBrotliDecompress();
      toVerifier.on('error', (e) => unzip.destroy(e));
      const verified = readArchive(toVerifier.pipe(unzip), { knownSchemas: schemas }).catch((e: Error) => {
        throw new Error(`the archive did not verify on its way into the encryption: ${e.message}`);
      });
      const tee = teeTo(toVerifier);
      zip.on('error', (e) => tee.destroy(e));
      tee.on('error', (e) => toVerifier.destroy(e));
      verified.catch((e: Error) => {
        toVerifier.destroy(e);
        raw.fail(e);
      });
      plaintext = { verified, tee };
      stored = (async () => {
        const enc = await encryptToKey(zip.pipe(tee), envelope.key.key, app.now());
        enc.on('error', (e) => t.destroy(e));
        return storage.put(key, enc.pipe(t));
      })();
    }
    // Whatever fails past the archive's input ends the writing too (instead of a stalled pipe).
    stored.catch((e: Error) => raw.fail(e));
    let written: { manifest: Manifest; rows: number };
    try {
      written = await writeArchive(em, tenantId, schemas[schemas.length - 1], app.now(), raw, (table, rows, bytes) => progress?.({ phase: 'writing', table, rows, bytes }));
      raw.end();
    } catch (e) {
      // Also when the failure came from downstream: `fail` handed writeArchive that very error.
      raw.fail(e as Error);
      await Promise.all([stored.catch(() => undefined), plaintext?.verified.catch(() => undefined)]);
      throw e;
    }
    const { size } = await stored;
    const check = plaintext && { manifest: (await plaintext.verified).manifest, sha256: plaintext.tee.sha256() };
    return { ...written, size, sha256: t.sha256(), plaintext: check };
  } finally {
    await em.rollback().catch(() => undefined); // read-only: nothing to keep
  }
}

/**
 * Restores a tenant from an archive (issue 5 §7; SECURITY.md G2): every table of the archive is
 * emptied and refilled with the archived rows, ids preserved, in one transaction that commits only
 * if the whole archive verified (decryption tag, manifest counts and hashes, schema). A dry run
 * reads and checks everything and touches nothing. Deleting people also ends their sessions and
 * API tokens (not part of a backup). Returns the manifest. An OpenPGP backup is restored from its
 * decrypted file (`gpg --decrypt`), passed with `encrypted: false`.
 */
export async function restoreTenant(
  deps: BackupDeps,
  tenantId: string,
  input: Readable,
  opts: { dryRun?: boolean; runId?: string | null; progress?: Progress; actor?: AuditOptions['actor'] } & ReadOptions = {},
): Promise<{ header: ArchiveHeader; manifest: Manifest; rows: number }> {
  const { orm, app } = deps;
  if (opts.dryRun) {
    const r = await verifyArchive(deps, input, opts);
    if (r.header.tenantId !== tenantId) throw new Error('this archive belongs to another tenant');
    return { ...r, rows: Object.values(r.manifest.counts).reduce((a, b) => a + b, 0) };
  }
  return withSystemContext(orm, app, tenantId, 'restore', async (ctx) => {
    const result = await fillFromArchive(ctx, deps, input, opts, {
      archiveOf: tenantId,
      // Children first, so no foreign key is left dangling. Raw SQL: tables from the catalog,
      // quoted, the tenant named and enforced by RLS (the context's tenant).
      prepare: async (tables, run) => {
        for (const t of [...tables].reverse()) await run(`delete from "${t}" where tenant_id = ?`, [tenantId]);
      },
    });
    audit(ctx, BackupAudit.restored, { actor: opts.actor, targetId: opts.runId ?? null, details: { rows: result.rows, createdAt: result.header.createdAt, schema: result.header.schema } });
    return result;
  });
}

/**
 * Restores a tenant's archive into a new tenant (a sandbox copy; issue 5 §7), leaving the source
 * untouched: the tenant row is created with the slug and name given, and every archived row is
 * inserted with the new tenant's id. Ids cannot be kept (they are unique across tenants), so every
 * uuid column is mapped through md5(new tenant id ‖ old id): the same old id gives the same new
 * one everywhere, so every reference (foreign key or not) still points at its copy, and nothing
 * points into the source tenant. (Ids inside JSON values are left as they are; they find nothing
 * in the copy.) People keep their passwords and second factors, so they sign in to the new slug as
 * before (TOTP secrets are sealed to their tenant and user, so each is sealed again for its copy);
 * no session or API token is copied. All or nothing: a bad archive leaves no tenant.
 */
export async function restoreAsNewTenant(
  deps: BackupDeps,
  sourceTenantId: string,
  input: Readable,
  opts: { slug: string; name: string; runId?: string | null; progress?: Progress; actor?: AuditOptions['actor'] } & ReadOptions,
): Promise<{ tenantId: string; slug: string; header: ArchiveHeader; manifest: Manifest; rows: number }> {
  const { orm, app } = deps;
  const tenantId = randomUUID();
  const result = await withSystemContext(orm, app, tenantId, 'restore into a new tenant', async (ctx) => {
    const tenant = await insertTenant(ctx, { slug: opts.slug, name: opts.name });
    const sealed: { userId: string; secret: string }[] = [];
    const r = await fillFromArchive(ctx, deps, input, opts, {
      archiveOf: sourceTenantId,
      into: tenantId,
      seen: (table, rows) => {
        if (table !== 'users') return;
        for (const u of rows) if (typeof u.totp_secret_enc === 'string') sealed.push({ userId: String(u.id), secret: u.totp_secret_enc });
      },
    });
    const pepper = app.config.passwordPepper;
    for (const s of sealed) {
      const to = { tenantId, userId: copiedId(tenantId, s.userId) };
      // Raw SQL: one column of a row of this context's tenant (RLS, and named so that it routes), by its id.
      const secret = rebindTotpSecret(pepper, s.secret, { tenantId: sourceTenantId, userId: s.userId }, to);
      await ctx.em.getConnection().execute(`update users set totp_secret_enc = ? where tenant_id = ? and id = ?`, [secret, tenantId, to.userId], 'run', ctx.em.getTransactionContext());
    }
    audit(ctx, BackupAudit.restoredAsNewTenant, {
      actor: opts.actor,
      targetType: 'Tenant',
      targetId: tenantId,
      details: { sourceTenantId, runId: opts.runId ?? null, rows: r.rows, createdAt: r.header.createdAt, schema: r.header.schema },
    });
    return { ...r, tenantId, slug: tenant.slug };
  });
  // The source's own record of the copy, in its log (a context writes only its tenant's events).
  await withSystemContext(orm, app, sourceTenantId, 'restore into a new tenant', async (ctx) => {
    audit(ctx, BackupAudit.copiedToNewTenant, { actor: opts.actor, targetId: opts.runId ?? null, details: { tenantId, slug: result.slug, rows: result.rows } });
  });
  return result;
}

type Sql = <T>(sql: string, params?: unknown[]) => Promise<T[]>;

/** An id's copy in a new tenant, as the restore's SQL maps it: md5(new tenant id ‖ old id) as a uuid. */
const copiedId = (into: string, id: string) =>
  createHash('md5')
    .update(into + id)
    .digest('hex')
    .replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5');

/**
 * Reads an archive of `archiveOf` into the context's tenant, in the context's transaction: checks
 * every table is known here, runs `prepare` once the header is read, and inserts the rows in
 * batches. With `into`, rows are rewritten for that tenant (see restoreAsNewTenant).
 */
async function fillFromArchive(
  ctx: RequestContext,
  deps: BackupDeps,
  input: Readable,
  opts: { progress?: Progress } & ReadOptions,
  how: { archiveOf: string; into?: string; prepare?: (tables: string[], run: Sql) => Promise<void>; seen?: (table: string, rows: Record<string, unknown>[]) => void },
): Promise<{ header: ArchiveHeader; manifest: Manifest; rows: number }> {
  const conn = ctx.em.getConnection();
  const trx = ctx.em.getTransactionContext();
  const run: Sql = <T>(sql: string, params: unknown[] = []) => conn.execute<T[]>(sql, params, 'all', trx);
  await run(`select set_config('statement_timeout', '0', true)`);
  const tables = await tenantTablesInOrder(ctx.em);
  const statements = new Map<string, string>();
  let rows = 0;
  const result = await readArchive(openArchive(deps.app, input, opts), {
    knownSchemas: deps.schemas,
    onHeader: async (h) => {
      if (h.tenantId !== how.archiveOf) throw new Error('this archive belongs to another tenant');
      const unknown = h.tables.filter((t) => !tables.includes(t));
      if (unknown.length) throw new Error(`the archive has tables this server does not: ${unknown.join(', ')}`);
      await how.prepare?.(tables, run);
    },
    onRows: async (table, batch, archived) => {
      let sql = statements.get(table);
      if (!sql) {
        // The archive's own columns (an older schema may lack newer ones, which take their
        // defaults), each of which must be a column of the table here.
        const here = new Map((await columnsOf(ctx.em, table)).map((c) => [c.name, c.uuid]));
        const unknown = archived.filter((c) => !here.has(c));
        if (unknown.length) throw new Error(`the archive's ${table} has columns this server does not: ${unknown.join(', ')}`);
        // Names from the archive checked against the catalog and quoted; `into` is a uuid we made.
        const value = (c: string) => {
          const col = `x.${quoteIdent(c)}`;
          if (!how.into) return col;
          if (c === 'tenant_id') return `'${how.into}'::uuid`;
          return here.get(c) ? `md5('${how.into}' || ${col}::text)::uuid` : col; // see copiedId
        };
        sql = `insert into ${quoteIdent(table)} (${archived.map(quoteIdent).join(', ')}) select ${archived.map(value).join(', ')} from json_populate_recordset(null::${quoteIdent(table)}, ?::json) x`;
        statements.set(table, sql);
      }
      how.seen?.(table, batch);
      await run(sql, [JSON.stringify(batch)]);
      rows += batch.length;
      opts.progress?.({ phase: 'restoring', table, rows, bytes: 0 });
    },
  });
  return { ...result, rows };
}
