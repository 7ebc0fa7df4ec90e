/**
 * G9 under a crash (issue 19 §4): kill -9 the API between the commit of a password reset and the
 * delivery of its mail. The real API runs as a child process on a test database; the SMTP server
 * on loopback holds the message unanswered, so delivery cannot finish before the kill. Started
 * again, with the receiver accepting, the API delivers the mail, once.
 */
import { apiPlugins } from '@bulwark/composition-api';
import { createPersonas } from '@bulwark/identity-api/testing';
import { eventually, startSmtpSink, startTestServer, TEST_PEPPER, type SmtpSink, type TestServer } from '@bulwark/platform-api/testing';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../../..');
let t: TestServer;
let sink: SmtpSink;
let dataDir: string;
const children: ChildProcess[] = [];

const freePort = () =>
  new Promise<number>((r) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => r(port));
    });
  });

/** `main.ts` as a process of its own (asynchronously), up once it prints its console line. */
async function startApi(): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const port = await freePort();
  const env = {
    ...process.env,
    NODE_ENV: 'test',
    PORT: String(port),
    DATABASE_URL: t.databaseUrl,
    BULWARK_DATA_DIR: dataDir,
    BULWARK_PASSWORD_PEPPER: TEST_PEPPER,
    BULWARK_MASTER_KEY: t.server.app.config.masterKey,
    BULWARK_SMTP_URL: sink.url,
    BULWARK_PUBLIC_URL: 'https://desk.example',
    BULWARK_BACKUP_SCHEDULER_SECONDS: '0',
  };
  const child = spawn(process.execPath, ['-r', '@swc-node/register', 'apps/api/src/main.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  await eventually(() => {
    if (child.exitCode !== null) throw new Error(`the API exited early:\n${out}`);
    return out.includes('Bulwark console:');
  }, 25_000, 'the API start');
  return { child, url: `http://127.0.0.1:${port}`, output: () => out };
}

const killed = (child: ChildProcess) =>
  new Promise<void>((r) => {
    child.once('exit', () => r());
    child.kill('SIGKILL');
  });

beforeAll(async () => {
  sink = await startSmtpSink();
  dataDir = mkdtempSync(join(tmpdir(), 'bulwark-mail-crash-'));
  // This process only makes the workspace; it works on no job, so only the child delivers.
  t = await startTestServer(apiPlugins, { BULWARK_WORKER: 'off', BULWARK_BACKUP_SCHEDULER_SECONDS: '0' });
  await createPersonas(t, 'crashmail');
}, 60_000);
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await t?.close();
  await sink?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('G9 a crash between commit and delivery loses no mail', () => {
  it('delivers a reset mail once after kill -9 of the API while the mail was being sent', async () => {
    const to = 'agent@crashmail.test';
    sink.hold(true);
    const first = await startApi();
    const r = await fetch(`${first.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: `mutation($i: PasswordResetRequestInput!) { requestPasswordReset(input: $i) }`, variables: { i: { tenant: 'crashmail', email: to } } }),
    });
    expect(((await r.json()) as { data: unknown }).data).toEqual({ requestPasswordReset: true });
    // Committed: the row exists, pending; and the message is on the wire, unanswered.
    const [row] = await t.ownerSql<{ id: string; tenant_id: string; status: string }>(`select id, tenant_id, status from outbox where recipient = $1`, [to]);
    expect(row.status).toBe('pending');
    await eventually(() => sink.held >= 1, 10_000, 'the mail reaching the receiver');

    await killed(first.child);
    const rowOf = async () => (await t.ownerSql<{ status: string; attempts: number }>(`select status, attempts from outbox where tenant_id = $1 and id = $2`, [row.tenant_id, row.id]))[0];
    // The claim died with the process: the row is still pending, and nothing was accepted.
    expect(await rowOf()).toEqual({ status: 'pending', attempts: 0 });
    expect(sink.received.filter((m) => m.to.includes(to))).toHaveLength(0);

    sink.hold(false);
    await startApi();
    await eventually(() => sink.received.some((m) => m.to.includes(to)), 15_000, 'the mail after the restart');
    expect(await eventually(async () => ((await rowOf()).status === 'delivered' ? rowOf() : null))).toEqual({ status: 'delivered', attempts: 1 });
    await new Promise((res) => setTimeout(res, 3000));
    const got = sink.received.filter((m) => m.to.includes(to));
    expect(got).toHaveLength(1);
    expect(got[0].raw).toMatch(/reset/i);
  }, 60_000);
});
