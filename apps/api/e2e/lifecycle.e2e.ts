/**
 * The server process and its embedded PostgreSQL, as a newcomer runs them: crash recovery
 * (kill -9 leaves postgres running), clean shutdown, and the CLI against the same data folder
 * while the server runs and after it stopped.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeDataDir, runCli, startApp } from '../../../tools/e2e/harness';

/** Running and not a zombie (an orphan can stay a zombie until PID 1 reaps it). */
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat[stat.lastIndexOf(')') + 2] !== 'Z';
};
const postmasterPid = (dir: string) => Number(readFileSync(join(dir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
const apiPid = (dir: string) => (JSON.parse(readFileSync(join(dir, 'embedded-postgres.json'), 'utf8')) as { pid: number }).pid;

async function signIn(url: string, tenant: string, email: string, password: string) {
  const r = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: `mutation($i: LoginInput!) { login(input: $i) { token } }`, variables: { i: { tenant, email, password } } }),
  });
  return ((await r.json()) as { data?: { login: { token: string } } }).data?.login.token;
}

jest.setTimeout(240_000);

describe('embedded PostgreSQL lifecycle', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-lifecycle-'));
  afterAll(() => removeDataDir(dir));
  const env = { BULWARK_DATA_DIR: dir, DATABASE_URL: undefined, NODE_ENV: 'development' };

  it('creates tenants from the CLI while the server runs, and after it stopped', async () => {
    const app = await startApp(dir);
    try {
      const r = runCli(['tenant', 'create', '--slug', 'cli-live', '--name', 'Made while running', '--admin-email', 'boss@live.test', '--admin-password', 'a long enough passphrase'], env);
      expect(r.stderr).toBe('');
      expect(r.stdout).toMatch(/^created tenant cli-live \([0-9a-f-]{36}\) with owner boss@live\.test$/m);
      expect(r.status).toBe(0);
      expect(await signIn(app.url, 'cli-live', 'boss@live.test', 'a long enough passphrase')).toMatch(/^bws_/);
      // the CLI joined the server's postgres and left it running
      expect((await fetch(`${app.url}/readyz`)).status).toBe(200);
      const dup = runCli(['tenant', 'create', '--slug', 'cli-live', '--name', 'Again', '--admin-email', 'x@live.test', '--admin-password', 'a long enough passphrase'], env);
      expect(dup.status).toBe(1);
      expect(dup.stderr).toMatch(/slug "cli-live" is taken/);
    } finally {
      expect(await app.stop('SIGTERM')).toBe(0);
    }
    const offline = runCli(['tenant', 'create', '--slug', 'cli-offline', '--name', 'Made while stopped', '--admin-email', 'boss@off.test', '--admin-password', 'a long enough passphrase'], env);
    expect(offline.status).toBe(0);
    const viaEnv = runCli(['tenant', 'create', '--slug', 'cli-env', '--name', 'From env', '--admin-email', 'boss@env.test', '--admin-password-env', 'BW_PW'], { ...env, BW_PW: 'a long enough passphrase' });
    expect(viaEnv.stdout).toMatch(/created tenant cli-env/);
    const weak = runCli(['tenant', 'create', '--slug', 'cli-weak', '--name', 'Weak', '--admin-email', 'boss@weak.test', '--admin-password', 'short'], env);
    expect(weak.status).toBe(1);
    expect(weak.stderr).toMatch(/at least 12 characters/);
  });

  it('recovers after kill -9 left postgres running, and stops postgres on a clean shutdown', async () => {
    const first = await startApp(dir);
    const pg1 = postmasterPid(dir);
    process.kill(apiPid(dir), 'SIGKILL');
    await first.stop('SIGKILL');
    expect(alive(pg1)).toBe(true); // the crash left an orphaned postgres behind

    const second = await startApp(dir);
    try {
      expect(alive(pg1)).toBe(false); // stopped and replaced by the new run
      // data survived: tenants from before the crash still sign in
      expect(await signIn(second.url, 'cli-offline', 'boss@off.test', 'a long enough passphrase')).toMatch(/^bws_/);
      expect(await signIn(second.url, 'demo', 'admin@demo.bulwark.test', 'correct horse battery staple')).toMatch(/^bws_/);
    } finally {
      const pg2 = postmasterPid(dir);
      expect(await second.stop('SIGTERM')).toBe(0);
      expect(alive(pg2)).toBe(false);
      expect(existsSync(join(dir, 'pg', 'postmaster.pid'))).toBe(false);
    }
  });

  it('A12 refuses the demo seed in production', () => {
    const r = runCli(['seed', 'demo'], {
      ...env,
      NODE_ENV: 'production',
      BULWARK_PASSWORD_PEPPER: 'p'.repeat(40),
      BULWARK_SMTP_URL: 'smtp://127.0.0.1:2525',
      BULWARK_PUBLIC_URL: 'https://desk.example',
      BULWARK_MASTER_KEY: 'm'.repeat(40),
      BULWARK_MAIL_DOMAIN: 'mail.desk.example',
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/refuses to run with NODE_ENV=production/);
  });
});
