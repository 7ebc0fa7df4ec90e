/**
 * Backups (issue 5), the first part: SECURITY.md G1 (listed as succeeded only once written and
 * verified; a cut-off run ends failed), G2 (restore round trip; all or nothing), a flipped byte
 * or another master key fails decryption, a newer schema is refused, master key rotation.
 */
import { withSystemContext } from '@bulwark/platform-api';
import { startTestServer, type TestServer } from '@bulwark/platform-api/testing';
import { createPersonas, mintSession, PERSONA_PASSWORD, type TenantPersonas } from '@bulwark/identity-api/testing';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer, text } from 'node:stream/consumers';
import { Secret, TOTP } from 'otpauth';
import { encryptTotpSecret } from '@bulwark/identity-api';
import { gzipSync } from 'node:zlib';
import { apiPlugins } from '@bulwark/composition-api';
import { BackupRun } from './backup-run.entity';
import type { BackupDeps } from './backup.deps';
import { openArchive, verifyArchive } from './backup-envelope.service';
import { runBackup } from './backup-run.service';
import { restoreAsNewTenant, restoreTenant } from './restore.service';
import { encryptStream } from './envelope';
import { localStorage } from './storage';
import { fileStore } from './file-store';
import { backupsConfig } from './backups.config';

let t: TestServer;
let a: TenantPersonas;
let b: TenantPersonas;
let deps: BackupDeps;
let dir: string;

async function create(p: { token: string }, subject: string) {
  const r = await t.gql<{ createTicket: { id: string } }>(`mutation($s: String!) { createTicket(input: { subject: $s, body: "body of ${subject}" }) { id } }`, { s: subject }, { token: p.token });
  if (!r.data) throw new Error(JSON.stringify(r.errors));
  return r.data.createTicket.id;
}

/** Every row of every backed-up table of a tenant, as the database has them (owner view). */
async function snapshot(tenantId: string): Promise<Record<string, unknown[]>> {
  const tables = (await t.ownerSql<{ name: string }>(
    `select c.relname as name from pg_class c join pg_attribute a on a.attrelid = c.oid and a.attname = 'tenant_id'
      where c.relnamespace = 'public'::regnamespace and c.relkind = 'r' and c.relname not in
      ('outbox','sessions','api_tokens','auth_tokens','login_challenges','audit_events','audit_chain','audit_checkpoints','audit_exports','backup_runs','backup_settings','backup_schedules') order by 1`,
  )).map((r) => r.name);
  const out: Record<string, unknown[]> = {};
  for (const table of tables) out[table] = await t.ownerSql(`select * from "${table}" where tenant_id = $1 order by 1, 2`, [tenantId]);
  return out;
}

