import { drained, parentsFirst } from '@bulwark/platform-api';
import type { EntityManager } from '@mikro-orm/postgresql';
import { createHash } from 'node:crypto';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { Client as PgClient } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { BackupError } from './backups.errors';

/**
 * The archive (issue 5 §3): NDJSON, versioned, one stream per table of the tenant, and a manifest
 * with the row count and SHA-256 of every stream as the last line. It is written by COPY in one
 * REPEATABLE READ transaction (one consistent snapshot), streamed chunk by chunk, so memory stays
 * flat whatever the tenant's size.
 *
 *   {"format":"bulwark-backup","version":2,"schema":"<newest migration>","tenantId":…,"tables":[…]}
 *   {"$stream":"users","columns":["id","tenant_id",…]}     then one JSON array per row, in that
 *   ["…","…",…]                                             column order (values as to_json gives them)
 *   {"$stream":"tickets","columns":[…]}                     tables in foreign-key order (parents first)
 *   …
 *   {"$files":"ticket_attachments"}                        version 3: the files the rows of a table own
 *   ["<row id>","<base64>"]                                 (FileStore), a file in one or more lines
 *   {"manifest":{"counts":{…},"sha256":{…},"files":{…}}}   per stream: rows, and SHA-256 of its lines
 *
 * Version 2 names the columns once per stream instead of in every row (version 1 wrote each row
 * as an object): PostgreSQL builds the rows a fifth faster and there is a third less to compress
 * and hash. Version 3 adds the files rows own (attachments), after the tables. Versions 1 and 2
 * are still read.
 *
 * Live credentials are not backed up (sessions, API tokens, reset links, pending second steps),
 * nor the audit log (append-only; a restore is itself an event in it) or the backups' own records
 * and settings.
 */
export const ARCHIVE_FORMAT = 'bulwark-backup';
export const ARCHIVE_VERSION = 3;
/** Bytes of a file per archive line (base64: a third more). */
const FILE_CHUNK = 192 * 1024;
/** json_build_array takes at most this many arguments (PostgreSQL's FUNC_MAX_ARGS). */
const MAX_COLUMNS = 100;
export const NOT_BACKED_UP = new Set([
  // Mail and webhooks waiting or sent: a restore must not send them again.
  'outbox',
  'sessions',
  'api_tokens',
  'auth_tokens',
  'login_challenges',
  'audit_events',
  'audit_chain',
  'audit_checkpoints',
  'audit_exports',
  'ticket_exports',
  'backup_runs',
  // One-time download links: live credentials too, and they point at runs of this server.
  'backup_downloads',
  // The encryption key a restore would bring back could be one retired as compromised.
  'backup_settings',
  // A restored schedule would bring back a past next-run time (an immediate backup).
  'backup_schedules',
  // Vendor support access is consent given now, not data: a restore must never bring back a
  // grant that ended (or put one in a copy). Restoring deletes the tickets they hang on, which
  // takes the workspace's grants and operators' sessions with them: access ends.
  'support_grants',
  'support_sessions',
]);

export interface ArchiveHeader {
  format: string;
  version: number;
  schema: string;
  tenantId: string;
  createdAt: string;
  tables: string[];
  /** Version 3: tables whose rows own a file (a `storage_key` column), whose files follow the tables. */
  files?: string[];
}
export interface Manifest {
  counts: Record<string, number>;
  sha256: Record<string, string>;
  /**
   * SHA-256 of the lines that are not rows (the header and each stream's line naming its table
   * and columns), which the per-table hashes do not cover: an empty table's column list changed
   * in transit went unnoticed without it. Absent in archives written before it was added.
   */
  structure?: string;
  /** Version 3: per table of `files`, the files' lines and their SHA-256. */
  files?: Record<string, { lines: number; sha256: string }>;
}

/** What reads and writes the files rows own (file-store.ts), as the archive needs it. */
export interface ArchiveFiles {
  /** Null: no file under the key (an upload swept after the snapshot saw its row): none is carried. */
  readIfExists(storageKey: string): Promise<Buffer | null>;
}

type Run = <T>(sql: string, params?: unknown[]) => Promise<T[]>;
const runner = (em: EntityManager): Run => (sql, params = []) => em.getConnection().execute(sql, params, 'all', em.getTransactionContext());

/**
 * The tenant's tables in an order where every foreign key points backwards (parents first), from
 * the catalog, so a feature's new table is backed up without anyone listing it here.
 */
