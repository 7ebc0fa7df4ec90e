/**
 * The outbox (SECURITY.md G9): work a change causes is recorded in the change's transaction and
 * delivered by the job queue; a crash loses none and two processes never deliver one twice.
 * Real PostgreSQL, real pg-boss, and a real SMTP server on loopback that counts what it gets.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from './config';
import { createLogger } from './logger';
import { noJobs, type JobServices } from './jobs';
import { deliverOutboxRow, queueMail } from './outbox';
import { platformPlugin } from './platform.plugin';
import { sealSecret } from './sealing';
import { startServer, type BulwarkServer } from './server';
import { withSystemContext } from './system-context';
import { defineApiPlugin } from './plugin';
import { Mutation, Query, Resolver } from 'type-graphql';
import { eventually, startSmtpSink, startTestServer, TEST_PEPPER, type SmtpSink, type TestServer } from './testing';

// The kernel alone: a server needs an authenticator, a query and a mutation; none is called here.
@Resolver()
class NothingResolver {
  @Query(() => Boolean)
  outboxSpec(): boolean {
    return true;
  }

  @Mutation(() => Boolean)
  outboxSpecChange(): boolean {
    return true;
  }
}
const specPlugin = defineApiPlugin({ name: 'outbox-spec', authenticator: { authenticate: async () => undefined }, resolvers: [NothingResolver] });
const plugins = [platformPlugin, specPlugin];

let t: TestServer;
let sink: SmtpSink;
const tenantId = randomUUID();
const RETRY_BASE_MS = 250;

interface Row {
  status: string;
  attempts: number;
  last_error: string | null;
  payload: string | null;
  next_attempt_at: Date;
  delivered_at: Date | null;
}
const rowOf = async (id: string) => (await t.ownerSql<Row>(`select * from outbox where tenant_id = $1 and id = $2`, [tenantId, id]))[0];
const at = (to: string) => sink.received.filter((m) => m.to.includes(to));

/** A change that queues mail, as a feature's service would, in one transaction of `server`. */
function change(server: BulwarkServer, mails: { to: string; text?: string }[], opts: { fail?: boolean; jobs?: boolean } = {}): Promise<string[]> {
  const app = opts.jobs === false ? { ...server.app, jobs: noJobs } : server.app;
  return withSystemContext(server.orm, app, tenantId, 'outbox spec', async (ctx) => {
    const ids: string[] = [];
    for (const m of mails) ids.push(await queueMail(ctx, { to: m.to, subject: `For ${m.to}`, text: m.text ?? 'Hello' }));
    if (opts.fail) throw new Error('the change fails after queueing its mail');
    return ids;
  });
}

function secondProcess(): Promise<BulwarkServer> {
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: '0',
    DATABASE_URL: t.databaseUrl,
    BULWARK_PASSWORD_PEPPER: TEST_PEPPER,
    BULWARK_MASTER_KEY: t.server.app.config.masterKey,
    BULWARK_DATA_DIR: mkdtempSync(join(tmpdir(), 'bulwark-outbox-second-')),
    BULWARK_SMTP_URL: sink.url,
    BULWARK_OUTBOX_RETRY_BASE_MS: String(RETRY_BASE_MS),
  });
  return startServer(plugins, config, { log: createLogger({}, () => undefined), database: { url: t.databaseUrl } });
}

beforeAll(async () => {
  sink = await startSmtpSink();
  t = await startTestServer(
    plugins,
    { BULWARK_SMTP_URL: sink.url, BULWARK_OUTBOX_RETRY_BASE_MS: String(RETRY_BASE_MS), BULWARK_OUTBOX_MAX_ATTEMPTS: '3' },
    { mail: 'configured' },
  );
  await t.ownerSql(`insert into tenants (id, slug, name) values ($1, 'outboxed', 'Outboxed')`, [tenantId]);
});
afterAll(async () => {
  await t?.close();
  await sink?.close();
});
afterEach(() => sink.refuse(null));

describe('G9 work caused by a change is recorded in its transaction', () => {
  it('sends nothing for a rolled-back change, and exactly once for a committed one', async () => {
    await expect(change(t.server, [{ to: 'rolled-back@example.test' }], { fail: true })).rejects.toThrow('the change fails');
    const [id] = await change(t.server, [{ to: 'committed@example.test' }]);
    await eventually(async () => (await rowOf(id)).status === 'delivered');
    expect((await t.ownerSql(`select 1 from outbox where recipient = 'rolled-back@example.test'`)).length).toBe(0);
    await new Promise((r) => setTimeout(r, 500));
    expect(at('rolled-back@example.test')).toHaveLength(0);
    expect(at('committed@example.test')).toHaveLength(1);
  });

  it('keeps the payload sealed while it waits (no reset link at rest), and drops it once delivered', async () => {
    const link = `https://desk.example/#/reset?token=bwr_${randomUUID().slice(0, 13)}`;
    // The first try is refused, so the row waits with its payload for the next one.
    let tries = 0;
    sink.refuse((to) => (to === 'sealed@example.test' && tries++ === 0 ? 451 : null));
    const [id] = await change(t.server, [{ to: 'sealed@example.test', text: `Reset: ${link}` }]);
    const waiting = await eventually(async () => ((await rowOf(id)).attempts === 1 ? rowOf(id) : null));
    expect(waiting.status).toBe('pending');
    expect(waiting.payload).toMatch(/^v1\./);
    expect(waiting.payload).not.toContain('bwr_');
    expect(JSON.stringify(await t.ownerSql(`select * from outbox where id = $1`, [id]))).not.toContain(link.split('=')[1]);
    const done = await eventually(async () => ((await rowOf(id)).status === 'delivered' ? rowOf(id) : null));
    expect(done.payload).toBeNull();
    expect(at('sealed@example.test')).toHaveLength(1);
    expect(at('sealed@example.test')[0].raw).toContain(link.split('=')[1]);
  });
});

