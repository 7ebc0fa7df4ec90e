/**
 * The database being unreachable (SECURITY.md G7): how to recognise it, how to give up on a
 * connection that stopped answering, and one log line per outage instead of one per request.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from '../logger';

/** Node's socket errors (from pg: another client's, such as the S3 SDK's, are told apart below). */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
/**
 * PostgreSQL's connection exceptions, shutdowns and "too many connections". Not 57014 (a statement
 * cancelled by statement_timeout): a server that cancels a slow statement is answering, and a slow
 * query is a bug to see in the log, not an outage.
 */
const SQLSTATES = /^(08...|57P0[1-3]|53300)$/;
const SQLSTATE = /^[0-9A-Z]{5}$/;

/**
 * What pg and knex say when a connection cannot be had or stops answering (they set no code).
 * "Transaction query already complete" is knex refusing the next statement of a transaction whose
 * connection has just died: the first operation to meet an outage often fails with it before
 * anything else was noticed. The same words would come from a statement after COMMIT, which the
 * kernel's one finish sequence does not issue; should it ever, the outage line names the words.
 */
const MESSAGES =
  /Connection terminated|Query read timeout|timeout expired|timeout exceeded when trying to connect|Timeout acquiring a connection|Client has encountered a connection error|Connection ended unexpectedly|not queryable|Transaction query already complete|the database system is (starting up|shutting down|in recovery mode)/i;

type ErrorLike = { code?: unknown; message?: unknown; severity?: unknown; $metadata?: unknown; originalError?: unknown; cause?: unknown };

/**
 * Why `error`, or anything in its chain of causes, says the database could not be reached in time:
 * its code, or the words that said so; null when it says nothing of the kind.
 *
 * An error from PostgreSQL (it has a SQLSTATE) is judged by its code alone, and words are read only
 * after knex's prefix: knex puts the SQL statement, values included, in front of the driver's
 * words, and a value a client typed must not turn a bug into an outage (nor reach the log: F6).
 */
function databaseUnavailableReason(error: unknown): string | null {
  const seen = new Set<unknown>();
  for (let e = error as ErrorLike | undefined; e && typeof e === 'object' && !seen.has(e); e = (e.originalError ?? e.cause) as ErrorLike | undefined) {
    seen.add(e);
    const code = typeof e.code === 'string' ? e.code : undefined;
    if (code && SQLSTATE.test(code)) {
      if (SQLSTATES.test(code)) return code;
      continue;
    }
    // The AWS SDK's errors carry $metadata: object storage being away is not the database.
    if (code && NETWORK_CODES.has(code) && e.$metadata === undefined) return code;
    if (typeof e.message !== 'string') continue;
    const words = e.message.slice(e.message.lastIndexOf(' - ') + 1);
    const said = MESSAGES.exec(words);
    if (said) return said[0];
  }
  return null;
}

const isDatabaseUnavailable = (error: unknown): boolean => databaseUnavailableReason(error) !== null;

/** Seconds a client is told to wait before trying again during an outage. */
export const OUTAGE_RETRY_AFTER_SECONDS = 5;

/**
 * Whether the database is answering, as this process saw it last. An outage is logged once when it
 * begins (error level) and once when it ends (info, with its length), never once per request.
 */
export class DatabaseHealth {
  private downSince: number | null = null;
  private lastFailureAt = 0;

  constructor(private readonly log: Logger) {}

  get down(): boolean {
    return this.downSince !== null;
  }

  /** Whether `error` is the database being away. */
  explains(error: unknown): boolean {
    return isDatabaseUnavailable(error);
  }

  failed(error: unknown): void {
    this.lastFailureAt = Date.now();
    if (this.downSince !== null) return;
    this.downSince = this.lastFailureAt;
    this.log.error('database unavailable: operations answer 503 until it is back', { reason: databaseUnavailableReason(error) ?? 'operation deadline passed' });
  }

  /**
   * An operation that began at `startedAt` succeeded. It ends the outage only if no failure was
   * noted since it began: a success squeezed in while the database goes down (a COMMIT that got
   * through, a backend not yet killed) would otherwise log one outage twice.
   */
  ok(startedAt: number): void {
    if (this.downSince === null || startedAt <= this.lastFailureAt) return;
    this.log.info('database available again', { outageMs: Date.now() - this.downSince });
    this.downSince = null;
  }
}

/**
 * Gives up on the connection of `em`'s transaction at once: its socket is destroyed, so every
 * statement waiting on it fails now instead of at its own timeout, the pool discards it, and
 * PostgreSQL rolls back whatever it held when it next reads from it. Used when an operation
 * passes its deadline: nothing of it may commit after its answer. pg offers no public way to drop
 * a connection without a round trip to the server (`end()` waits for one), hence `stream`.
 */
export async function abandonConnection(em: EntityManager): Promise<void> {
  const trx = em.getTransactionContext() as { client?: { acquireConnection?: () => Promise<unknown> } } | undefined;
  const conn = (await trx?.client?.acquireConnection?.().catch(() => undefined)) as { connection?: { stream?: { destroy(): void } } } | undefined;
  conn?.connection?.stream?.destroy();
}
