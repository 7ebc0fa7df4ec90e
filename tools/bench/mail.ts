/**
 * `--scenario mail` (issue 19): two ratios, each in one run on one server, with runs alternating
 * so the machine's noise falls on both sides alike.
 *
 * - **Inbound**: messages per second that become tickets through the SMTP listener (a real SMTP
 *   client, DKIM-signed mail checked by mailauth against DNS answers from a table, parsing,
 *   threading lookups, the spam watcher, the requester found or made, the acknowledgement queued)
 *   against plain `createTicket` calls over GraphQL by an agent for the same requesters. SMTP's 250
 *   comes only once the ticket is stored, so a message counts when it is a ticket.
 * - **Outbox**: a public reply (`addComment`, which queues the requester's mail in the outbox and
 *   records its Message-ID) against an internal note (the same mutation, which sends nothing),
 *   going round 200 tickets.
 *   The outbox's jobs deliver to a memory sender during the runs, as they would to SMTP.
 */
import 'reflect-metadata';
import { createLogger, memoryMailSender, startServer, withSystemContext } from '@bulwark/platform-api';
import { createTenant, createUser } from '@bulwark/identity-api';
import { apiPlugins } from '@bulwark/composition-api';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { senderDomain, smtpClient, tableResolver } from '../../libs/mail/api/src/sender.fixture';
import { median } from './load';
import { benchConfig } from './bench.config';

const PASSWORD = 'seven quiet lanterns over the harbour';
const SENDERS = 400;

/** Operations per second of `op`, `concurrency` at a time, for `ms` (closed loop). */
async function throughput(op: (i: number) => Promise<void>, concurrency: number, ms: number): Promise<number> {
  let done = 0;
  let next = 0;
  const end = Date.now() + ms;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < end) {
        await op(next++);
        done++;
      }
    }),
  );
  return done / (Number(process.hrtime.bigint() - start) / 1e9);
}