export async function tenantTablesInOrder(em: EntityManager): Promise<string[]> {
  const run = runner(em);
  const tables = (
    await run<{ name: string }>(
      `select c.relname as name from pg_class c
         join pg_namespace n on n.oid = c.relnamespace
         join pg_attribute a on a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped
        where n.nspname = 'public' and c.relkind = 'r' and has_table_privilege(c.oid, 'select')
        order by 1`,
    )
  )
    .map((r) => r.name)
    .filter((t) => !NOT_BACKED_UP.has(t));
  const edges = await run<{ child: string; parent: string }>(
    `select cl.relname as child, pl.relname as parent from pg_constraint k
       join pg_class cl on cl.oid = k.conrelid join pg_class pl on pl.oid = k.confrelid
      where k.contype = 'f' and k.connamespace = 'public'::regnamespace`,
  );
  return parentsFirst(tables, edges);
}

export const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** A table's columns in order, those a row can be inserted with (not generated ones), and which hold uuids. */
export async function columnsOf(em: EntityManager, table: string): Promise<{ name: string; uuid: boolean }[]> {
  return runner(em)<{ name: string; uuid: boolean }>(
    `select attname as name, atttypid = 'uuid'::regtype as uuid from pg_attribute
      where attrelid = ?::regclass and attnum > 0 and not attisdropped and attgenerated = '' order by attnum`,
    [quoteIdent(table)],
  );
}

/**
 * Tables whose rows own a file: a generated `storage_key` column (`<tenant_id>/<id>`, see
 * file-store.ts), so a restored row, even with a new id in a copy, names where its file goes.
 */
export async function fileTablesOf(em: EntityManager, tables: string[]): Promise<string[]> {
  const rows = await runner(em)<{ name: string }>(
    `select c.relname as name from pg_attribute a join pg_class c on c.oid = a.attrelid
      where c.relnamespace = 'public'::regnamespace and a.attname = 'storage_key' and a.attgenerated = 's' and not a.attisdropped order by 1`,
  );
  return rows.map((r) => r.name).filter((t) => tables.includes(t));
}

export interface WriteProgress {
  (table: string, rows: number, bytes: number): void;
}

/**
 * Writes the tenant's archive to `out` (uncompressed NDJSON). `em` must be in a REPEATABLE READ
 * transaction with the tenant set (RLS) — see backup-run.service.ts. Every query names the tenant too.
 */
export async function writeArchive(
  em: EntityManager,
  tenantId: string,
  schema: string,
  now: Date,
  out: Writable,
  progress?: WriteProgress,
  files?: ArchiveFiles,
): Promise<{ manifest: Manifest; rows: number }> {
  const tables = await tenantTablesInOrder(em);
  const fileTables = files ? await fileTablesOf(em, tables) : [];
  const write = async (s: string) => {
    if (!out.write(s)) await drained(out);
  };
  const header: ArchiveHeader = { format: ARCHIVE_FORMAT, version: ARCHIVE_VERSION, schema, tenantId, createdAt: now.toISOString(), tables, files: fileTables };
  const structure = createHash('sha256');
  const writeStructure = (line: string) => {
    structure.update(line);
    return write(line);
  };
  await writeStructure(JSON.stringify(header) + '\n');
  const manifest: Manifest = { counts: {}, sha256: {} };
  let rows = 0;
  let bytes = 0;
  // COPY streams each table's rows as they are, much faster than fetching them through a cursor.
  // In CSV format with a delimiter and a quote character JSON text never contains (it escapes
  // every control character), each output line is exactly one row's JSON: nothing is escaped.
  // It runs on the operation transaction's own connection (same snapshot, same tenant for RLS).
  const pg = (await (em.getTransactionContext() as unknown as { client: { acquireConnection(): Promise<PgClient> } }).client.acquireConnection()) as PgClient;
  if (!/^[0-9a-f-]{36}$/.test(tenantId)) throw new Error('bad tenant id');
  for (const table of tables) {
    const hash = createHash('sha256');
    let count = 0;
    const columns = (await columnsOf(em, table)).map((c) => c.name);
    if (columns.length > MAX_COLUMNS) throw new Error(`table ${table} has more than ${MAX_COLUMNS} columns, more than one archive row can hold`);
    await writeStructure(JSON.stringify({ $stream: table, columns }) + '\n');
    // Table and column names come from the catalog, quoted; the tenant id is a checked uuid.
    const row = `json_build_array(${columns.map((c) => `x.${quoteIdent(c)}`).join(', ')})::text`;
    const copy = pg.query(copyTo(`copy (select ${row} from "${table}" x where x.tenant_id = '${tenantId}') to stdout (format csv, delimiter e'\\x02', quote e'\\x01')`)) as Readable;
    // If writing fails (storage, encryption), the rest of the COPY is still read and dropped: the
    // connection cannot take its ROLLBACK before the server has sent every row.
    let failure: unknown = null;
    for await (const chunk of copy as AsyncIterable<Buffer>) {
      if (failure) continue;
      try {
        hash.update(chunk);
        for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) count++;
        bytes += chunk.length;
        if (!out.write(chunk)) await drained(out);
        progress?.(table, count, bytes);
      } catch (e) {
        failure = e;
      }
    }
    if (failure) throw failure;
    manifest.counts[table] = count;
    manifest.sha256[table] = hash.digest('hex');
    rows += count;
  }
  manifest.files = {};
  for (const table of fileTables) {
    const hash = createHash('sha256');
    let lines = 0;
    await writeStructure(JSON.stringify({ $files: table }) + '\n');
    // The rows of the snapshot (the table was just copied from it); each file is read whole.
    const owners = await runner(em)<{ id: string; storage_key: string }>(`select id, storage_key from ${quoteIdent(table)} where tenant_id = ? order by id`, [tenantId]);
    for (const { id, storage_key } of owners) {
      const content = await (files as ArchiveFiles).readIfExists(storage_key);
      if (!content) continue;
      for (let at = 0; at === 0 || at < content.length; at += FILE_CHUNK) {
        const line = JSON.stringify([id, content.subarray(at, at + FILE_CHUNK).toString('base64')]) + '\n';
        hash.update(line);
        lines++;
        await write(line);
        bytes += line.length;
        progress?.(table, lines, bytes);
      }
    }
    manifest.files[table] = { lines, sha256: hash.digest('hex') };
  }
  manifest.structure = structure.digest('hex');
  await write(JSON.stringify({ manifest }) + '\n');
  return { manifest, rows };
}

