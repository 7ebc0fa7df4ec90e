/**
 * Backups over GraphQL: reading runs and the schedule, changing it, starting a run, and restoring
 * (backups.restore, re-authentication, a typed confirmation; another tenant's run is not found).
 */
import { startTestServer, type GqlResult, type TestServer } from '@bulwark/platform-api/testing';
import { createPersonas, mintSession, PERSONA_PASSWORD, type Persona, type TenantPersonas } from '@bulwark/identity-api/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backupTestPlugins } from './testing-plugins';

let t: TestServer;
let a: TenantPersonas;
let b: TenantPersonas;
let dir: string;
const code = (r: { errors?: { extensions?: { code?: string } }[] }) => r.errors?.[0]?.extensions?.code;
const ok = <T>(r: GqlResult<T>): T => {
  if (!r.data || r.errors) throw new Error(JSON.stringify(r.errors));
  return r.data;
};
async function sudo(p: Persona) {
  p.token = ok(await t.gql<{ reauthenticate: { token: string } }>(`mutation($p: String!) { reauthenticate(password: $p) { token } }`, { p: PERSONA_PASSWORD }, { token: p.token })).reauthenticate.token;
}
type Run = { id: string; status: string; rows: number; trigger: string };
async function newestRun(p: Persona): Promise<Run> {
  for (let i = 0; i < 100; i++) {
    const runs = ok(await t.gql<{ backupRuns: Run[] }>(`{ backupRuns { id status rows trigger } }`, {}, { token: p.token })).backupRuns;
    if (runs[0] && runs[0].status !== 'running' && runs[0].status !== 'queued') return runs[0];
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('no finished run');
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bulwark-backups-api-'));
  t = await startTestServer(backupTestPlugins, { BULWARK_BACKUP_DIR: dir, BULWARK_BACKUP_SCHEDULER_SECONDS: '0' });
  a = await createPersonas(t, 'api-backed');
  b = await createPersonas(t, 'api-other');
});
afterAll(async () => {
  await t?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('backups over GraphQL', () => {
  it('shows the schedule with its next runs, lets admins change it and start a run now', async () => {
    const s = ok(await t.gql<{ backupSchedule: { cron: string; nextRuns: string[]; encryption: string; storage: string } }>(`{ backupSchedule { cron timezone retentionCount enabled nextRuns encryption storage } }`, {}, { token: a.auditor.token })).backupSchedule;
    expect(s).toMatchObject({ cron: '0 2 * * *', encryption: 'aes-256-gcm', storage: 'local' });
    expect(s.nextRuns).toHaveLength(5);
    expect(code(await t.gql(`{ backupSchedule { cron } }`, {}, { token: a.agent.token }))).toBe('FORBIDDEN');
    const UPDATE = `mutation($i: BackupScheduleInput!) { updateBackupSchedule(input: $i) { cron timezone nextRuns } }`;
    expect(code(await t.gql(UPDATE, { i: { cron: 'nonsense cron', timezone: 'UTC', retentionCount: 5, enabled: true } }, { token: a.admin.token }))).toBe('BAD_USER_INPUT');
    expect(code(await t.gql(UPDATE, { i: { cron: '0 3 * * *', timezone: 'UTC', retentionCount: 5, enabled: true } }, { token: a.auditor.token }))).toBe('FORBIDDEN');
    const updated = ok(await t.gql<{ updateBackupSchedule: { cron: string; nextRuns: string[] } }>(UPDATE, { i: { cron: '0 3 * * *', timezone: 'Europe/Paris', retentionCount: 5, enabled: true } }, { token: a.admin.token })).updateBackupSchedule;
    expect(updated.cron).toBe('0 3 * * *');
    expect(new Date(updated.nextRuns[0]).getUTCHours()).toBe(2); // 03:00 in Paris in winter
    // Queued as a job (pg-boss) and answered at once with its run; this server's worker takes it.
    const queued = ok(await t.gql<{ runBackupNow: Run }>(`mutation { runBackupNow { id status trigger } }`, {}, { token: a.admin.token })).runBackupNow;
    expect(queued).toMatchObject({ status: 'queued', trigger: 'manual' });
    const run = await newestRun(a.admin);
    expect(run).toMatchObject({ id: queued.id, status: 'succeeded', trigger: 'manual' });
    expect(run.rows).toBeGreaterThan(5);
  });

  it('restores only for backups.restore, after re-authentication, with the workspace typed to confirm', async () => {
    ok(await t.gql(`mutation { runBackupNow { id } }`, {}, { token: a.admin.token }));
    const run = await newestRun(a.owner);
    const RESTORE = `mutation($i: RestoreInput!) { restoreBackup(input: $i) { dryRun rows counts } }`;
    expect(code(await t.gql(RESTORE, { i: { runId: run.id } }, { token: a.admin.token }))).toBe('FORBIDDEN'); // admins lack backups.restore
    expect(code(await t.gql(RESTORE, { i: { runId: run.id } }, { token: a.owner.token }))).toBe('REAUTH_REQUIRED');
    await sudo(a.owner);
    const dry = ok(await t.gql<{ restoreBackup: { dryRun: boolean; rows: number } }>(RESTORE, { i: { runId: run.id } }, { token: a.owner.token })).restoreBackup;
    expect(dry).toMatchObject({ dryRun: true, rows: run.rows });
    expect(code(await t.gql(RESTORE, { i: { runId: run.id, dryRun: false, confirm: 'wrong-name' } }, { token: a.owner.token }))).toBe('BAD_USER_INPUT');
    await sudo(b.owner);
    expect(code(await t.gql(RESTORE, { i: { runId: run.id } }, { token: b.owner.token }))).toBe('NOT_FOUND'); // another tenant's run
    const real = ok(await t.gql<{ restoreBackup: { dryRun: boolean; rows: number } }>(RESTORE, { i: { runId: run.id, dryRun: false, confirm: 'api-backed' } }, { token: a.owner.token })).restoreBackup;
    expect(real).toMatchObject({ dryRun: false, rows: run.rows });
    const [event] = await t.ownerSql<{ actor_type: string; actor_id: string }>(`select actor_type, actor_id from audit_events where tenant_id = $1 and action = 'backups.restored'`, [a.tenantId]);
    expect(event).toEqual({ actor_type: 'user', actor_id: a.owner.id });
  });

  it('restores into a new workspace without a typed confirmation, refusing a taken name', async () => {
    // The restore above signed everyone of this tenant out.
    for (const p of [a.admin, a.owner]) p.token = await mintSession(t, a.tenantId, p.id);
    ok(await t.gql(`mutation { runBackupNow { id } }`, {}, { token: a.admin.token }));
    const run = await newestRun(a.owner);
    const RESTORE = `mutation($i: RestoreInput!) { restoreBackup(input: $i) { dryRun rows newWorkspaceSlug } }`;
    const into = (slug: string) => ({ i: { runId: run.id, dryRun: false, newWorkspace: { slug, name: 'Sandbox copy' } } });
    expect(code(await t.gql(RESTORE, into('api-sandbox'), { token: a.admin.token }))).toBe('FORBIDDEN');
    await sudo(a.owner);
    const taken = await t.gql(RESTORE, into('api-other'), { token: a.owner.token });
    expect([code(taken), taken.errors?.[0]?.message]).toEqual(['CONFLICT', 'The slug "api-other" is taken']);
    expect(code(await t.gql(RESTORE, into('Not A Slug!'), { token: a.owner.token }))).toBe('BAD_USER_INPUT');
    // A failure inside the database is told without its SQL or row values (logged instead).
    // (A constraint no user row can meet, checked only for new rows.)
    await t.ownerSql(`alter table users add constraint no_restore check (tenant_id is null) not valid`);
    const failed = await t.gql(RESTORE, into('api-failed'), { token: a.owner.token });
    await t.ownerSql(`alter table users drop constraint no_restore`);
    expect(code(failed)).toBe('BAD_USER_INPUT');
    expect(failed.errors?.[0]?.message).toMatch(/^The backup cannot be restored: its rows do not fit this database \(request [0-9a-f-]{36}; see the server log\)$/);
    expect(await t.ownerSql(`select 1 from tenants where slug = 'api-failed'`)).toEqual([]);
    const made = ok(await t.gql<{ restoreBackup: { rows: number; newWorkspaceSlug: string } }>(RESTORE, into('api-sandbox'), { token: a.owner.token })).restoreBackup;
    expect(made).toMatchObject({ dryRun: false, rows: run.rows, newWorkspaceSlug: 'api-sandbox' });
    const login = ok(await t.gql<{ login: { token: string } }>(`mutation($i: LoginInput!) { login(input: $i) { token } }`, { i: { tenant: 'api-sandbox', email: a.owner.email, password: PERSONA_PASSWORD } })).login;
    expect(ok(await t.gql<{ me: { email: string } }>(`{ me { email } }`, {}, { token: login.token })).me.email).toBe(a.owner.email);
  });
});
