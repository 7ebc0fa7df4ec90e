import { createPrivateKey, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterCommit, type AppServices, type RequestContext } from './context';
import { defineConfig, int, type Env } from './config';
import { defineJob, noJobs, type JobServices } from './jobs';
import type { DkimKey, MailMessage } from './mail';
import { sealSecret, unsealWithKeys } from './sealing';
import { withSystemContext } from './system-context';

/**
 * The outbox (SECURITY.md G9): what a change causes outside the database (mail, alert webhooks)
 * is written as a row in the change's own transaction, so it exists if and only if the change
 * committed. After the commit the process queues a job for it; jobs (pg-boss) deliver it, with
 * retries and backoff, on whichever process works. A crash between commit and queueing loses
 * nothing: the sweeper queues what is due and untaken, at every worker's start and every minute.
 *
 * Exactly once, as far as one side can promise it: delivery claims the row with
 * `FOR UPDATE SKIP LOCKED` and marks it delivered in the same transaction, so two processes never
 * deliver one row at once and a delivered row is never delivered again. A process that dies after
 * the receiver accepted and before that transaction commits leaves the row pending, and it is
 * delivered again (at least once); mail keeps its Message-ID and webhooks their id, so receivers
 * can tell.
 */
export interface DeliveryKind<T extends object = object> {
  /** `<plugin>.<kind>`, stored on the row. */
  name: string;
  /** What it is in words, for the delivery log ("Email", "Alert webhook"). */
  label: string;
  /**
   * Delivers one payload, in a system context of its tenant whose transaction holds the row and
   * marks it delivered: what `deliver` records there commits with that mark. Throws to retry.
   */
  deliver(ctx: RequestContext, payload: T): Promise<void>;
  /** Tries before the row is marked failed (default: BULWARK_OUTBOX_MAX_ATTEMPTS). */
  maxAttempts?: number;
  /** Called once when the row is given up (recording the failure where people look). */
  failed?(ctx: RequestContext, payload: T, error: string): Promise<void>;
}

/**
 * Thrown by `deliver` when trying again cannot help (a receiver's 4xx, a refused address): the
 * row is marked failed at once, with this message, and `failed` is called. Matched by its `final`
 * mark as well as by class, so a copy of the kernel bundled twice still agrees.
 */
export class FinalDeliveryError extends Error {
  readonly final = true;
  constructor(message: string) {
    super(message);
    this.name = 'FinalDeliveryError';
  }
}

const isFinal = (e: unknown) => e instanceof FinalDeliveryError || (!!e && typeof e === 'object' && (e as { final?: unknown }).final === true);

export function defineDelivery<T extends object>(kind: DeliveryKind<T>): DeliveryKind<T> {
  if (!/^[a-z][a-z0-9-]*\.[a-zA-Z0-9-]+$/.test(kind.name)) throw new Error(`bad delivery kind "${kind.name}" (<plugin>.<kind>)`);
  return kind;
}

/** How the outbox retries, and the DKIM key outbound mail is signed with (README "Settings"). */
export const outboxConfig = defineConfig('outbox', (env, kernel) => ({
  /** Tries per message before it is marked failed. */
  maxAttempts: int(env, 'BULWARK_OUTBOX_MAX_ATTEMPTS', 8, 1, 100),
  /** First retry after this; each next one waits four times longer, up to six hours. */
  retryBaseMs: int(env, 'BULWARK_OUTBOX_RETRY_BASE_MS', 30_000, 10, 3_600_000),
  dkim: dkimKey(env, kernel.mailFrom),
}));

function dkimKey(env: Env, mailFrom: string): DkimKey | undefined {
  const file = env.BULWARK_DKIM_PRIVATE_KEY_FILE;
  if (!file) return undefined;
  let privateKey: string;
  try {
    privateKey = readFileSync(file, 'utf8');
    createPrivateKey(privateKey);
  } catch (e) {
    throw new Error(`BULWARK_DKIM_PRIVATE_KEY_FILE: ${file} is not a readable PEM private key (${(e as Error).message})`);
  }
  const domainName = (env.BULWARK_DKIM_DOMAIN || /@([^>\s]+)>?\s*$/.exec(mailFrom)?.[1] || '').toLowerCase();
  if (!/^[a-z0-9.-]+\.[a-z]{2,}$/.test(domainName)) throw new Error('BULWARK_DKIM_DOMAIN must be the domain the mail is signed for (e.g. example.com)');
  const keySelector = env.BULWARK_DKIM_SELECTOR || 'bulwark';
  if (!/^[a-z0-9-]+$/i.test(keySelector)) throw new Error('BULWARK_DKIM_SELECTOR must be letters, digits and dashes');
  return { domainName, keySelector, privateKey };
}

