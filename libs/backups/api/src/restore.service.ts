import { AppError, audit, Tenant, withSystemContext, type AuditOptions, type RequestContext } from '@bulwark/platform-api';
import { DriverException } from '@mikro-orm/core';
import { createHash, randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { insertTenant, rebindTotpSecret } from '@bulwark/identity-api';
import { columnsOf, quoteIdent, tenantTablesInOrder, type ArchiveHeader, type Manifest } from './archive';
import { BackupAudit } from './backups.audit';
import { BackupRun } from './backup-run.entity';
import { backupDeps, filesOf, type BackupDeps, type Progress, type ReadOptions } from './backup.deps';
import { readBackupFile, verifyArchive } from './backup-envelope.service';
import { asArchiveError, BackupError } from './backups.errors';

const otherWorkspace = () => new BackupError('ARCHIVE_OTHER_WORKSPACE', 'this archive belongs to another workspace');

export interface RestoreRequest {
  runId: string;
  /** Only read and verify the archive. */
  dryRun: boolean;
  /** For a real restore over this workspace: its slug, typed to confirm. */
  confirm?: string | null;
  /** Restore into a new workspace instead (a sandbox copy). */
  newWorkspace?: { slug: string; name: string } | null;
}

export interface RestoreOutcome {
  dryRun: boolean;
  rows: number;
  counts: Record<string, number>;
  backupCreatedAt: Date;
  schema: string;
  newWorkspaceSlug: string | null;
}

/**
 * Restores one of the context's workspace's stored backups, as a person asks through the API
 * (issue 5 §7): a dry run, a restore over this workspace (confirmed by typing its slug), or a copy
 * into a new workspace. Only succeeded, AES-encrypted runs (an OpenPGP backup needs its holder's
 * key: the CLI restores its decrypted file). The caller checks permission and re-authentication.
 * Refusals and a file that does not restore are BackupErrors (a slug taken or invalid, an
 * AppError); a database failure is logged, and told without its SQL or rows (ROWS_DO_NOT_FIT).
 */
export async function restoreBackup(ctx: RequestContext, input: RestoreRequest): Promise<RestoreOutcome> {
  const run = await ctx.em.findOne(BackupRun, { id: input.runId });
  if (!run) throw new BackupError('RUN_NOT_FOUND', 'Backup not found');
  if (run.status !== 'succeeded' || !run.storageKey) throw new BackupError('RUN_NOT_RESTORABLE', 'Only a succeeded backup can be restored', { runId: 'not succeeded' });
  if (run.encryption === 'openpgp') {
    throw new BackupError('RUN_NOT_RESTORABLE', 'An OpenPGP backup is restored from the CLI, from the file you decrypted with your key', { runId: 'openpgp' });
  }
  const tenant = await ctx.em.findOneOrFail(Tenant, { id: ctx.tenantId as string });
  const copy = input.newWorkspace;
  // Replacing this workspace's data is confirmed by typing its name; a copy replaces nothing.
  if (!input.dryRun && !copy && input.confirm !== tenant.slug) {
    throw new BackupError('CONFIRMATION_MISMATCH', `Type the workspace name "${tenant.slug}" to confirm`, { confirm: 'mismatch' });
  }
  const deps = backupDeps(ctx.em, ctx.app);
  const p = ctx.principal;
  // The restore runs in its own transaction; its event names the person who asked for it.
  const actor = p?.kind === 'user' ? { type: 'user' as const, id: p.userId, name: p.name ?? null } : undefined;
  const outcome = (r: { rows: number; manifest: Manifest; header: ArchiveHeader }, newWorkspaceSlug: string | null = null): RestoreOutcome => ({
    dryRun: input.dryRun,
    rows: r.rows,
    counts: r.manifest.counts,
    backupCreatedAt: new Date(r.header.createdAt),
    schema: r.header.schema,
    newWorkspaceSlug,
  });
  try {
    const source = deps.storage.get(run.storageKey);
    if (copy && !input.dryRun) {
      const r = await restoreAsNewTenant(deps, tenant.id, source, { slug: copy.slug, name: copy.name, runId: run.id, actor });
      return outcome(r, r.slug);
    }
    return outcome(await restoreTenant(deps, tenant.id, source, { dryRun: input.dryRun, runId: run.id, actor }));
  } catch (e) {
    if (e instanceof AppError) throw e; // a taken or invalid slug, said as such
    const known = asArchiveError(e);
    if (known instanceof BackupError) throw new BackupError(known.code, `The backup cannot be restored: ${known.message}`, known.fields);
    // A database error's text holds SQL and row values (ids, hashes): it goes to the log only.
    // (Raw SQL errors come from pg as they are: a DatabaseError, with its severity.)
    if (e instanceof DriverException || (typeof e === 'object' && e !== null && 'severity' in e)) {
      ctx.log.error('restore failed in the database', { runId: run.id, error: e });
      throw new BackupError('ROWS_DO_NOT_FIT', `The backup cannot be restored: its rows do not fit this database (request ${ctx.requestId}; see the server log)`);
    }
    throw e;
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
    if (r.header.tenantId !== tenantId) throw otherWorkspace();
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
  const files = filesOf(deps);
  const tables = await tenantTablesInOrder(ctx.em);
  const statements = new Map<string, string>();
  let rows = 0;
  const result = await readBackupFile(deps, input, {
    encrypted: opts.encrypted,
    onHeader: async (h) => {
      if (h.tenantId !== how.archiveOf) throw otherWorkspace();
      const unknown = h.tables.filter((t) => !tables.includes(t));
      if (unknown.length) throw new BackupError('ARCHIVE_SCHEMA_UNKNOWN', `the archive has tables this server does not: ${unknown.join(', ')}`);
      await how.prepare?.(tables, run);
    },
    onRows: async (table, batch, archived) => {
      let sql = statements.get(table);
      if (!sql) {
        // The archive's own columns (an older schema may lack newer ones, which take their
        // defaults), each of which must be a column of the table here.
        const here = new Map((await columnsOf(ctx.em, table)).map((c) => [c.name, c.uuid]));
        const unknown = archived.filter((c) => !here.has(c));
        if (unknown.length) throw new BackupError('ARCHIVE_SCHEMA_UNKNOWN', `the archive's ${table} has columns this server does not: ${unknown.join(', ')}`);
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
    // A file goes where its restored row names it (storage_key is `<tenant>/<id>`, the copy's in a
    // copy). Files never change once stored, so one already there is this one and is left alone:
    // an archive that fails verification later (rolled back) has then overwritten nothing.
    onFile: async (_table, rowId, content) => {
      const tenant = how.into ?? how.archiveOf;
      const key = `${tenant}/${how.into ? copiedId(how.into, rowId) : rowId}`;
      if (!(await files.exists(key))) await files.put(key, content);
    },
  });
  return { ...result, rows };
}
