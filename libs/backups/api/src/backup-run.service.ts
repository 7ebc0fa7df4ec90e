import { audit, setTenant, withSystemContext } from '@bulwark/platform-api';
import { IsolationLevel } from '@mikro-orm/core';
import { writeArchive, type Manifest } from './archive';
import { BackupAudit } from './backups.audit';
import { BackupRun } from './backup-run.entity';
import { BackupSettings } from './backup-settings.entity';
import { filesOf, forkOf, type BackupDeps, type Progress } from './backup.deps';
import { checkStored, envelopeFor, seal, type Envelope } from './backup-envelope.service';
import { ArchiveSink, coalesce, compressor, tap } from './backup.streams';

/** A run still "running" this long after it started was cut off (a crash): it is marked failed. */
const STALE_MS = 60 * 60_000;

/**
 * Backs a tenant up (SECURITY.md G1): archive from one consistent snapshot → Brotli → AES-256-GCM
 * (or OpenPGP to the tenant's key, G3) → storage, then checks the stored object against the
 * manifest (for OpenPGP, what can be checked without the private key: see checkStored); only then
 * is the run "succeeded". Any failure leaves a failed run (and no object under its key), an audit
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
    const envelope = await envelopeFor(publicKey, app.now());
    const written = await writeToStorage(deps, tenantId, key, envelope, progress);
    progress?.({ phase: 'verifying', rows: written.rows, bytes: written.size });
    await checkStored(envelope, storage.get(key), written);
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

/**
 * Writes the archive of one snapshot through compression and the envelope into storage under
 * `key`: what was written (size and SHA-256 as stored, the manifest, and for OpenPGP the check of
 * the plaintext).
 */
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
    const { sealed, plaintext } = seal(envelope, app, schemas, zip, (e) => raw.fail(e));
    const stored = sealed.then((enc) => {
      enc.on('error', (e) => t.destroy(e));
      return storage.put(key, enc.pipe(t));
    });
    // Whatever fails past the archive's input ends the writing too (instead of a stalled pipe).
    stored.catch((e: Error) => raw.fail(e));
    let written: { manifest: Manifest; rows: number };
    try {
      written = await writeArchive(em, tenantId, schemas[schemas.length - 1], app.now(), raw, (table, rows, bytes) => progress?.({ phase: 'writing', table, rows, bytes }), filesOf(deps));
      raw.end();
    } catch (e) {
      // Also when the failure came from downstream: `fail` handed writeArchive that very error.
      raw.fail(e as Error);
      await Promise.all([stored.catch(() => undefined), plaintext?.verified.catch(() => undefined)]);
      throw e;
    }
    const { size } = await stored;
    const check = plaintext && { manifest: (await plaintext.verified).manifest, sha256: plaintext.sha256() };
    return { ...written, size, sha256: t.sha256(), plaintext: check };
  } finally {
    await em.rollback().catch(() => undefined); // read-only: nothing to keep
  }
}