/** Payloads may carry secrets (a reset link): sealed with the master key while they wait. */
const PURPOSE = 'outbox';

/** Who and what, for the delivery log: words a person reads, never the payload. */
export interface OutboxLabel {
  recipient: string;
  summary: string;
}

/**
 * Writes the row in the operation's transaction (now, not at flush: the audit sink and other
 * last-moment writers enqueue too) and queues its job once the transaction commits. A failed
 * mutation field's savepoint takes both with it. Returns the row's id.
 */
export async function enqueue<T extends object>(ctx: RequestContext, kind: DeliveryKind<T>, payload: T, label: OutboxLabel): Promise<string> {
  const tenantId = ctx.tenantId;
  if (!tenantId) throw new Error(`${kind.name}: the outbox needs a tenant`);
  if (!ctx.app.deliveries.has(kind.name)) throw new Error(`delivery kind ${kind.name} is not declared by any plugin`);
  const id = randomUUID();
  const now = ctx.app.now();
  await ctx.em
    .getConnection()
    .execute(
      `insert into outbox (tenant_id, id, kind, recipient, summary, payload, next_attempt_at, created_at) values (?, ?, ?, ?, ?, ?, ?, ?)`,
      [tenantId, id, kind.name, label.recipient.slice(0, 500), label.summary.slice(0, 500), sealSecret(ctx.app.config.masterKey, PURPOSE, JSON.stringify(payload), id), now, now],
      'run',
      ctx.em.getTransactionContext(),
    );
  afterCommit(ctx, () => queueDelivery(ctx.app, tenantId, id));
  return id;
}

/** Mail through the outbox: the platform's own delivery kind, sent with the configured sender. */
export const mailDelivery = defineDelivery<MailMessage>({
  name: 'platform.mail',
  label: 'Email',
  deliver: (ctx, message) => ctx.app.mail.send(message),
});

/**
 * The Message-ID is fixed here, once: a message sent again (the receiver accepted it and the
 * process died before marking it delivered) carries the same id, so the receiver can tell.
 */
export const queueMail = (ctx: RequestContext, message: MailMessage, summary = message.subject): Promise<string> =>
  enqueue(ctx, mailDelivery, { ...message, messageId: message.messageId ?? `${randomUUID()}@${mailDomain(ctx.app.config.mailFrom)}` }, {
    recipient: [message.to, ...(message.cc ?? [])].flat().join(', '),
    summary,
  });

const mailDomain = (from: string) => /@([^>\s]+)>?\s*$/.exec(from)?.[1]?.toLowerCase() ?? 'bulwark.invalid';

async function queueDelivery(app: AppServices, tenantId: string, id: string, startAfterSeconds?: number): Promise<void> {
  // A process without a queue (a CLI command): the row waits for a working process's sweeper.
  if (app.jobs === noJobs) return;
  try {
    await app.jobs.send(outboxDeliverJob, { tenantId, id }, { startAfterSeconds });
  } catch (error) {
    // Not lost: the row waits, and the sweeper of any working process queues it.
    app.log.warn('outbox: could not queue a delivery; the sweeper will', { id, error });
  }
}

interface Row {
  kind: string;
  payload: string | null;
  attempts: number;
}

