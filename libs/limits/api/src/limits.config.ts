import { defineConfig, int, onOff } from '@bulwark/platform-api';

/** The budgets a tenant setting chooses between (README "Settings"): cost points per minute. */
export interface Budgets {
  /** Each signed-in person (and any other principal kind, such as support operators). */
  perUser: number;
  /** Each API token. */
  perToken: number;
  /** The whole tenant, every principal together. */
  perTenant: number;
}

const BIG = 1_000_000_000;

/**
 * The limits feature's settings (H4). A tenant's own budgets are tenant settings within the
 * maximums here; `defaults` apply to tenants that set none. Anonymous calls (sign-in, password
 * reset) have no tenant yet (D4: only a credential names one), so their per-address budget is the
 * platform's alone.
 */
export const limitsConfig = defineConfig('limits', (env) => {
  const maximums: Budgets = {
    perUser: int(env, 'BULWARK_RATE_LIMIT_USER_MAX', 1_000_000, 1, BIG),
    perToken: int(env, 'BULWARK_RATE_LIMIT_TOKEN_MAX', 2_000_000, 1, BIG),
    perTenant: int(env, 'BULWARK_RATE_LIMIT_TENANT_MAX', 20_000_000, 1, BIG),
  };
  const defaults: Budgets = {
    perUser: int(env, 'BULWARK_RATE_LIMIT_USER_PER_MINUTE', Math.min(200_000, maximums.perUser), 1, maximums.perUser),
    perToken: int(env, 'BULWARK_RATE_LIMIT_TOKEN_PER_MINUTE', Math.min(400_000, maximums.perToken), 1, maximums.perToken),
    perTenant: int(env, 'BULWARK_RATE_LIMIT_TENANT_PER_MINUTE', Math.min(2_000_000, maximums.perTenant), 1, maximums.perTenant),
  };
  const redisUrl = env.BULWARK_REDIS_URL || undefined;
  if (redisUrl && !/^rediss?:\/\//.test(redisUrl)) throw new Error(`BULWARK_REDIS_URL must be a redis:// or rediss:// URL`);
  return {
    /** Off: nothing is counted (a benchmark's baseline, an installation behind its own limiter). */
    enabled: onOff(env, 'BULWARK_RATE_LIMITS', true),
    maximums,
    defaults,
    /** Each client address without a credential. */
    anonymousPerAddress: int(env, 'BULWARK_RATE_LIMIT_ANONYMOUS_PER_MINUTE', 20_000, 1, BIG),
    /** Counters live in Redis when set, else in PostgreSQL (table rate_limit_counters). */
    redisUrl,
    /** Prefix of every Redis key, so several installations (or test runs) can share one Redis. */
    redisPrefix: env.BULWARK_REDIS_PREFIX || 'bulwark:rl',
  };
});

export type LimitsConfig = ReturnType<typeof limitsConfig.of>;

/** Every budget is per minute: a fixed window, like the counters' expiry. */
export const WINDOW_SECONDS = 60;
