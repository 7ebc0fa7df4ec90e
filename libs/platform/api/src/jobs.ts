import type { MikroORM } from '@mikro-orm/core';
import PgBoss from 'pg-boss';
import type { AppServices } from './context';
import type { ComposedApi } from './plugin';

/**
 * Jobs (DESIGN.md "Data and jobs"): work that outlives a request, queued in pg-boss in the same
 * PostgreSQL (its own schema, `pgboss`), so any process can take it and each job is taken once
 * (pg-boss fetches with SKIP LOCKED). A feature declares its jobs in its plugin; every API process
 * sends them, and works on them unless `BULWARK_WORKER=off` (then `npm run cli -- worker`
 * processes do, with the same code).
 *
 * A job's data names its tenant; the handler opens its own system context for it
 * (`withSystemContext`): jobs never run with a request's principal or transaction.
 */
export interface JobDefinition<T extends object = object> {
  /** The queue's name, `<plugin>.<job>`. */
  name: string;
  run(services: JobServices, data: T): Promise<void>;
  /** How long one run may take before pg-boss counts it as failed (default 15 minutes). */
  expireInSeconds?: number;
  /** Retries after a failure or an expiry (default 0: the handler records its own failures). */
  retryLimit?: number;
  /**
   * Jobs one worker takes at once and runs side by side (default 1). If one fails, pg-boss fails
   * the batch's jobs together, so only handlers that record their own outcome (the outbox's)
   * should take more than one.
   */
  batchSize?: number;
  /** Also queued on this cron schedule (pg-boss: one job per tick across every process). */
  cron?: string;
  /** Also queued with this data whenever a working process starts (the outbox's sweep). */
  atStart?: T;
}

export type JobServices = AppServices & { orm: MikroORM };

export function defineJob<T extends object>(job: JobDefinition<T>): JobDefinition<T> {
  if (!/^[a-z][a-z0-9-]*\.[a-zA-Z0-9-]+$/.test(job.name)) throw new Error(`bad job name "${job.name}" (<plugin>.<job>)`);
  return job;
}

export interface JobQueue {
  /** Queues a job (committed at once, on pg-boss's own connection); returns its id. */
  send<T extends object>(job: JobDefinition<T>, data: T, opts?: { startAfterSeconds?: number }): Promise<string>;
  /** Whether this process works on jobs (else other processes will). */
  readonly working: boolean;
  stop(): Promise<void>;
}

/** For processes that start no queue (most CLI commands, tests of single services). */
export const noJobs: JobQueue = {
  working: false,
  async send(job) {
    throw new Error(`jobs are not started in this process (${job.name})`);
  },
  stop: () => Promise.resolve(),
};

/**
 * pg-boss 10.4 (pinned) records a job's end without awaiting it (src/manager.js, `onFetch` calls
 * `this.complete(...)`/`this.fail(...)` and drops the promise): with the database away, that
 * promise rejects with nobody to catch it, which would end the process (G8) during an outage it
 * should ride out (G7). The two methods are wrapped once so the rejection becomes the queue's
 * `error` event (the manager's events reach the PgBoss instance). A job whose end was not
 * recorded is taken back by its expiry; the outbox's rows stay pending meanwhile.
 */
let wrapped = false;
function recordEndsSafely(): void {
  if (wrapped) return;
  wrapped = true;
  const Manager = require('pg-boss/src/manager') as { prototype: Record<string, (...args: unknown[]) => Promise<unknown>> & { emit(e: string, x: unknown): boolean } };
  for (const name of ['complete', 'fail']) {
    const record = Manager.prototype[name];
    if (typeof record !== 'function') throw new Error(`pg-boss has no Manager.${name}: check recordEndsSafely against this version`);
    Manager.prototype[name] = function (this: { emit(e: string, x: unknown): boolean }, ...args: unknown[]) {
      return record.apply(this, args).catch((error: unknown) => void this.emit('error', error));
    };
  }
}

/**
 * Starts pg-boss on the owner's connection (the runtime role has no rights on its schema: jobs
 * carry only ids, never tenant data) and, if `work`, a worker per declared job.
 */
export async function startJobs(
  api: ComposedApi,
  services: JobServices,
  url: string,
  opts: {
    work: boolean;
    pollingIntervalSeconds?: number;
    /** Where the queue's errors go; the default logs each one. The server sends outages to its DatabaseHealth. */
    onError?: (error: unknown) => void;
    /**
     * Whether a job's error is the database being away (the server's DatabaseHealth knows): such a
     * failure goes to `onError`, which says it once per outage, instead of one error line per job.
     */
    isOutage?: (error: unknown) => boolean;
  },
): Promise<JobQueue> {
  const jobs = api.plugins.flatMap((p) => p.jobs ?? []);
  if (!jobs.length) return noJobs;
  const boss = new PgBoss({ connectionString: url, schema: 'pgboss', max: 3, application_name: 'bulwark-jobs' });
  const onError = opts.onError ?? ((error: unknown) => services.log.error('job queue error', { error }));
  boss.on('error', onError);
  recordEndsSafely();
  await boss.start();
  const workers = new Map<string, string>();
  for (const job of jobs) {
    await boss.createQueue(job.name, { name: job.name, retryLimit: job.retryLimit ?? 0, expireInSeconds: job.expireInSeconds ?? 15 * 60 });
    if (!opts.work) continue;
    const batchSize = job.batchSize ?? 1;
    const id: string = await boss.work<object>(job.name, { batchSize, pollingIntervalSeconds: opts.pollingIntervalSeconds ?? 2 }, async (batch) => {
      // A full batch means more may be waiting: fetch again at once instead of after the polling
      // interval (pg-boss waits the interval after every fetch it is not notified of, so a burst
      // of mail would otherwise leave at one message per interval).
      if (batch.length === batchSize) boss.notifyWorker(id);
      const results = await Promise.allSettled(batch.map((j) => job.run(services, j.data)));
      const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [{ j: batch[i], error: r.reason as unknown }] : []));
      for (const { j, error } of failed) {
        if (opts.isOutage?.(error)) onError(error);
        else services.log.error('job failed', { job: job.name, id: j.id, error });
      }
      if (failed.length) throw failed[0].error;
    });
    workers.set(job.name, id);
    if (job.cron) await boss.schedule(job.name, job.cron, {});
  }
  if (opts.work) for (const job of jobs) if (job.atStart) await boss.send(job.name, job.atStart);
  return {
    working: opts.work,
    async send(job, data, sendOpts = {}) {
      const id = await boss.send(job.name, data, sendOpts.startAfterSeconds ? { startAfter: sendOpts.startAfterSeconds } : {});
      if (!id) throw new Error(`the job queue refused a ${job.name} job`);
      // This process's worker, if any, takes it now rather than at its next poll.
      const worker = workers.get(job.name);
      if (worker) boss.notifyWorker(worker);
      return id;
    },
    async stop() {
      // Lets a running job finish (up to 30 s); an unfinished one is failed by its expiry.
      await boss.stop({ graceful: true, wait: true, timeout: 30_000 });
    },
  };
}
