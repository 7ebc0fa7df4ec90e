/**
 * Backups over GraphQL: reading runs and the schedule, changing it, starting a run, and restoring
 * (backups.restore, re-authentication, a typed confirmation; another tenant's run is not found).
 */
import { createLogger, errorText, withSystemContext } from '@bulwark/platform-api';
import { startTestServer, TEST_PEPPER, type GqlResult, type TestServer } from '@bulwark/platform-api/testing';
import { createUser, encryptTotpSecret } from '@bulwark/identity-api';
import { createPersonas, mintSession, PERSONA_PASSWORD, type Persona, type TenantPersonas } from '@bulwark/identity-api/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { restoreTenant } from './restore.service';
import { localStorage } from './storage';
import { apiPlugins } from '@bulwark/composition-api';

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
  t = await startTestServer(apiPlugins, { BULWARK_BACKUP_DIR: dir, BULWARK_BACKUP_SCHEDULER_SECONDS: '0' });
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
    const unconfirmed = await t.gql(RESTORE, { i: { runId: run.id, dryRun: false, confirm: 'wrong-name' } }, { token: a.owner.token });
    expect(unconfirmed.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'CONFIRMATION_MISMATCH', fields: { confirm: 'mismatch' } });
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

  it('F6: a restore that fails in the database logs what failed, never the rows it carried', async () => {
    for (const p of [a.admin, a.owner]) p.token = await mintSession(t, a.tenantId, p.id);
    // A person with two-factor sign-in: their sealed secret is in the archive, beside every password hash.
    const sealed = encryptTotpSecret(TEST_PEPPER, 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', { tenantId: a.tenantId, userId: a.agent.id });
    await t.ownerSql(`update users set totp_secret_enc = $1, totp_enabled_at = now(), name = 'Zelda Rowvalue' where id = $2`, [sealed, a.agent.id]);
    ok(await t.gql(`mutation { runBackupNow { id } }`, {}, { token: a.admin.token }));
    const run = await newestRun(a.owner);
    const rows = await t.ownerSql<{ password_hash: string; email: string }>(`select password_hash, email from users where tenant_id = $1`, [a.tenantId]);
    await sudo(a.owner);
    t.expectErrors(/"restore failed in the database"/);
    // Every archived person now breaks a constraint, checked only for new rows: the insert fails.
    await t.ownerSql(`alter table users add constraint f6_probe check (tenant_id is null) not valid`);
    let direct: unknown;
    try {
      const failed = await t.gql(`mutation($i: RestoreInput!) { restoreBackup(input: $i) { rows } }`, { i: { runId: run.id, dryRun: false, confirm: 'api-backed' } }, { token: a.owner.token });
      expect(code(failed)).toBe('BAD_USER_INPUT');
      // What the CLI prints when the same restore fails under it.
      const deps = { orm: t.server.orm, app: t.server.app, storage: localStorage(dir), schemas: t.server.api.migrations.map((m) => m.name) };
      const [{ storage_key }] = await t.ownerSql<{ storage_key: string }>(`select storage_key from backup_runs where id = $1`, [run.id]);
      direct = await restoreTenant(deps, a.tenantId, deps.storage.get(storage_key)).catch((e: unknown) => e);
      const requestId = failed.headers.get('x-request-id')!;
      const lines = t.logs().filter((l) => l.includes(requestId));
      const logged = lines.map((l) => JSON.parse(l) as { msg: string; error?: Record<string, unknown> }).find((l) => l.msg === 'restore failed in the database');
      expect(logged?.error).toMatchObject({ code: '23514', constraint: 'f6_probe', table: 'users', message: 'new row for relation "users" violates check constraint "f6_probe"' });
      for (const text of [lines.join('\n'), errorText(direct)]) {
        for (const r of rows) {
          expect(text).not.toContain(r.password_hash);
          expect(text).not.toContain(r.email);
        }
        expect(text).not.toContain(sealed);
        expect(text).not.toContain('Zelda Rowvalue');
        expect(text).not.toMatch(/insert into|Failing row|password_hash|totp_secret/i);
      }
      expect(errorText(direct)).toBe('new row for relation "users" violates check constraint "f6_probe" (SQLSTATE 23514; constraint f6_probe, table users)');
      // Through the ORM the error is MikroORM's, its message the statement plus `detail` (the failing row).
      const orm = await withSystemContext(t.server.orm, t.server.app, a.tenantId, 'f6', (ctx) => createUser(ctx, { email: 'orm-row@f6.test', name: 'Orm Rowvalue', role: 'agent', passwordHash: rows[0].password_hash }).then(() => undefined)).catch((e: Error) => e);
      expect(orm?.message).toContain(rows[0].password_hash); // what would be logged without the serialiser
      // PostgreSQL leaves `detail` out under RLS; as the owner it echoes the row, and MikroORM appends it.
      const detail = `Failing row contains (orm-row@f6.test, ${rows[0].password_hash}).`;
      const owner = Object.assign(new Error(`insert into "users" values ('orm-row@f6.test') - new row for relation "users" violates check constraint "f6_probe"\n - detail: ${detail}`), { code: '23514', severity: 'ERROR', detail, constraint: 'f6_probe', table: 'users' });
      const out: string[] = [];
      const log = createLogger({}, (l) => out.push(l));
      log.error('flush failed', { error: orm });
      log.error('owner statement failed', { error: owner });
      expect(out.map((l) => JSON.parse(l).error)).toEqual([
        expect.objectContaining({ name: 'CheckConstraintViolationException', code: '23514', constraint: 'f6_probe', table: 'users', message: 'new row for relation "users" violates check constraint "f6_probe"' }),
        expect.objectContaining({ code: '23514', constraint: 'f6_probe', table: 'users', message: 'new row for relation "users" violates check constraint "f6_probe"' }),
      ]);
      expect(out.join('\n')).not.toMatch(/orm-row@f6\.test|Orm Rowvalue|Failing row|insert into/);
      expect(out.join('\n')).not.toContain(rows[0].password_hash);
    } finally {
      await t.ownerSql(`alter table users drop constraint f6_probe`);
    }
  });
});
