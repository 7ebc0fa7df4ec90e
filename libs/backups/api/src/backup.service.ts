import { audit, withSystemContext, type AppServices } from '@bulwark/platform-api';
import { IsolationLevel, type MikroORM } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { createHash } from 'node:crypto';
import { PassThrough, Transform, type Readable } from 'node:stream';
import { createGunzip, createGzip } from 'node:zlib';
import { readArchive, tenantTablesInOrder, writeArchive, type ArchiveHeader, type Manifest } from './archive';
import { BackupAudit } from './backups.audit';
import { BackupRun } from './backup-run.entity';
import { decryptStream, encryptStream } from './envelope';
import type { BackupStorage } from './storage';

export interface BackupDeps {
  orm: MikroORM;
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

/** Decrypts, unzips and reads an archive: the whole of it verified, or an error. */
export function openArchive(app: AppServices, encrypted: Readable): Readable {
  const plain = encrypted.pipe(decryptStream(masterKeys(app)));
  const unzipped = plain.pipe(createGunzip());
  encrypted.on('error', (e) => plain.destroy(e));
  plain.on('error', (e) => unzipped.destroy(e));
  return unzipped;
}

export async function verifyArchive(deps: Pick<BackupDeps, 'app' | 'schemas'>, encrypted: Readable): Promise<{ header: ArchiveHeader; manifest: Manifest }> {
  return readArchive(openArchive(deps.app, encrypted), { knownSchemas: deps.schemas });
}

/**
 * Backs a tenant up (SECURITY.md G1): archive from one consistent snapshot → gzip → AES-256-GCM
 * → storage, then reads the stored object back and checks it against the manifest; only then is
 * the run "succeeded". Any failure leaves a failed run (and no object under its key), an audit
 * event and, through the alert rules, an alert.
 */
export async function runBackup(deps: BackupDeps, tenantId: string, trigger: BackupRun['trigger'], progress?: Progress): Promise<BackupRun> {
  const { orm, app, storage } = deps;
  const run = await withSystemContext(orm, app, tenantId, 'backup', async (ctx) => {
    const cutoff = new Date(ctx.app.now().getTime() - STALE_MS);
    for (const stale of await ctx.em.find(BackupRun, { status: 'running', startedAt: { $lt: cutoff } })) {
      stale.status = 'failed';
      stale.error = 'interrupted (the process stopped while it ran)';
      stale.finishedAt = ctx.app.now();
    }
    return ctx.em.create(BackupRun, { status: 'running', trigger, createdAt: ctx.app.now(), startedAt: ctx.app.now() });
  });
  const key = `${tenantId}/${run.id}.bwb`;
  try {
    const written = await writeToStorage(deps, tenantId, key, progress);
    progress?.({ phase: 'verifying', rows: written.rows, bytes: written.size });
    const check = await verifyArchive(deps, storage.get(key));
    if (JSON.stringify(check.manifest) !== JSON.stringify(written.manifest)) throw new Error('the stored archive does not read back as written');
    return await withSystemContext(orm, app, tenantId, 'backup', async (ctx) => {
      const r = await ctx.em.findOneOrFail(BackupRun, { id: run.id });
      Object.assign(r, { status: 'succeeded', storageKey: key, sizeBytes: String(written.size), sha256: written.sha256, counts: written.manifest.counts, finishedAt: ctx.app.now() });
      audit(ctx, BackupAudit.backupSucceeded, { targetId: r.id, details: { rows: written.rows, bytes: written.size, sha256: written.sha256, trigger } });
      return r;
    });
  } catch (error) {
    await storage.remove(key).catch(() => undefined);
    const message = (error as Error).message.slice(0, 500);
    app.log.error('backup failed', { tenantId, runId: run.id, error });
    await withSystemContext(orm, app, tenantId, 'backup', async (ctx) => {
      const r = await ctx.em.findOneOrFail(BackupRun, { id: run.id });
      Object.assign(r, { status: 'failed', error: message, finishedAt: ctx.app.now() });
      audit(ctx, BackupAudit.backupFailed, { targetId: r.id, outcome: 'failure', details: { error: message, trigger } });
    });
    throw error;
  }
}

/** Byte counter and SHA-256 of what is stored (the file as it sits in storage). */
function tap(): Transform & { size: number; sha256: () => string } {
  const hash = createHash('sha256');
  const t = new Transform({
    transform(chunk: Buffer, _e, cb) {
      hash.update(chunk);
      (t as unknown as { size: number }).size += chunk.length;
      cb(null, chunk);
    },
  }) as Transform & { size: number; sha256: () => string };
  t.size = 0;
  t.sha256 = () => hash.digest('hex');
  return t;
}

async function writeToStorage(deps: BackupDeps, tenantId: string, key: string, progress?: Progress) {
  const { orm, app, storage, schemas } = deps;
  // One snapshot: every table read in the same REPEATABLE READ transaction, under the tenant's RLS.
  const em = orm.em.fork({ clear: true }) as EntityManager;
  await em.begin({ isolationLevel: IsolationLevel.REPEATABLE_READ, readOnly: true });
  try {
    const conn = em.getConnection();
    const trx = em.getTransactionContext();
    await conn.execute(`select set_config('app.tenant_id', ?, true), set_config('statement_timeout', '0', true)`, [tenantId], 'get', trx);
    const raw = new PassThrough();
    const gzip = createGzip();
    const enc = encryptStream(app.config.masterKey);
    const t = tap();
    for (const [from, to] of [[raw, gzip], [gzip, enc], [enc, t]] as const) from.on('error', (e) => to.destroy(e));
    const stored = storage.put(key, raw.pipe(gzip).pipe(enc).pipe(t));
    let written: { manifest: Manifest; rows: number };
    try {
      written = await writeArchive(em, tenantId, schemas[schemas.length - 1], app.now(), raw, (table, rows, bytes) => progress?.({ phase: 'writing', table, rows, bytes }));
      raw.end();
    } catch (e) {
      raw.destroy(e as Error);
      await stored.catch(() => undefined);
      throw e;
    }
    const { size } = await stored;
    return { ...written, size, sha256: t.sha256() };
  } finally {
    await em.rollback().catch(() => undefined); // read-only: nothing to keep
  }
}

/**
 * Restores a tenant from an archive (issue 5 §7; SECURITY.md G2): every table of the archive is
 * emptied and refilled with the archived rows, ids preserved, in one transaction that commits only
 * if the whole archive verified (decryption tag, manifest counts and hashes, schema). A dry run
 * reads and checks everything and touches nothing. Deleting people also ends their sessions and
 * API tokens (not part of a backup). Returns the manifest.
 */
export async function restoreTenant(
  deps: BackupDeps,
  tenantId: string,
  encrypted: Readable,
  opts: { dryRun?: boolean; runId?: string | null; progress?: Progress } = {},
): Promise<{ header: ArchiveHeader; manifest: Manifest; rows: number }> {
  const { orm, app, schemas } = deps;
  if (opts.dryRun) {
    const r = await verifyArchive(deps, encrypted);
    if (r.header.tenantId !== tenantId) throw new Error('this archive belongs to another tenant');
    return { ...r, rows: Object.values(r.manifest.counts).reduce((a, b) => a + b, 0) };
  }
  return withSystemContext(orm, app, tenantId, 'restore', async (ctx) => {
    const conn = ctx.em.getConnection();
    const trx = ctx.em.getTransactionContext();
    const run = <T>(sql: string, params: unknown[] = []) => conn.execute<T[]>(sql, params, 'all', trx);
    await run(`select set_config('statement_timeout', '0', true)`);
    const tables = await tenantTablesInOrder(ctx.em);
    const columns = new Map<string, string>();
    let rows = 0;
    const result = await readArchive(openArchive(app, encrypted), {
      knownSchemas: schemas,
      onHeader: async (h) => {
        if (h.tenantId !== tenantId) throw new Error('this archive belongs to another tenant');
        const unknown = h.tables.filter((t) => !tables.includes(t));
        if (unknown.length) throw new Error(`the archive has tables this server does not: ${unknown.join(', ')}`);
        // Children first, so no foreign key is left dangling. Raw SQL: tables from the catalog,
        // quoted, the tenant named and enforced by RLS (the context's tenant).
        for (const t of [...tables].reverse()) await run(`delete from "${t}" where tenant_id = ?`, [tenantId]);
      },
      onRows: async (table, batch) => {
        let cols = columns.get(table);
        if (!cols) {
          const list = await run<{ name: string }>(
            `select quote_ident(attname) as name from pg_attribute where attrelid = ?::regclass and attnum > 0 and not attisdropped and attgenerated = '' order by attnum`,
            [`"${table}"`],
          );
          cols = list.map((c) => c.name).join(', ');
          columns.set(table, cols);
        }
        await run(`insert into "${table}" (${cols}) select ${cols} from json_populate_recordset(null::"${table}", ?::json)`, [JSON.stringify(batch)]);
        rows += batch.length;
        opts.progress?.({ phase: 'restoring', table, rows, bytes: 0 });
      },
    });
    audit(ctx, BackupAudit.restored, { targetId: opts.runId ?? null, details: { rows, createdAt: result.header.createdAt, schema: result.header.schema } });
    return { ...result, rows };
  });
}