export async function runMailBench(databaseUrl: string, opts: { runs: number; durationS: number; warmupS: number; concurrency: number }, resultsDir: string, say: (s: string) => void): Promise<string> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bulwark-bench-mail-'));
  const customer = senderDomain('customer.bench');
  // Production's listener offers STARTTLS; a throwaway certificate (the client does not use it).
  const tlsKey = join(dataDir, 'smtp-key.pem');
  const tlsCert = join(dataDir, 'smtp-cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', tlsKey, '-out', tlsCert, '-days', '1', '-subj', '/CN=mail.bench'], { stdio: 'ignore' });
  const config = benchConfig(databaseUrl, dataDir, {
    BULWARK_PUBLIC_URL: 'https://desk.bench',
    BULWARK_MAIL_DOMAIN: 'mail.bench',
    BULWARK_SMTP_LISTEN_PORT: '0',
    BULWARK_SMTP_TLS_KEY_FILE: tlsKey,
    BULWARK_SMTP_TLS_CERT_FILE: tlsCert,
    // What is measured is the work per message, not refusing it (rate limits: their own scenario).
    BULWARK_RATE_LIMITS: 'off',
  });
  const server = await startServer(apiPlugins, config, { log: createLogger({}, () => undefined), database: { url: databaseUrl }, mail: memoryMailSender(), dns: tableResolver(customer) });
  const port = server.listeners.smtp?.port;
  if (!port) throw new Error('the SMTP listener did not start');
  const client = smtpClient(port, customer, { pool: true, maxConnections: opts.concurrency });
  try {
    const tenantId = randomUUID();
    const requesterIds: string[] = [];
    await withSystemContext(server.orm, server.app, tenantId, 'bench seed', async (ctx) => {
      await createTenant(ctx, { slug: 'bench', name: 'Mail bench', adminEmail: 'owner@mail.bench', adminPassword: PASSWORD });
      await createUser(ctx, { email: 'agent@mail.bench', name: 'Agent', role: 'agent', password: PASSWORD });
      for (let i = 0; i < SENDERS; i++) requesterIds.push((await createUser(ctx, { email: `r${i}@customer.bench`, name: `Requester ${i}`, role: 'requester' })).id);
      await ctx.em.flush();
    });
    const gql = async (query: string, variables: Record<string, unknown>, token?: string) => {
      const res = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify({ query, variables }) });
      const body = (await res.json()) as { data?: Record<string, never>; errors?: unknown[] };
      if (!body.data || body.errors) throw new Error(JSON.stringify(body.errors));
      return body.data;
    };
    const login = (await gql(`mutation($i: LoginInput!) { login(input: $i) { token } }`, { i: { tenant: 'bench', email: 'agent@mail.bench', password: PASSWORD } })).login as unknown as { token: string };
    const agent = login.token;
    const CREATE = `mutation($i: CreateTicketInput!) { createTicket(input: $i) { id } }`;
    const COMMENT = `mutation($id: ID!, $i: AddCommentInput!) { addComment(ticketId: $id, input: $i) { id } }`;
    // Replies go round 200 conversations, as an agent's day does: one ticket for all would measure
    // eight agents queueing for one ticket's row lock, not the outbox.
    const tickets: string[] = [];
    for (let i = 0; i < 200; i++) tickets.push(((await gql(CREATE, { i: { subject: `Conversation ${i}`, body: 'x', requesterId: requesterIds[i] } }, agent)).createTicket as unknown as { id: string }).id);

    const sides = {
      smtp: (i: number) =>
        client
          .send({ from: `Requester ${i % SENDERS} <r${i % SENDERS}@customer.bench>`, to: 'bench@mail.bench', subject: `Printer ${i}`, text: 'It is jammed again.\n\nRiley', messageId: `${randomUUID()}@customer.bench` })
          .then(() => undefined),
      createTicket: (i: number) => gql(CREATE, { i: { subject: `Printer ${i}`, body: 'It is jammed again.\n\nRiley', requesterId: requesterIds[i % SENDERS], channel: 'EMAIL' } }, agent).then(() => undefined),
      publicReply: (i: number) => gql(COMMENT, { id: tickets[i % tickets.length], i: { body: 'On our way.', public: true } }, agent).then(() => undefined),
      internalNote: (i: number) => gql(COMMENT, { id: tickets[i % tickets.length], i: { body: 'On our way.', public: false } }, agent).then(() => undefined),
    };
    type Side = keyof typeof sides;
    const rates: Record<Side, number[]> = { smtp: [], createTicket: [], publicReply: [], internalNote: [] };
    const pairs: [Side, Side][] = [
      ['smtp', 'createTicket'],
      ['publicReply', 'internalNote'],
    ];
    for (const [x, y] of pairs) {
      say(`warming up ${x} and ${y}`);
      for (const s of [x, y]) await throughput(sides[s], opts.concurrency, opts.warmupS * 1000);
      for (let r = 1; r <= opts.runs; r++) {
        for (const s of [y, x]) {
          const rate = await throughput(sides[s], opts.concurrency, opts.durationS * 1000);
          rates[s].push(rate);
          say(`  run ${r}/${opts.runs} ${s.padEnd(13)} ${rate.toFixed(1)}/s`);
        }
      }
    }
    const ratio = (x: Side, y: Side) => median(rates[x].map((v, i) => v / rates[y][i]));
    const headline = { inbound: ratio('smtp', 'createTicket'), outbox: ratio('publicReply', 'internalNote') };
    const filed = await withSystemContext(server.orm, server.app, tenantId, 'bench count', (ctx) =>
      ctx.em.getConnection().execute<{ status: string; n: string }[]>(`select status, count(*) as n from mail_messages where tenant_id = ? and direction = 'in' group by status`, [tenantId], 'all', ctx.em.getTransactionContext()),
    );
    say('');
    for (const s of Object.keys(rates) as Side[]) say(`${s.padEnd(13)} median ${median(rates[s]).toFixed(1)}/s (runs ${rates[s].map((v) => v.toFixed(1)).join(', ')})`);
    say(`\nHeadline: inbound mail into tickets at ${headline.inbound.toFixed(2)}× the rate of plain createTicket calls; a public reply (mail through the outbox) at ${headline.outbox.toFixed(2)}× the rate of an internal note (no mail). Paired medians of ${opts.runs} alternating runs, ${opts.concurrency} in flight; inbound messages by outcome: ${filed.map((r) => `${r.status} ${r.n}`).join(', ')}.`);
    const file = join(resultsDir, `bench-mail-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, JSON.stringify({ scenario: 'mail', options: opts, machine: { cpus: cpus().length, node: process.version, loadavg: loadavg() }, ratio: headline, rates }, null, 2) + '\n');
    return file;
  } finally {
    client.close();
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
