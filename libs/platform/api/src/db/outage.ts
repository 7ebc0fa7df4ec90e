/**
 * The database being unreachable (SECURITY.md G7): how to recognise it, how to give up on a
 * connection that stopped answering, and one log line per outage instead of one per request.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from '../logger';

/** Node's socket errors, and PostgreSQL's: connection exceptions, shutdowns, cancelled statements. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
const SQLSTATES = /^(08...|57P0[1-3]|57014|53300)$/; // connection exception, shutdown, query_canceled, too many connections

/**
 * What pg and knex say when a connection cannot be had or stops answering (they set no code).
 * "Transaction query already complete" is knex refusing further statements of a transaction whose
 * connection has just died.
 */
const MESSAGES =
  /Connection terminated|Query read timeout|timeout expired|timeout exceeded when trying to connect|Timeout acquiring a connection|Client has encountered a connection error|Connection ended unexpectedly|not queryable|Transaction query already complete|the database system is (starting up|shutting down|in recovery mode)/i;

/**
 * Why `error`, or anything in its chain of causes, says the database could not be reached in time:
 * its code, or the words that said so; null when it says nothing of the kind. Never the whole
 * message: knex puts the SQL statement, values included, in front of the driver's words (F6).
 */
export function databaseUnavailableReason(error: unknown): string | null {
  const seen = new Set<unknown>();
  for (let e = error as { code?: unknown; message?: unknown; originalError?: unknown; cause?: unknown } | undefined; e && typeof e === 'object' && !seen.has(e); ) {
    seen.add(e);
    if (typeof e.code === 'string' && (NETWORK_CODES.has(e.code) || SQLSTATES.test(e.code))) return e.code;
    const words = typeof e.message === 'string' ? MESSAGES.exec(e.message) : null;
    if (words) return words[0];
    e = (e.originalError ?? e.cause) as typeof e;
  }
  return null;
}

export const isDatabaseUnavailable = (error: unknown): boolean => databaseUnavailableReason(error) !== null;

/** Seconds a client is told to wait before trying again during an outage. */
export const OUTAGE_RETRY_AFTER_SECONDS = 5;

/**
 * Whether the database is answering, as this process saw it last. An outage is logged once when it
 * begins (error level) and once when it ends (info, with its length), never once per request.
 */
export class DatabaseHealth {
  private downSince: number | null = null;

  constructor(private readonly log: Logger) {}

  get down(): boolean {
    return this.downSince !== null;
  }

  failed(error: unknown): void {
    if (this.downSince !== null) return;
    this.downSince = Date.now();
    this.log.error('database unavailable: operations answer 503 until it is back', { reason: databaseUnavailableReason(error) ?? 'operation deadline passed' });
  }

  /**
   * An operation that began at `startedAt` succeeded. One that began before the outage was noticed
   * (a COMMIT that got through while the database went down) does not end it: otherwise the
   * boundary of one outage would log it twice.
   */
  ok(startedAt: number): void {
    if (this.downSince === null || startedAt <= this.downSince) return;
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
