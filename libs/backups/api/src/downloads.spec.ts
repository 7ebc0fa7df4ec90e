/**
 * Downloading a backup (issue 5 §9): backups.download, a recent re-authentication, only succeeded
 * runs of the caller's tenant; a one-time link (stored hashed, five minutes, claimed once) to the
 * stored file byte for byte; audited with the run as target and never the token.
 */
import { startTestServer, type GqlResult, type TestServer } from '@bulwark/platform-api/testing';
import { createPersonas, PERSONA_PASSWORD, type Persona, type TenantPersonas } from '@bulwark/identity-api/testing';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiPlugins } from '@bulwark/composition-api';

let t: TestServer;
let a: TenantPersonas;
let b: TenantPersonas;
let dir: string;
type Run = { id: string; status: string; sizeBytes: number; sha256: string; createdAt: string };
type Link = { url: string; expiresAt: string; sizeBytes: number; sha256: string; fileName: string };
let run: Run;
let failedRunId: string;

const DOWNLOAD = `mutation($id: ID!) { downloadBackup(runId: $id) { url expiresAt sizeBytes sha256 fileName } }`;
const code = (r: { errors?: { extensions?: { code?: string } }[] }) => r.errors?.[0]?.extensions?.code;
const ok = <T>(r: GqlResult<T>): T => {
  if (!r.data || r.errors) throw new Error(JSON.stringify(r.errors));
  return r.data;
};
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
async function sudo(p: Persona) {
  p.token = ok(await t.gql<{ reauthenticate: { token: string } }>(`mutation($p: String!) { reauthenticate(password: $p) { token } }`, { p: PERSONA_PASSWORD }, { token: p.token })).reauthenticate.token;
}
const download = (p: Persona, id: string) => t.gql<{ downloadBackup: Link }>(DOWNLOAD, { id }, { token: p.token });
async function link(p: Persona, id = run.id): Promise<Link> {
  return ok(await download(p, id)).downloadBackup;
}
const get = (url: string) => fetch(`${t.url}${url}`);
/** Backs up now (a queued job this server's worker takes) and waits for the run to end. */
async function backUp(p: Persona): Promise<Run | undefined> {
  const queued = ok(await t.gql<{ runBackupNow: { id: string } }>(`mutation { runBackupNow { id } }`, {}, { token: p.token })).runBackupNow;
  for (let i = 0; i < 200; i++) {
    const runs = ok(await t.gql<{ backupRuns: Run[] }>(`{ backupRuns { id status sizeBytes sha256 createdAt } }`, {}, { token: p.token })).backupRuns;
    const mine = runs.find((r) => r.id === queued.id);
    if (mine && mine.status !== 'queued' && mine.status !== 'running') return mine;
    await new Promise((r) => setTimeout(r, 100));
  }
  return undefined;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bulwark-backup-downloads-'));
  t = await startTestServer(apiPlugins, { BULWARK_BACKUP_DIR: dir, BULWARK_BACKUP_SCHEDULER_SECONDS: '0' });
  a = await createPersonas(t, 'dl-main');
  b = await createPersonas(t, 'dl-other');
  run = (await backUp(a.admin)) as Run;
  expect(run).toMatchObject({ status: 'succeeded' });
  failedRunId = randomUUID();
  await t.ownerSql(`insert into backup_runs (id, tenant_id, status, trigger, encryption, error, created_at) values ($1, $2, 'failed', 'manual', 'aes-256-gcm', 'disk full', now())`, [failedRunId, a.tenantId]);
}, 60_000);
afterAll(async () => {
  await t?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('downloadBackup', () => {
  it('is FORBIDDEN without backups.download, even to those who read the runs (auditors)', async () => {
    for (const p of [a.agent, a.auditor, a.requester]) {
      await sudo(p);
      expect({ role: p.role, code: code(await download(p, run.id)) }).toEqual({ role: p.role, code: 'FORBIDDEN' });
    }
  });

  it('needs a recent re-authentication (B8)', async () => {
    expect(code(await download(a.admin, run.id))).toBe('REAUTH_REQUIRED');
    expect(code(await download(a.owner, run.id))).toBe('REAUTH_REQUIRED');
  });

  it("finds only succeeded runs of the caller's tenant", async () => {
    await sudo(b.admin);
    expect(code(await download(b.admin, run.id))).toBe('NOT_FOUND'); // another tenant's run
    await sudo(a.admin);
    expect(code(await download(a.admin, failedRunId))).toBe('NOT_FOUND');
    expect(code(await download(a.admin, randomUUID()))).toBe('NOT_FOUND');
    expect(code(await download(a.admin, 'not-a-uuid'))).toBe('NOT_FOUND');
    expect(await t.ownerSql(`select 1 from backup_downloads`)).toEqual([]);
  });

  it('streams the stored file byte for byte, once, with its name, size and no caching', async () => {
    await sudo(a.owner);
    const before = t.clock.now().getTime();
    const l = await link(a.owner);
    expect(l.url).toMatch(/^\/api\/backups\/download\/bwd_[A-Za-z0-9_-]{65}$/);
    expect(new Date(l.expiresAt).getTime() - before).toBeGreaterThan(4 * 60_000);
    expect(new Date(l.expiresAt).getTime() - before).toBeLessThanOrEqual(5 * 60_000 + 1000);
    expect(l).toMatchObject({ sizeBytes: run.sizeBytes, sha256: run.sha256, fileName: `dl-main-${run.createdAt.slice(0, 10)}-${run.id.slice(0, 8)}.bwb` });

    const res = await get(l.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${l.fileName}"`);
    expect(res.headers.get('content-length')).toBe(String(run.sizeBytes));
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = Buffer.from(await res.arrayBuffer());
    expect(body.equals(readFileSync(join(dir, a.tenantId, `${run.id}.bwb`)))).toBe(true);
    expect(sha256(body)).toBe(run.sha256);

    const again = await get(l.url);
    expect(again.status).toBe(404);
    expect(await again.json()).toEqual({ errors: [{ message: 'This download link is used, expired or unknown', extensions: { code: 'NOT_FOUND' } }] });
    expect(t.logs().some((line) => line.includes(l.url.split('/').pop()!))).toBe(false); // B9: never logged
  });

  it('gives the file to exactly one of several racing downloads of a link', async () => {
    const l = await link(a.owner);
    const statuses = await Promise.all([1, 2, 3].map(() => get(l.url).then(async (r) => (await r.arrayBuffer(), r.status))));
    expect(statuses.sort()).toEqual([200, 404, 404]);
  });

  it('is not found once expired, nor with another tenant named in it, nor when made up', async () => {
    const l = await link(a.owner);
    const token = l.url.split('/').pop()!;
    const hash = createHash('sha256').update(token).digest();
    await t.ownerSql(`update backup_downloads set expires_at = now() - interval '1 second' where token_hash = $1`, [hash]);
    expect((await get(l.url)).status).toBe(404);
    const [row] = await t.ownerSql<{ used_at: Date | null }>(`select used_at from backup_downloads where token_hash = $1`, [hash]);
    expect(row.used_at).toBeNull(); // not claimed: a dead link changes nothing

    const fresh = (await link(a.owner)).url;
    const other = Buffer.from(b.tenantId.replace(/-/g, ''), 'hex').toString('base64url');
    expect((await get(fresh.replace(/bwd_.{22}/, `bwd_${other}`))).status).toBe(404); // D4
    expect((await get(`${fresh.slice(0, -4)}AAAA`)).status).toBe(404);
    expect((await get('/api/backups/download/nonsense')).status).toBe(404);
    expect((await get(fresh)).status).toBe(200); // none of that spent the real link
  });

  it('stores only the hash of the token, and records backups.downloaded with the run as target and no token', async () => {
    const r = await download(a.owner, run.id);
    const { url } = ok(r).downloadBackup;
    const token = url.split('/').pop()!;
    const rows = await t.ownerSql<Record<string, unknown>>(`select * from backup_downloads where tenant_id = $1 order by created_at desc limit 1`, [a.tenantId]);
    expect(rows[0]).toMatchObject({ run_id: run.id, user_id: a.owner.id, used_at: null });
    expect(rows[0].token_hash).toEqual(createHash('sha256').update(token).digest());
    expect(JSON.stringify(rows[0])).not.toContain(token.slice(4));

    const events = await t.ownerSql<Record<string, unknown>>(`select * from audit_events where request_id = $1`, [r.headers.get('x-request-id')]);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      tenant_id: a.tenantId,
      action: 'backups.downloaded',
      actor_type: 'user',
      actor_id: a.owner.id,
      target_type: 'BackupRun',
      target_id: run.id,
      outcome: 'success',
      details: expect.objectContaining({ sha256: run.sha256, sizeBytes: run.sizeBytes }),
    });
    const stored = JSON.stringify(events[0]);
    expect(stored).not.toContain(token.slice(4));
    expect(stored).not.toContain(url);
  });

  it('raises a security alert under an "export" rule: a download takes all of the data away', async () => {
    ok(await t.gql(`mutation { createAlertRule(input: { name: "data leaving", kind: "export" }) { rule { id } } }`, {}, { token: b.admin.token }));
    const bRun = await backUp(b.admin);
    expect(bRun).toMatchObject({ status: 'succeeded' });
    await sudo(b.admin);
    await link(b.admin, bRun!.id);
    // Alerts are raised once the download's transaction has committed, after its answer.
    let alerts: { kind: string; title: string }[] = [];
    for (let i = 0; i < 100 && !alerts.length; i++) {
      if (i) await new Promise((r) => setTimeout(r, 50));
      alerts = ok(await t.gql<{ securityAlerts: { kind: string; title: string }[] }>(`{ securityAlerts { kind title } }`, {}, { token: b.auditor.token })).securityAlerts;
    }
    expect(alerts).toEqual([{ kind: 'export', title: 'Backup downloaded by admin of dl-other' }]);
  });

  it('leaves the links out of backups, like the other live credentials, so a backup made after downloads restores', async () => {
    expect((await t.ownerSql(`select 1 from backup_downloads where tenant_id = $1`, [a.tenantId])).length).toBeGreaterThan(0);
    const queued = ok(await t.gql<{ runBackupNow: { id: string } }>(`mutation { runBackupNow { id } }`, {}, { token: a.admin.token })).runBackupNow;
    let counts: Record<string, number> | null = null;
    for (let i = 0; i < 200 && !counts; i++) {
      await new Promise((r) => setTimeout(r, 100));
      [{ counts }] = await t.ownerSql<{ counts: Record<string, number> | null }>(`select counts from backup_runs where id = $1`, [queued.id]);
    }
    expect(counts).toHaveProperty('tickets');
    expect(counts).not.toHaveProperty('backup_downloads');
    // Into a new workspace, where a link to a run of this one would point at nothing.
    await sudo(a.owner);
    const copy = await t.gql<{ restoreBackup: { newWorkspaceSlug: string } }>(
      `mutation($i: RestoreInput!) { restoreBackup(input: $i) { newWorkspaceSlug } }`,
      { i: { runId: queued.id, dryRun: false, newWorkspace: { slug: 'dl-copy', name: 'Copy' } } },
      { token: a.owner.token },
    );
    expect(ok(copy).restoreBackup.newWorkspaceSlug).toBe('dl-copy');
  });
});
