/**
 * F5 under a crash (issue 4): kill -9 the API process in the middle of a stream of mutations, then
 * look at the database. Every ticket that committed has its creation event and every creation event
 * has its ticket; the chain verifies (CLI `audit verify`), and the restarted server goes on
 * appending to it. Also the CLI's audit commands and the platform lockdown event.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { removeDataDir, runCli, startApp } from '../../../tools/e2e/harness';

jest.setTimeout(300_000);

const gql = async (url: string, query: string, variables: object, token?: string) => {
  const r = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return (await r.json()) as { data?: Record<string, { token?: string; id?: string }>; errors?: unknown[] };
};

/** The embedded cluster's owner connection (the data folder keeps its port and password). */
function ownerClient(dir: string): Client {
  const { port } = JSON.parse(readFileSync(join(dir, 'embedded-postgres.json'), 'utf8')) as { port: number };
  const { postgresPassword } = JSON.parse(readFileSync(join(dir, 'secrets.json'), 'utf8')) as { postgresPassword: string };
  return new Client({ connectionString: `postgres://postgres:${encodeURIComponent(postgresPassword)}@127.0.0.1:${port}/bulwark` });
}

describe('F5 kill -9 during a stream of mutations', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-crash-'));
  afterAll(() => removeDataDir(dir));
  const env = { BULWARK_DATA_DIR: dir, DATABASE_URL: undefined, NODE_ENV: 'development' };

  it('leaves no committed change without its event and no event without its change', async () => {
    const app = await startApp(dir);
    const signIn = await gql(app.url, `mutation($i: LoginInput!) { login(input: $i) { token } }`, { i: { tenant: 'demo', email: 'agent@demo.bulwark.test', password: 'correct horse battery staple' } });
    const token = signIn.data!.login.token as string;
    const apiPid = (JSON.parse(readFileSync(join(dir, 'embedded-postgres.json'), 'utf8')) as { pid: number }).pid;

    // Eight clients create tickets as fast as they can; the process dies under them.
    let answered = 0;
    let stop = false;
    const worker = async (w: number) => {
      for (let i = 0; !stop; i++) {
        try {
          const r = await gql(app.url, `mutation($s: String!) { createTicket(input: { subject: $s, body: "crash test" }) { id } }`, { s: `crash ${w}-${i}` }, token);
          if (r.data) answered++;
        } catch {
          return; // the connection died with the server
        }
      }
    };
    const workers = Array.from({ length: 8 }, (_, w) => worker(w));
    while (answered < 60) await new Promise((r) => setTimeout(r, 20));
    process.kill(apiPid, 'SIGKILL');
    stop = true;
    await Promise.all(workers);
    await app.stop('SIGKILL');

    // Postgres outlived the API (see lifecycle.e2e): read what it committed.
    const crashDb = ownerClient(dir);
    await crashDb.connect();
    try {
      const { rows } = await crashDb.query<{ tickets: number; events: number; orphan_tickets: number; orphan_events: number }>(
        `with t as (select id::text as id from tickets where subject like 'crash %'),
              e as (select target_id as id from audit_events where action = 'tickets.ticketCreated'
                      and changes->'subject'->>'after' like 'crash %')
         select (select count(*) from t)::int as tickets, (select count(*) from e)::int as events,
                (select count(*) from t where id not in (select id from e))::int as orphan_tickets,
                (select count(*) from e where id not in (select id from t))::int as orphan_events`,
      );
      process.stdout.write(`kill -9 after ${answered} answered mutations: ${JSON.stringify(rows[0])}\n`);
      expect(rows[0].tickets).toBeGreaterThanOrEqual(answered);
      expect(rows[0]).toMatchObject({ orphan_tickets: 0, orphan_events: 0 });
      expect(rows[0].events).toBe(rows[0].tickets);
    } finally {
      await crashDb.end();
    }

    // The chain is whole, and the restarted server appends to it.
    const verified = runCli(['audit', 'verify', '--tenant', 'demo'], env);
    expect(verified.stdout).toMatch(/audit chain of demo is intact: \d+ event\(s\) checked/);
    expect(verified.status).toBe(0);
    const again = await startApp(dir);
    const db = ownerClient(dir);
    await db.connect();
    try {
      const r = await gql(again.url, `mutation($i: LoginInput!) { login(input: $i) { token } }`, { i: { tenant: 'demo', email: 'agent@demo.bulwark.test', password: 'correct horse battery staple' } });
      expect(r.data?.login.token).toMatch(/^bws_/);
      // The operators' platform-wide lockdown goes into every tenant's log.
      expect(runCli(['lockdown', 'on'], env).stdout).toMatch(/platform lockdown is ON/);
      expect(runCli(['lockdown', 'off'], env).status).toBe(0);
      const { rows: lock } = await db.query(`select details from audit_events where action = 'platform.lockdownChanged' order by seq`);
      expect(lock.map((x) => x.details)).toEqual([{ lockdown: true }, { lockdown: false }]);
      expect(runCli(['audit', 'prune', '--tenant', 'demo'], env).stdout).toMatch(/^deleted 0 event\(s\) of demo$/m);
      // Someone with the database edits an event: the CLI names it and exits 2.
      const { rows: [victim] } = await db.query(`select seq from audit_events where action = 'tickets.ticketCreated' order by seq limit 1 offset 3`);
      await db.query('alter table audit_events disable trigger audit_events_append_only');
      await db.query(`update audit_events set actor_name = 'nobody' where seq = $1`, [victim.seq]);
      await db.query('alter table audit_events enable trigger audit_events_append_only');
      const broken = runCli(['audit', 'verify', '--tenant', 'demo'], env);
      expect(broken.stdout).toMatch(new RegExp(`BROKEN at event #${victim.seq} \\([0-9a-f-]{36}\\): event #${victim.seq} was altered`));
      expect(broken.status).toBe(2);
    } finally {
      await db.end();
      expect(await again.stop('SIGTERM')).toBe(0);
    }
  });
});
