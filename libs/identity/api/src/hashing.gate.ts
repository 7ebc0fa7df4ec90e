import { rateLimited, type OperationGate, type RequestContext } from '@bulwark/platform-api';
import { setHashingNice } from './hashing-threads';
import { identityConfig } from './identity.config';

/** Waiting beyond this many is refused at once rather than queued for seconds. */
const MAX_QUEUE = 256;

class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(readonly limit: number) {}

  async acquire(): Promise<() => void> {
    if (this.active < this.limit) this.active++;
    else if (this.waiting.length >= MAX_QUEUE) throw rateLimited(1);
    else await new Promise<void>((resolve) => this.waiting.push(resolve)); // the releaser hands its slot over
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    };
  }
}

/** One per server (tests run several in a process, each with its own setting). */
const semaphores = new WeakMap<object, Semaphore>();

/**
 * A8 under load: sign-ins wait for a hashing slot before their transaction opens, so a burst
 * neither holds every pooled connection while it queues for bcrypt nor takes every core (the
 * default leaves one free). Throughput stays what the cores allow; reads keep their latency.
 */
export const hashingGate: OperationGate = {
  name: 'password hashing',
  async enter(ctx: RequestContext, op) {
    if (op.type !== 'mutation' || !op.fields.some((f) => ctx.app.operations.has(f, 'hashesPassword'))) return null;
    let semaphore = semaphores.get(ctx.app);
    const settings = identityConfig.of(ctx.app.config);
    if (!semaphore) semaphores.set(ctx.app, (semaphore = new Semaphore(settings.hashConcurrency)));
    // The hashing threads are the process's; the setting of the server that uses them applies.
    setHashingNice(settings.hashNice);
    return semaphore.acquire();
  },
};
