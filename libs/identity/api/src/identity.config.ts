import { defineConfig, int } from '@bulwark/platform-api';
import { availableParallelism } from 'node:os';
import { DEFAULT_HASH_NICE } from './hashing-threads';

/** Identity's settings (README "Settings"): how much of the machine password hashing may take (A8). */
export const identityConfig = defineConfig('identity', (env) => ({
  /**
   * Password hashes (bcrypt) computed at once; the rest queue without holding a DB connection.
   * One core stays free for everything else: sign-in bursts must not starve reads.
   */
  hashConcurrency: int(env, 'BULWARK_HASH_CONCURRENCY', Math.max(1, availableParallelism() - 1), 1, 64),
  /** Nice value of the hashing threads (0 normal … 19 only idle CPU; Linux): they yield to reads and to GC. */
  hashNice: int(env, 'BULWARK_HASH_NICE', DEFAULT_HASH_NICE, 0, 19),
  /**
   * Sign-ins one tenant may have waiting for a hash; beyond it that tenant's are refused at once
   * (RATE_LIMITED), while other tenants' keep their turn (hashing.gate.ts, D9).
   */
  hashQueuePerTenant: int(env, 'BULWARK_HASH_QUEUE_PER_TENANT', 64, 1, 256),
}));