describe('G9 delivered by the job queue, retried with backoff', () => {
  it('retries a failing receiver with growing waits, recording each attempt and its error, until it accepts', async () => {
    let tries = 0;
    sink.refuse((to) => (to === 'flaky@example.test' && tries++ < 2 ? 451 : null));
    const [id] = await change(t.server, [{ to: 'flaky@example.test' }]);
    const afterFirst = await eventually(async () => ((await rowOf(id)).attempts >= 1 ? rowOf(id) : null));
    expect(afterFirst.last_error).toMatch(/451/);
    const done = await eventually(async () => ((await rowOf(id)).status === 'delivered' ? rowOf(id) : null));
    expect(done.attempts).toBe(3);
    expect(done.last_error).toBeNull();
    expect(at('flaky@example.test')).toHaveLength(1);
    // Backoff: the base, then four times the base.
    const waits = t
      .logs()
      .filter((l) => l.includes('delivery failed, will retry') && l.includes(id))
      .map((l) => (JSON.parse(l) as { retryInMs: number }).retryInMs);
    expect(waits).toEqual([RETRY_BASE_MS, 4 * RETRY_BASE_MS]);
  });

  it('gives up after the most attempts: the message is marked failed with its last error, its payload kept sealed for a retry', async () => {
    t.expectErrors(/delivery given up/);
    sink.refuse((to) => (to === 'never@example.test' ? 550 : null));
    const [id] = await change(t.server, [{ to: 'never@example.test' }]);
    const failed = await eventually(async () => ((await rowOf(id)).status === 'failed' ? rowOf(id) : null), 20_000);
    expect(failed.attempts).toBe(3);
    expect(failed.last_error).toMatch(/550/);
    expect(failed.payload).toMatch(/^v1\./);
    expect(failed.delivered_at).toBeNull();
    expect(at('never@example.test')).toHaveLength(0);
  });
});

describe('G9 a crash loses none and two processes never deliver one twice', () => {
  let second: BulwarkServer | undefined;
  afterAll(() => second?.close());

  it('delivers a message no job was queued for (a crash between commit and queueing) from the sweeper at worker start', async () => {
    // A process without a queue commits the row; no job exists for it.
    const [id] = await change(t.server, [{ to: 'orphan@example.test' }], { jobs: false });
    // And a row written by hand, as if the queueing had failed after the commit.
    const handId = randomUUID();
    const message = { to: 'orphan2@example.test', subject: 'By hand', text: 'Hello', messageId: `${handId}@example.test` };
    await t.ownerSql(
      `insert into outbox (tenant_id, id, kind, recipient, summary, payload, next_attempt_at, created_at) values ($1, $2, 'platform.mail', $3, 'By hand', $4, now(), now())`,
      [tenantId, handId, message.to, sealSecret(t.server.app.config.masterKey, 'outbox', JSON.stringify(message), handId)],
    );
    await new Promise((r) => setTimeout(r, 300));
    expect((await rowOf(id)).status).toBe('pending');
    // The sweeper at worker start takes rows due now (the minute's pass waits 30 s for jobs).
    second = await secondProcess();
    await eventually(async () => (await rowOf(id)).status === 'delivered' && (await rowOf(handId)).status === 'delivered');
    expect(at('orphan@example.test')).toHaveLength(1);
    expect(at('orphan2@example.test')).toHaveLength(1);
  });

  it('delivers each of N messages exactly once with two processes working the same queue', async () => {
    second ??= await secondProcess();
    const N = 30;
    const before = sink.received.length;
    const tos = Array.from({ length: N }, (_, i) => ({ to: `twice-${i}@example.test` }));
    const ids = await change(t.server, tos);
    // Besides the queued jobs, both processes try every row at once, as duplicate jobs would.
    const services = (s: BulwarkServer): JobServices => ({ ...s.app, orm: s.orm });
    await Promise.all(ids.flatMap((id) => [deliverOutboxRow(services(t.server), tenantId, id), deliverOutboxRow(services(second!), tenantId, id)]));
    await eventually(async () => (await t.ownerSql(`select 1 from outbox where tenant_id = $1 and id = any($2) and status = 'delivered'`, [tenantId, ids])).length === N);
    await new Promise((r) => setTimeout(r, 1500));
    const got = sink.received.slice(before).filter((m) => m.to[0].startsWith('twice-'));
    expect(got).toHaveLength(N);
    expect(new Set(got.map((m) => m.to[0])).size).toBe(N);
    expect(new Set(got.map((m) => m.messageId)).size).toBe(N);
  });
});
