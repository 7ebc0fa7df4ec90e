/**
 * Backups as operators run them (issue 5 §1, §8): an API process that leaves jobs to others
 * (BULWARK_WORKER=off) queues a backup, and a separate `cli worker` process — same code, another
 * process — takes it; then the backup CLI: `run` with its progress line, `list`, `verify` (a
 * flipped byte exits 2) and `restore --dry-run`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_PASSWORD, removeDataDir, ROOT, runCli, startApp } from '../../../tools/e2e/harness';

jest.setTimeout(300_000);

const gql = async <T>(url: string, query: string, variables: object, token?: string) => {
  const r = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await r.json()) as { data?: T; errors?: unknown[] };
  if (!body.data) throw new Error(JSON.stringify(body.errors));
  return body.data;
};

type Run = { id: string; status: string; rows: number | null };

describe('backup jobs in a separate worker process, and the backup CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-backup-worker-'));
  afterAll(() => removeDataDir(dir));
  const env = { BULWARK_DATA_DIR: dir, DATABASE_URL: undefined, NODE_ENV: 'development' };

  it('leaves a queued backup to the worker, which runs it; the CLI backs up, lists, verifies and dry-runs a restore', async () => {
    const app = await startApp(dir, { BULWARK_WORKER: 'off' });
    try {
      const { login } = await gql<{ login: { token: string } }>(app.url, `mutation($i: LoginInput!) { login(input: $i) { token } }`, {
        i: { tenant: 'demo', email: 'admin@demo.bulwark.test', password: DEMO_PASSWORD },
      });
      const runs = async () => (await gql<{ backupRuns: Run[] }>(app.url, `{ backupRuns { id status rows } }`, {}, login.token)).backupRuns;
      const { runBackupNow } = await gql<{ runBackupNow: Run }>(app.url, `mutation { runBackupNow { id status rows } }`, {}, login.token);
      expect(runBackupNow.status).toBe('queued');
      // No process works on jobs yet: it stays queued.
      await new Promise((r) => setTimeout(r, 3000));
      expect((await runs()).find((r) => r.id === runBackupNow.id)?.status).toBe('queued');

      const worker = spawn(process.execPath, ['-r', '@swc-node/register', 'apps/cli/src/main.ts', 'worker'], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      worker.stdout!.on('data', (d) => (out += d));
      worker.stderr!.on('data', (d) => (out += d));
      const exited = new Promise<number | null>((r) => worker.once('exit', (code) => r(code)));
      let done: Run | undefined;
      for (let i = 0; i < 600 && !done; i++) {
        const r = (await runs()).find((x) => x.id === runBackupNow.id);
        if (r && r.status !== 'queued' && r.status !== 'running') done = r;
        else await new Promise((res) => setTimeout(res, 100));
      }
      expect(out).toMatch(/worker started/);
      expect(done).toMatchObject({ status: 'succeeded' });
      expect(done!.rows).toBeGreaterThan(10);
      worker.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(out).toMatch(/stopping/);

      // The CLI, beside the running server (it joins its embedded PostgreSQL).
      const made = runCli(['backup', 'run', '--tenant', 'demo'], env);
      expect(made.status).toBe(0);
      expect(made.stderr).toMatch(/writing \w+: \d+ rows \(\d+\/s\)/); // progress: rows per second (and MB/s)
      const file = /^file: (.+)$/m.exec(made.stdout)![1];
      const id = /^backup ([0-9a-f-]{36}) of demo: succeeded/m.exec(made.stdout)![1];
      const list = runCli(['backup', 'list', '--tenant', 'demo'], env).stdout;
      expect(list).toMatch(new RegExp(`^${id}\\t\\S+\\tsucceeded\\tcli\\t\\d+ bytes$`, 'm'));
      expect(list).toMatch(new RegExp(`^${runBackupNow.id}\\t\\S+\\tsucceeded\\tmanual\\t`, 'm'));
      const verified = runCli(['backup', 'verify', file], env);
      expect(verified.stdout).toMatch(/^verified: tenant [0-9a-f-]{36}, written /m);
      expect(verified.status).toBe(0);
      const flipped = Buffer.from(readFileSync(file));
      flipped[Math.floor(flipped.length / 2)] ^= 0x04;
      const bad = join(dir, 'flipped.bwb');
      writeFileSync(bad, flipped);
      const refused = runCli(['backup', 'verify', bad], env);
      expect(refused.stdout).toMatch(/does NOT verify/);
      expect(refused.status).toBe(2);
      const dry = runCli(['backup', 'restore', '--tenant', 'demo', '--run', id, '--dry-run'], env);
      expect(dry.stdout).toMatch(/dry run: the archive verifies; nothing changed: \d+ rows/);
      expect(dry.status).toBe(0);
    } finally {
      expect(await app.stop('SIGTERM')).toBe(0);
    }
  });
});