/** Delivers one row if it is still pending and nobody else holds it; schedules its retry. */
export async function deliverOutboxRow(services: JobServices, tenantId: string, id: string): Promise<void> {
  const settings = outboxConfig.of(services.config);
  let retryInMs: number | null = null;
  await withSystemContext(services.orm, services, tenantId, 'outbox delivery', async (sys) => {
    const conn = sys.em.getConnection();
    const trx = sys.em.getTransactionContext();
    const [row] = await conn.execute<Row[]>(
      `select kind, payload, attempts from outbox where tenant_id = ? and id = ? and status = 'pending' for update skip locked`,
      [tenantId, id],
      'all',
      trx,
    );
    if (!row) return; // delivered, given up, or being delivered by another process right now
    const kind = services.deliveries.get(row.kind);
    const attempts = row.attempts + 1;
    const max = kind?.maxAttempts ?? settings.maxAttempts;
    let payload: object;
    try {
      if (!kind) throw new Error(`no plugin delivers "${row.kind}" in this version`);
      payload = JSON.parse(unsealWithKeys([services.config.masterKey, services.config.masterKeyPrevious], PURPOSE, row.payload ?? '', id)) as object;
    } catch (e) {
      // Retrying cannot help: nothing can read or deliver it.
      await finish(sys, tenantId, id, 'failed', attempts, (e as Error).message);
      return;
    }
    let failure: unknown = null;
    try {
      await kind.deliver(sys, payload);
    } catch (e) {
      failure = e ?? new Error('the delivery failed');
    }
    // Only the receiver's failure is a failed try; the database's own (an outage while marking it)
    // fails the whole job, and the row, still pending, is taken again once the database is back.
    if (!failure) {
      await finish(sys, tenantId, id, 'delivered', attempts, null);
      return;
    }
    const e = failure;
    sys.em.clear(); // what deliver left unflushed belongs to the failed try
    const error = ((e as Error).message || String(e)).slice(0, 500);
    if (attempts >= max || isFinal(e)) {
      await finish(sys, tenantId, id, 'failed', attempts, error);
      await kind.failed?.(sys, payload, error);
      // Tries used up is the operators' problem (a mail server down for hours); a receiver's
      // own refusal (a workspace's webhook answering 410) is the workspace's, shown in its log.
      if (isFinal(e)) sys.log.warn('outbox: delivery refused for good', { id, kind: row.kind, attempts, error });
      else sys.log.error('outbox: delivery given up', { id, kind: row.kind, attempts, error });
      return;
    }
    retryInMs = Math.min(settings.retryBaseMs * 4 ** (attempts - 1), 6 * 3_600_000);
    await conn.execute(
      `update outbox set attempts = ?, last_error = ?, next_attempt_at = ? where tenant_id = ? and id = ?`,
      [attempts, error, new Date(services.now().getTime() + retryInMs), tenantId, id],
      'run',
      trx,
    );
    sys.log.warn('outbox: delivery failed, will retry', { id, kind: row.kind, attempts, retryInMs, error });
  });
  if (retryInMs !== null) await queueDelivery(services, tenantId, id, Math.ceil(retryInMs / 1000));
}

async function finish(sys: RequestContext, tenantId: string, id: string, status: 'delivered' | 'failed', attempts: number, error: string | null) {
  // A delivered payload goes: a delivered reset link or mail body has no reason to stay at rest.
  // A failed one stays sealed, so an admin who fixed the receiver can send it again (retryOutboxRow).
  await sys.em
    .getConnection()
    .execute(
      `update outbox set status = ?, attempts = ?, last_error = ?, payload = case when ? = 'delivered' then null else payload end, delivered_at = ? where tenant_id = ? and id = ?`,
      [status, attempts, error, status, status === 'delivered' ? sys.app.now() : null, tenantId, id],
      'run',
      sys.em.getTransactionContext(),
    );
}

/**
 * Sends a failed message again, with a fresh count of tries, once the caller's transaction
 * commits. False when the row is not the caller's tenant's, not failed, or has nothing to send.
 */
export async function retryOutboxRow(ctx: RequestContext, id: string): Promise<boolean> {
  const tenantId = ctx.tenantId;
  if (!tenantId) throw new Error('retrying a delivery needs a tenant');
  const rows = await ctx.em
    .getConnection()
    .execute<{ id: string }[]>(
      `update outbox set status = 'pending', attempts = 0, next_attempt_at = ? where tenant_id = ? and id = ? and status = 'failed' and payload is not null returning id`,
      [ctx.app.now(), tenantId, id],
      'all',
      ctx.em.getTransactionContext(),
    );
  if (!rows.length) return false;
  afterCommit(ctx, () => queueDelivery(ctx.app, tenantId, id));
  return true;
}

export const outboxDeliverJob = defineJob<{ tenantId: string; id: string }>({
  name: 'platform.outbox-deliver',
  // A delivery that hangs past this is failed by pg-boss; the row stays pending for the sweeper.
  expireInSeconds: 120,
  // A few at once per process: a slow receiver does not hold up the rest, and each delivery
  // holds a pooled connection while it sends, so never many (the pool serves requests too).
  batchSize: 3,
  run: (services, { tenantId, id }) => deliverOutboxRow(services, tenantId, id),
});

/** Rows due for a while and not delivered: queued again (a duplicate job costs one skipped query). */
export const outboxSweepJob = defineJob<{ graceMs?: number }>({
  name: 'platform.outbox-sweep',
  cron: '* * * * *',
  atStart: { graceMs: 0 },
  run: async (services, { graceMs = 30_000 }) => {
    const before = new Date(services.now().getTime() - graceMs);
    // Across tenants, ids only, through the owner's function (the runtime role sees one tenant).
    // At most 1000 a pass: the jobs do the work, and the next minute's pass takes the rest.
    const due = await services.orm.em
      .fork()
      .getConnection()
      .execute<{ tenant_id: string; id: string }[]>(`select tenant_id, id from bulwark_outbox_due(?, 1000)`, [before]);
    for (const r of due) await queueDelivery(services, r.tenant_id, r.id);
    if (due.length) services.log.info('outbox: queued due deliveries', { count: due.length });
  },
});