beforeAll(async () => {
  t = await startTestServer(apiPlugins);
  a = await createPersonas(t, 'backed');
  b = await createPersonas(t, 'bystander');
  for (let i = 0; i < 30; i++) await create(a.agent, `ticket ${i}`);
  await create(b.agent, 'B keeps this');
  dir = mkdtempSync(join(tmpdir(), 'bulwark-backups-'));
  deps = { orm: t.server.orm, app: t.server.app, storage: localStorage(dir), schemas: t.server.api.migrations.map((m) => m.name) };
});
afterAll(async () => {
  await t?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('G1 a backup is listed as succeeded only when written and verified', () => {
  it('writes an encrypted archive whose manifest matches the tenant, and records it', async () => {
    const run = await runBackup(deps, a.tenantId, 'cli');
    expect(run).toMatchObject({ status: 'succeeded', storageKey: `${a.tenantId}/${run.id}.bwb`, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(run.counts).toMatchObject({ tickets: 30, users: 7 });
    expect(run.counts).not.toHaveProperty('sessions');
    const file = readFileSync(join(dir, run.storageKey!));
    expect(file.toString('utf8')).not.toMatch(/ticket 1|backed\.test/); // encrypted, not just compressed
    expect(Number(run.sizeBytes)).toBe(file.length);
    const { manifest, header } = await verifyArchive(deps, Readable.from(file));
    expect(header).toMatchObject({ tenantId: a.tenantId, schema: deps.schemas.at(-1) });
    expect(manifest.counts).toEqual(run.counts);
    const [event] = await t.ownerSql<{ action: string }>(`select action from audit_events where tenant_id = $1 and target_id = $2`, [a.tenantId, run.id]);
    expect(event.action).toBe('backups.backupSucceeded');
  });

  it('ends a failed run with no object under its key, and marks a run cut off by a crash as failed', async () => {
    t.expectErrors(/"backup failed".*disk full/);
    const broken: BackupDeps = { ...deps, storage: { ...deps.storage, put: async () => Promise.reject(new Error('disk full')) } };
    await expect(runBackup(broken, a.tenantId, 'cli')).rejects.toThrow('disk full');
    const [failed] = await t.ownerSql<{ status: string; error: string; storage_key: string | null }>(`select status, error, storage_key from backup_runs where tenant_id = $1 order by created_at desc limit 1`, [a.tenantId]);
    expect(failed).toEqual({ status: 'failed', error: 'disk full', storage_key: null });
    expect((await t.ownerSql(`select 1 from audit_events where tenant_id = $1 and action = 'backups.backupFailed'`, [a.tenantId])).length).toBe(1);
    // A process that died mid-run left "running": the next run marks it failed, and works.
    const stale = await withSystemContext(t.server.orm, t.server.app, a.tenantId, 'test', async (ctx) =>
      ctx.em.create(BackupRun, { status: 'running', trigger: 'schedule', createdAt: new Date(Date.now() - 3 * 3600_000), startedAt: new Date(Date.now() - 3 * 3600_000) }),
    );
    const next = await runBackup(deps, a.tenantId, 'cli');
    expect(next.status).toBe('succeeded');
    const [after] = await t.ownerSql<{ status: string; error: string }>(`select status, error from backup_runs where id = $1`, [stale.id]);
    expect(after).toEqual({ status: 'failed', error: 'interrupted (the process stopped while it ran)' });
  });
});

describe('G2 restore round trip', () => {
  it('brings every row of every table back as it was, and leaves other tenants alone', async () => {
    const original = await snapshot(a.tenantId);
    const bBefore = await snapshot(b.tenantId);
    const run = await runBackup(deps, a.tenantId, 'cli');
    // Change, add and delete rows.
    await create(a.agent, 'added after the backup');
    await t.ownerSql(`update tickets set subject = 'changed' where tenant_id = $1 and subject = 'ticket 3'`, [a.tenantId]);
    await t.ownerSql(`delete from tickets where tenant_id = $1 and subject = 'ticket 4'`, [a.tenantId]);
    await t.ownerSql(`update identity_settings set lockout_threshold = 9 where tenant_id = $1`, [a.tenantId]);
    expect(await snapshot(a.tenantId)).not.toEqual(original);

    const dry = await restoreTenant(deps, a.tenantId, deps.storage.get(run.storageKey!), { dryRun: true });
    expect(dry.rows).toBe(Object.values(run.counts!).reduce((x, y) => x + y, 0));
    expect((await snapshot(a.tenantId)).tickets.length).toBe(30); // a dry run touches nothing (31 added − 1 deleted)

    const restored = await restoreTenant(deps, a.tenantId, deps.storage.get(run.storageKey!), { runId: run.id });
    expect(restored.rows).toBe(dry.rows);
    expect(await snapshot(a.tenantId)).toEqual(original);
    expect(await snapshot(b.tenantId)).toEqual(bBefore);
    const [event] = await t.ownerSql<{ action: string; details: { rows: number } }>(`select action, details from audit_events where tenant_id = $1 and action = 'backups.restored'`, [a.tenantId]);
    expect(event.details.rows).toBe(restored.rows);
    // People were restored as they were; their sessions are not part of a backup: all signed out.
    expect((await t.gql(`{ me { id } }`, {}, { token: a.agent.token })).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    a.agent.token = await mintSession(t, a.tenantId, a.agent.id);
  });

  it('is all or nothing: a corrupted archive leaves the tenant exactly as it was', async () => {
    const run = await runBackup(deps, a.tenantId, 'cli');
    await create(a.agent, 'made after this backup');
    const before = await snapshot(a.tenantId);
    const file = readFileSync(join(dir, run.storageKey!));
    const flipped = Buffer.from(file);
    flipped[flipped.length - 40] ^= 0x01; // near the end: most rows are already inserted when it fails
    await expect(restoreTenant(deps, a.tenantId, Readable.from(flipped))).rejects.toMatchObject({ code: 'ARCHIVE_INVALID' });
    expect(await snapshot(a.tenantId)).toEqual(before);
    // Truncated, too.
    await expect(restoreTenant(deps, a.tenantId, Readable.from(file.subarray(0, file.length - 100)))).rejects.toMatchObject({ code: 'ARCHIVE_INVALID' });
    expect(await snapshot(a.tenantId)).toEqual(before);
    // And an archive of another tenant is refused.
    const bRun = await runBackup(deps, b.tenantId, 'cli');
    await expect(restoreTenant(deps, a.tenantId, deps.storage.get(bRun.storageKey!))).rejects.toMatchObject({ code: 'ARCHIVE_OTHER_WORKSPACE', message: 'this archive belongs to another workspace' });
    expect(await snapshot(a.tenantId)).toEqual(before);
  });
});

describe('restore into a new tenant (a sandbox copy)', () => {
  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
  /** md5(new tenant id ‖ old id) as a uuid: what restoreAsNewTenant maps every id through. */
  const mapped = (into: string, id: string) => createHash('md5').update(into + id).digest('hex').replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5');
  const rewrite = (into: string, rows: unknown[]) =>
    rows.map((r) => Object.fromEntries(Object.entries(r as object).map(([k, v]) => [k, k === 'tenant_id' ? into : typeof v === 'string' && UUID.test(v) ? mapped(into, v) : v])));
  const sorted = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).sort();

  it('copies every row into a new tenant with its own ids, leaves the source alone, and lets its people sign in there', async () => {
    // The admin has two-factor sign-in on: its secret is sealed to tenant and user, both new in the copy.
    const totp = new Secret({ size: 20 });
    const sealedFor = (tenantId: string, userId: string) => encryptTotpSecret(t.server.app.config.passwordPepper, totp.base32, { tenantId, userId });
    await t.ownerSql(`update users set totp_secret_enc = $1, totp_enabled_at = now() where id = $2`, [sealedFor(a.tenantId, a.admin.id), a.admin.id]);
    const run = await runBackup(deps, a.tenantId, 'cli');
    const source = await snapshot(a.tenantId);
    const copy = await restoreAsNewTenant(deps, a.tenantId, deps.storage.get(run.storageKey!), { slug: 'backed-sandbox', name: 'Backed (sandbox)', runId: run.id });
    expect(copy.slug).toBe('backed-sandbox');
    expect(await snapshot(a.tenantId)).toEqual(source);
    const copied = await snapshot(copy.tenantId);
    // Every row as the source's, ids mapped; the one sealed TOTP secret differs (sealed again).
    const unsealed = (rows: unknown[]) => rows.map((r) => ({ ...(r as object), totp_secret_enc: (r as { totp_secret_enc?: string | null }).totp_secret_enc ? 'sealed' : null }));
    for (const table of Object.keys(source)) {
      const fix = table === 'users' ? unsealed : (rows: unknown[]) => rows;
      expect([table, sorted(fix(copied[table]))]).toEqual([table, sorted(fix(rewrite(copy.tenantId, source[table])))]);
    }
    // Nothing in the copy points into the source: no id of the source appears in it.
    const sourceIds = new Set(Object.values(source).flatMap((rows) => rows.flatMap((r) => Object.values(r as object).filter((v) => typeof v === 'string' && UUID.test(v)))));
    const leaks = Object.values(copied).flatMap((rows) => rows.flatMap((r) => Object.values(r as object).filter((v) => sourceIds.has(v as string))));
    expect(leaks).toEqual([]);
    // The source's agent signs in to the copy with the same password; the copy is its own tenant.
    const login = await t.gql<{ login: { token: string } }>(`mutation($i: LoginInput!) { login(input: $i) { token } }`, { i: { tenant: 'backed-sandbox', email: a.agent.email, password: PERSONA_PASSWORD } });
    const token = login.data!.login.token;
    const tickets = await t.gql<{ tickets: { totalCount: number; nodes: { id: string }[] } }>(`{ tickets(page: { limit: 100 }) { totalCount nodes { id } } }`, {}, { token });
    expect(tickets.data!.tickets.totalCount).toBe(source.tickets.length);
    const aIds = new Set(source.tickets.map((r) => (r as { id: string }).id));
    expect(tickets.data!.tickets.nodes.some((n) => aIds.has(n.id))).toBe(false);
    // The admin signs in there with password and a current code (the secret was sealed again).
    const first = await t.gql<{ login: { challenge: string } }>(`mutation($i: LoginInput!) { login(input: $i) { challenge } }`, { i: { tenant: 'backed-sandbox', email: a.admin.email, password: PERSONA_PASSWORD } });
    const code = TOTP.generate({ secret: totp, algorithm: 'SHA1', digits: 6, period: 30 });
    const second = await t.gql<{ verifyTwoFactor: { token: string } }>(`mutation($i: VerifyTwoFactorInput!) { verifyTwoFactor(input: $i) { token } }`, { i: { challenge: first.data!.login.challenge, code } });
    expect(second.errors).toBeUndefined();
    expect(second.data!.verifyTwoFactor.token).toMatch(/^bws_/);
    // Recorded in both logs.
    const [made] = await t.ownerSql<{ details: { sourceTenantId: string } }>(`select details from audit_events where tenant_id = $1 and action = 'backups.restoredAsNewTenant'`, [copy.tenantId]);
    expect(made.details.sourceTenantId).toBe(a.tenantId);
    const [told] = await t.ownerSql<{ details: { slug: string } }>(`select details from audit_events where tenant_id = $1 and action = 'backups.copiedToNewTenant'`, [a.tenantId]);
    expect(told.details.slug).toBe('backed-sandbox');
  });

  it('creates no tenant from a damaged archive or under a taken slug', async () => {
    const run = await runBackup(deps, a.tenantId, 'cli');
    const file = readFileSync(join(dir, run.storageKey!));
    const flipped = Buffer.from(file);
    flipped[flipped.length - 40] ^= 0x01;
    await expect(restoreAsNewTenant(deps, a.tenantId, Readable.from(flipped), { slug: 'damaged-copy', name: 'x' })).rejects.toThrow();
    await expect(restoreAsNewTenant(deps, a.tenantId, Readable.from(file), { slug: 'backed', name: 'x' })).rejects.toThrow(/taken/);
    await expect(restoreAsNewTenant(deps, b.tenantId, Readable.from(file), { slug: 'wrong-source', name: 'x' })).rejects.toThrow(/another workspace/);
    expect(await t.ownerSql(`select slug from tenants where slug in ('damaged-copy', 'wrong-source')`)).toEqual([]);
  });
});

describe('encryption and versions', () => {
  it('fails on a flipped byte or another master key, and reads with the previous key after a rotation', async () => {
    const run = await runBackup(deps, b.tenantId, 'cli');
    const file = readFileSync(join(dir, run.storageKey!));
    for (const i of [file.indexOf(0x0a) + 5, Math.floor(file.length / 2), file.length - 1]) {
      const bad = Buffer.from(file);
      bad[i] ^= 0x80;
      await expect(verifyArchive(deps, Readable.from(bad))).rejects.toMatchObject({ code: 'ARCHIVE_INVALID' });
    }
    const other = { ...deps, app: { ...deps.app, config: { ...deps.app.config, masterKey: 'another-master-key-0123456789abcdef0123' } } };
    await expect(verifyArchive(other, Readable.from(file))).rejects.toMatchObject({ code: 'KEY_UNAVAILABLE', message: expect.stringMatching(/master key this server does not have/) });
    const rotated = { ...deps, app: { ...deps.app, config: { ...deps.app.config, masterKey: 'the-new-master-key-0123456789abcdef01234', masterKeyPrevious: deps.app.config.masterKey } } };
    expect((await verifyArchive(rotated, Readable.from(file))).manifest.counts.tickets).toBe(1);
  });

  it('refuses to restore an archive from a newer schema, clearly', async () => {
    const run = await runBackup(deps, b.tenantId, 'cli');
    const older = { ...deps, schemas: deps.schemas.slice(0, -1) }; // a server one migration behind
    await expect(restoreTenant(older, b.tenantId, deps.storage.get(run.storageKey!))).rejects.toMatchObject({ code: 'ARCHIVE_SCHEMA_UNKNOWN', message: expect.stringMatching(/newer schema .*upgrade this server/) });
    const path = join(dir, 'not-a-backup.bin');
    writeFileSync(path, 'hello');
    await expect(verifyArchive(deps, Readable.from(readFileSync(path)))).rejects.toThrow(/not a Bulwark backup|truncated/);
  });

  it('still reads and restores a version 1 archive (gzip, a JSON object per row)', async () => {
    const original = await snapshot(b.tenantId);
    const run = await runBackup(deps, b.tenantId, 'cli');
    // Rewrite this version 2 archive as version 1 wrote it: rows as objects, stream markers
    // without columns, per-stream SHA-256 over those lines, gzip'd, in the same envelope.
    const lines = (await text(openArchive(deps.app, deps.storage.get(run.storageKey!)))).trimEnd().split('\n');
    const header = { ...JSON.parse(lines[0]), version: 1 };
    delete header.files; // version 1 carried no files (this workspace has none)
    const out = [JSON.stringify(header)];
    const hashes: Record<string, ReturnType<typeof createHash>> = {};
    let columns: string[] = [];
    let table = '';
    for (const line of lines.slice(1, -1)) {
      if (line.startsWith('{"$files":')) continue;
      if (line.startsWith('{"$stream":')) {
        ({ $stream: table, columns } = JSON.parse(line));
        hashes[table] = createHash('sha256');
        out.push(JSON.stringify({ $stream: table }));
        continue;
      }
      const values = JSON.parse(line) as unknown[];
      const row = JSON.stringify(Object.fromEntries(columns.map((c, i) => [c, values[i]])));
      hashes[table].update(row + '\n');
      out.push(row);
    }
    const manifest = JSON.parse(lines.at(-1)!).manifest;
    delete manifest.files;
    delete manifest.structure; // version 1 manifests had no hash of their non-row lines
    for (const [name, h] of Object.entries(hashes)) manifest.sha256[name] = h.digest('hex');
    out.push(JSON.stringify({ manifest }));
    const v1 = gzipSync(Buffer.from(out.join('\n') + '\n'));
    const enc = encryptStream(deps.app.config.masterKey);
    const sealed = Buffer.from(await buffer(Readable.from([v1]).pipe(enc)));
    await t.ownerSql(`update tickets set subject = 'changed after the v1 backup' where tenant_id = $1`, [b.tenantId]);
    expect((await verifyArchive(deps, Readable.from(sealed))).header.version).toBe(1);
    await restoreTenant(deps, b.tenantId, Readable.from(sealed));
    expect(await snapshot(b.tenantId)).toEqual(original);
  });
});

describe('attachments travel with their backups', () => {
  const CONTENT = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.from('a screenshot of the broken printer')]);
  const mapped = (into: string, id: string) => createHash('md5').update(into + id).digest('hex').replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5');

  it('carries the files of the workspace’s attachments; a restore, in place or into a copy, brings them back', async () => {
    const files = fileStore(t.server.app.config);
    const res = await fetch(`${t.url}/api/tickets/attachments`, {
      method: 'POST',
      headers: { authorization: `Bearer ${a.agent.token}`, 'content-type': 'application/octet-stream', 'x-filename': 'printer.png' },
      body: new Uint8Array(CONTENT),
    });
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };
    const ticketId = await create(a.agent, 'with an attachment');
    await t.ownerSql(`update ticket_attachments set ticket_id = $1, linked_at = now() where id = $2`, [ticketId, id]);
    // Encrypted at rest: the stored object is not the file.
    const stored = readFileSync(join(backupsConfig.of(t.server.app.config).dir, 'files', a.tenantId, id));
    expect(stored.includes(Buffer.from('broken printer'))).toBe(false);

    // An upload whose file a sweep removed after the snapshot saw its row: the backup goes on without it.
    const swept = await fetch(`${t.url}/api/tickets/attachments`, {
      method: 'POST',
      headers: { authorization: `Bearer ${a.agent.token}`, 'content-type': 'application/octet-stream', 'x-filename': 'swept.png' },
      body: new Uint8Array(CONTENT),
    });
    await files.remove(`${a.tenantId}/${((await swept.json()) as { id: string }).id}`);

    const run = await runBackup(deps, a.tenantId, 'cli');
    expect(run.status).toBe('succeeded');
    const { header, manifest } = await verifyArchive(deps, deps.storage.get(run.storageKey!));
    expect(header.files).toEqual(['ticket_attachments']);
    expect(manifest.files?.ticket_attachments.lines).toBe(1);

    // Lost: the row and the file. The restore brings both back, the file as it was.
    await t.ownerSql(`delete from ticket_attachments where id = $1`, [id]);
    await files.remove(`${a.tenantId}/${id}`);
    await restoreTenant(deps, a.tenantId, deps.storage.get(run.storageKey!), { runId: run.id });
    expect(await t.ownerSql(`select filename from ticket_attachments where id = $1`, [id])).toEqual([{ filename: 'printer.png' }]);
    expect((await files.read(`${a.tenantId}/${id}`)).equals(CONTENT)).toBe(true);
    a.agent.token = await mintSession(t, a.tenantId, a.agent.id);
    const q = await t.gql<{ ticket: { attachments: { url: string }[] } }>(`query($id: ID!) { ticket(id: $id) { attachments { url } } }`, { id: ticketId }, { token: a.agent.token });
    const download = await fetch(`${t.url}${q.data!.ticket.attachments[0].url}`, { headers: { authorization: `Bearer ${a.agent.token}` } });
    expect(Buffer.from(await download.arrayBuffer()).equals(CONTENT)).toBe(true);

    // A copy gets its own file under its own row (ids change in a copy), not a pointer to the source's.
    const copy = await restoreAsNewTenant(deps, a.tenantId, deps.storage.get(run.storageKey!), { slug: 'backed-files', name: 'Backed (files)', runId: run.id });
    const copiedId = mapped(copy.tenantId, id);
    expect(await t.ownerSql(`select storage_key from ticket_attachments where tenant_id = $1 and id = $2`, [copy.tenantId, copiedId])).toEqual([{ storage_key: `${copy.tenantId}/${copiedId}` }]);
    expect((await files.read(`${copy.tenantId}/${copiedId}`)).equals(CONTENT)).toBe(true);
    // A file read under another key (another workspace's) does not open.
    const elsewhere = join(backupsConfig.of(t.server.app.config).dir, 'files', b.tenantId);
    mkdirSync(elsewhere, { recursive: true });
    writeFileSync(join(elsewhere, id), stored);
    await expect(files.read(`${b.tenantId}/${id}`)).rejects.toThrow(/unable to authenticate|auth/i);
    rmSync(join(elsewhere, id));
  });
});