/**
 * Reads an archive line by line, checking format, version, and every stream against the manifest.
 * `onRows` receives each table's rows in batches, as objects keyed by column (restore inserts
 * them); it is not called for a dry run. Throws a BackupError on anything that does not match;
 * nothing is trusted until the end.
 */
export async function readArchive(
  input: Readable,
  opts: {
    knownSchemas: string[];
    onHeader?: (h: ArchiveHeader) => Promise<void>;
    onRows?: (table: string, rows: Record<string, unknown>[], columns: string[]) => Promise<void>;
    /** A whole file a row of `table` owns (version 3), once its last line is read. */
    onFile?: (table: string, rowId: string, content: Buffer) => Promise<void>;
  },
): Promise<{ header: ArchiveHeader; manifest: Manifest }> {
  const lines = createInterface({ input, crlfDelay: Infinity });
  let header: ArchiveHeader | null = null;
  let manifest: Manifest | null = null;
  const counts: Record<string, number> = {};
  const hashes = new Map<string, ReturnType<typeof createHash>>();
  const structure = createHash('sha256');
  let batch: Record<string, unknown>[] = [];
  // The current stream: its table, and (version 2) its columns; version 1 rows are objects.
  let stream: { table: string; columns: string[] | null; seen: Set<string> } | null = null;
  const flush = async () => {
    if (stream && batch.length && opts.onRows) await opts.onRows(stream.table, batch, stream.columns ?? [...stream.seen]);
    batch = [];
  };
  // The files of one table (version 3): the current file's id and parts, and each table's hash.
  let fileStream: { table: string; id: string | null; parts: Buffer[]; ids: Set<string> } | null = null;
  const fileHashes = new Map<string, { lines: number; hash: ReturnType<typeof createHash> }>();
  const flushFile = async () => {
    if (fileStream?.id && opts.onFile) await opts.onFile(fileStream.table, fileStream.id, Buffer.concat(fileStream.parts));
    if (fileStream) {
      fileStream.id = null;
      fileStream.parts = [];
    }
  };
  const toObject = (line: string): Record<string, unknown> => {
    const value = JSON.parse(line) as unknown;
    const s = stream as NonNullable<typeof stream>;
    if (!s.columns) {
      if (!value || typeof value !== 'object' || Array.isArray(value)) throw new BackupError('ARCHIVE_INVALID', `a row of ${s.table} is not an object`);
      for (const k of Object.keys(value)) s.seen.add(k);
      return value as Record<string, unknown>;
    }
    if (!Array.isArray(value) || value.length !== s.columns.length) throw new BackupError('ARCHIVE_INVALID', `a row of ${s.table} does not have its ${s.columns.length} columns`);
    const row: Record<string, unknown> = {};
    s.columns.forEach((c, i) => (row[c] = value[i]));
    return row;
  };
  for await (const line of lines) {
    if (!header) {
      structure.update(line).update('\n');
      const h = JSON.parse(line) as ArchiveHeader;
      if (h.format !== ARCHIVE_FORMAT) throw new BackupError('ARCHIVE_INVALID', 'not a Bulwark backup archive');
      if (h.version > ARCHIVE_VERSION) throw new BackupError('ARCHIVE_SCHEMA_UNKNOWN', `archive version ${h.version} is newer than this server reads (${ARCHIVE_VERSION})`);
      if (!opts.knownSchemas.includes(h.schema)) {
        throw new BackupError('ARCHIVE_SCHEMA_UNKNOWN', `the archive was written by a newer schema (${h.schema}); upgrade this server before restoring it`);
      }
      header = h;
      await opts.onHeader?.(h);
      continue;
    }
    if (manifest) throw new BackupError('ARCHIVE_INVALID', 'data after the manifest');
    if (line.startsWith('{"manifest":')) {
      await flush();
      await flushFile();
      manifest = (JSON.parse(line) as { manifest: Manifest }).manifest;
      continue;
    }
    if (line.startsWith('{"$stream":')) {
      structure.update(line).update('\n');
      const marker = JSON.parse(line) as { $stream: unknown; columns?: unknown };
      const table = String(marker.$stream);
      if (!header.tables.includes(table) || hashes.has(table)) throw new BackupError('ARCHIVE_INVALID', `the archive has an unexpected stream ${table}`);
      const columns = header.version >= 2 ? marker.columns : null;
      if (columns !== null && (!Array.isArray(columns) || !columns.length || !columns.every((c) => typeof c === 'string'))) {
        throw new BackupError('ARCHIVE_INVALID', `the ${table} stream does not list its columns`);
      }
      await flush();
      await flushFile();
      fileStream = null;
      stream = { table, columns: columns as string[] | null, seen: new Set() };
      hashes.set(table, createHash('sha256'));
      continue;
    }
    if (line.startsWith('{"$files":')) {
      structure.update(line).update('\n');
      const table = String((JSON.parse(line) as { $files: unknown }).$files);
      if (!header.files?.includes(table) || fileHashes.has(table)) throw new BackupError('ARCHIVE_INVALID', `the archive has unexpected files of ${table}`);
      await flush();
      await flushFile();
      stream = null;
      fileStream = { table, id: null, parts: [], ids: new Set() };
      fileHashes.set(table, { lines: 0, hash: createHash('sha256') });
      continue;
    }
    if (fileStream) {
      const f = fileStream;
      const value = JSON.parse(line) as unknown;
      if (!Array.isArray(value) || value.length !== 2 || typeof value[0] !== 'string' || typeof value[1] !== 'string' || !/^[0-9a-f-]{36}$/.test(value[0])) {
        throw new BackupError('ARCHIVE_INVALID', `a line of the files of ${f.table} is not a file's part`);
      }
      const h = fileHashes.get(f.table) as { lines: number; hash: ReturnType<typeof createHash> };
      h.hash.update(line).update('\n');
      h.lines++;
      if (value[0] !== f.id) {
        await flushFile();
        if (f.ids.has(value[0])) throw new BackupError('ARCHIVE_INVALID', `a file of ${f.table} is split`);
        f.ids.add(value[0]);
        f.id = value[0];
      }
      if (opts.onFile) f.parts.push(Buffer.from(value[1], 'base64'));
      continue;
    }
    if (!stream || !line.startsWith(stream.columns ? '[' : '{')) throw new BackupError('ARCHIVE_INVALID', 'a line of the archive is not a row of a listed table');
    (hashes.get(stream.table) as ReturnType<typeof createHash>).update(line).update('\n');
    counts[stream.table] = (counts[stream.table] ?? 0) + 1;
    if (opts.onRows) {
      batch.push(toObject(line));
      if (batch.length >= 500) await flush();
    }
  }
  if (!header) throw new BackupError('ARCHIVE_INVALID', 'the archive is empty');
  if (!manifest) throw new BackupError('ARCHIVE_INVALID', 'the archive is truncated (no manifest)');
  if (manifest.structure !== undefined && manifest.structure !== structure.digest('hex')) {
    throw new BackupError('ARCHIVE_INVALID', 'the archive header or a stream line does not match the manifest (SHA-256)');
  }
  for (const t of header.tables) {
    const n = counts[t] ?? 0;
    const digest = hashes.get(t)?.digest('hex') ?? createHash('sha256').digest('hex');
    if (manifest.counts[t] !== n || manifest.sha256[t] !== digest) throw new BackupError('ARCHIVE_INVALID', `the ${t} stream does not match the manifest (rows or SHA-256)`);
  }
  for (const t of header.files ?? []) {
    const h = fileHashes.get(t);
    const expected = manifest.files?.[t];
    if (!expected || expected.lines !== (h?.lines ?? 0) || expected.sha256 !== (h?.hash ?? createHash('sha256')).digest('hex')) {
      throw new BackupError('ARCHIVE_INVALID', `the files of ${t} do not match the manifest (lines or SHA-256)`);
    }
  }
  return { header, manifest };
}
