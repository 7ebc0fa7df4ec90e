import { Redis } from 'ioredis';
import { Pool } from 'pg';
import { RateLimiterMemory, RateLimiterPostgres, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { RUNTIME_ROLE, type Logger } from '@bulwark/platform-api';
import { WINDOW_SECONDS, type LimitsConfig } from './limits.config';

/** What a key has used in its current window. */
export interface Usage {
  consumed: number;
  /** Milliseconds until the window ends and the key starts again from zero. */
  resetMs: number;
}

/**
 * The counters every API process shares (H4): rate-limiter-flexible on PostgreSQL, or on Redis when
 * BULWARK_REDIS_URL is set. The library only counts here: its own limit is set out of reach and the
 * limit is compared by the caller, because each tenant has budgets of its own and one limiter
 * object per budget value would be a limiter per tenant.
 *
 * A store that fails or is slow must not take the API down: the charge falls back to a counter in
 * this process (same keys, same window), so limits still hold per process while the store is away,
 * and a warning is logged when that begins and when it ends, not once per request.
 */
export class CounterStore {
  private readonly shared: RateLimiterAbstract;
  private readonly local = new RateLimiterMemory({ points: NO_LIMIT, duration: WINDOW_SECONDS });
  private downSince: number | null = null;
  private constructor(
    shared: RateLimiterAbstract,
    private readonly log: Logger,
    private readonly release: () => Promise<void>,
    readonly kind: 'postgres' | 'redis',
    /** The first connection being made (Redis): the first charges wait for it, not for later reconnections. */
    private connecting: Promise<unknown> | null = null,
  ) {
    this.shared = shared;
  }

  static open(config: LimitsConfig, databaseUrl: string, log: Logger): CounterStore {
    if (config.redisUrl) {
      const redis = new Redis(config.redisUrl, {
        // A command waits neither for a connection being (re)made nor for a frozen server: it
        // fails at once, or within the timeout, and the charge is counted in this process instead.
        enableOfflineQueue: false,
        commandTimeout: STORE_TIMEOUT_MS,
        maxRetriesPerRequest: 0,
        connectTimeout: 2000,
        lazyConnect: false,
      });
      // ioredis reports every failed reconnection; the store says once that it is down (charge()).
      redis.on('error', () => undefined);
      const limiter = new RateLimiterRedis({ storeClient: redis, points: NO_LIMIT, duration: WINDOW_SECONDS, keyPrefix: config.redisPrefix, rejectIfRedisNotReady: true });
      const connected = new Promise((resolve) => redis.once('ready', resolve));
      return new CounterStore(limiter, log, async () => void redis.disconnect(), 'redis', connected);
    }
    // The runtime role, like every request's connection: it may use the counters' table and nothing
    // else of note. A few connections: each charge is one short upsert, run outside any transaction.
    const pool = new Pool({
      connectionString: databaseUrl,
      max: 4,
      connectionTimeoutMillis: STORE_TIMEOUT_MS,
      query_timeout: STORE_TIMEOUT_MS,
      idleTimeoutMillis: 30_000,
      allowExitOnIdle: true,
      application_name: 'bulwark-rate-limits',
      // Every connection runs as the runtime role from its first statement (a startup option).
      // Its commits need not wait for the disk either (the table is unlogged; this covers the rest).
      options: `-c role=${RUNTIME_ROLE} -c synchronous_commit=off`,
    });
    pool.on('error', () => undefined); // an idle connection lost: the pool replaces it
    const limiter = new RateLimiterPostgres({
      storeClient: pool,
      storeType: 'pool',
      tableName: 'rate_limit_counters',
      tableCreated: true, // by the migration: the runtime role cannot create tables
      keyPrefix: 'bw',
      points: NO_LIMIT,
      duration: WINDOW_SECONDS,
    });
    return new CounterStore(limiter, log, () => pool.end(), 'postgres');
  }

  /** Adds `points` to `key` and says what the key has used in this window. */
  async charge(key: string, points: number): Promise<Usage> {
    if (this.connecting) {
      await withTimeout(this.connecting, STORE_TIMEOUT_MS).catch(() => undefined);
      this.connecting = null;
    }
    try {
      const res = await withTimeout(this.shared.consume(key, points), STORE_TIMEOUT_MS);
      if (this.downSince !== null) {
        this.log.warn('rate-limit store available again', { store: this.kind, downMs: Date.now() - this.downSince });
        this.downSince = null;
      }
      return usage(res);
    } catch (error) {
      if (error instanceof RateLimiterRes) return usage(error); // only past NO_LIMIT: cannot happen in a window
      if (this.downSince === null) {
        this.downSince = Date.now();
        this.log.warn('rate-limit store unavailable: counting in this process until it is back', { store: this.kind, error: String((error as Error)?.message ?? error).slice(0, 200) });
      }
      return usage(await this.local.consume(key, points));
    }
  }

  close(): Promise<void> {
    return this.release();
  }
}

/** The library's own limit, set out of reach (within PostgreSQL's integer). */
const NO_LIMIT = 2_000_000_000;
/** How long a charge may wait for the shared store before it is counted in this process instead. */
const STORE_TIMEOUT_MS = 1000;

function usage(res: RateLimiterRes): Usage {
  return { consumed: res.consumedPoints, resetMs: res.msBeforeNext < 0 ? WINDOW_SECONDS * 1000 : res.msBeforeNext };
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}
