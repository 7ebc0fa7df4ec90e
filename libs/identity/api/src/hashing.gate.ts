import { valueFromASTUntyped } from 'graphql';
import { rateLimited, type AppServices, type OperationGate, type OperationInfo, type RequestContext } from '@bulwark/platform-api';
import { setHashingNice } from './hashing-threads';
import { identityConfig } from './identity.config';
import { parseTenantToken, type TokenPrefix } from './session-token';

/**
 * Hashing slots shared fairly between tenants (A8, D9). Each tenant (by the key `tenantKeyOf`
 * gives) has its own bounded queue, and a freed slot goes to the next tenant in turn (round robin),
 * not to whoever queued first: one tenant's burst of sign-ins fills only its own queue (beyond it
 * its sign-ins are refused with RATE_LIMITED at once), and another tenant's sign-in waits for at
 * most one hash per tenant that is waiting, not for the whole burst.
 */
export class FairHashingQueue {
  private active = 0;
  /** Tenants with sign-ins waiting, in turn order; each queue is first in, first out. */
  private readonly queues = new Map<string, (() => void)[]>();
  private waiting = 0;

  constructor(
    readonly limit: number,
    private readonly perTenant: number,
    /** All tenants' waiting sign-ins together: memory stays bounded whatever keys clients invent. */
    private readonly total: number,
  ) {}

  async acquire(key: string): Promise<() => void> {
    if (this.active < this.limit) this.active++;
    else {
      const queue = this.queues.get(key) ?? [];
      // Past the total, only tenants below their share of it may still queue, up to twice the
      // total: a flood of invented keys fills it but cannot keep a tenant with few sign-ins out.
      const share = Math.max(1, Math.floor(this.total / (this.queues.size + (queue.length ? 0 : 1))));
      const full = queue.length >= this.perTenant || this.waiting >= 2 * this.total || (this.waiting >= this.total && queue.length >= share);
      if (full) throw rateLimited(1);
      if (!queue.length) this.queues.set(key, queue);
      this.waiting++;
      await new Promise<void>((resolve) => queue.push(resolve)); // the releaser hands its slot over
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.nextInTurn();
      if (next) next();
      else this.active--;
    };
  }

  /** Sign-ins waiting under a key (for metrics and tests). */
  waitingOf(key: string): number {
    return this.queues.get(key)?.length ?? 0;
  }

  /** The first waiter of the tenant whose turn it is; that tenant goes to the back of the line. */
  private nextInTurn(): (() => void) | undefined {
    const first = this.queues.entries().next();
    if (first.done) return undefined;
    const [key, queue] = first.value;
    const next = queue.shift();
    this.queues.delete(key);
    if (queue.length) this.queues.set(key, queue); // re-inserted: last in turn order
    this.waiting--;
    return next;
  }
}

/** One per server (tests run several in a process, each with its own setting). */
const queues = new WeakMap<object, FairHashingQueue>();

/** The server's hashing queue, made on first use from its settings. */
export function hashingQueueOf(app: AppServices): FairHashingQueue {
  let queue = queues.get(app);
  if (!queue) {
    const settings = identityConfig.of(app.config);
    queues.set(app, (queue = new FairHashingQueue(settings.hashConcurrency, settings.hashQueuePerTenant, HASH_QUEUE_TOTAL)));
  }
  return queue;
}

const ARGUMENT_TOKENS: TokenPrefix[] = ['bwr_', 'bwi_', 'bwc_'];

/**
 * Which tenant a sign-in is for, before any database work: the tenant its credential names (a
 * session or API token: changePassword, reauthenticate), or the workspace its input names
 * (`login`, `signUp`: `input.tenant`), or the tenant a reset or invitation link names
 * (`input.token`). Only a queue key: nothing is trusted from it, and a key that names no real
 * tenant is just another queue.
 */
export function tenantKeyOf(ctx: RequestContext, op: OperationInfo): string {
  const credential = ctx.credential?.token;
  if (credential) {
    const named = parseTenantToken('bws_', credential) ?? parseTenantToken('bwt_', credential);
    if (named) return `id:${named.tenantId}`;
  }
  const field = op.request?.operation.selectionSet.selections.find((s) => s.kind === 'Field');
  if (field?.kind === 'Field' && op.request) {
    const variables = op.request.variables as Record<string, unknown>;
    for (const arg of field.arguments ?? []) {
      const value = valueFromASTUntyped(arg.value, variables) as Record<string, unknown> | null;
      if (!value || typeof value !== 'object') continue;
      if (typeof value.tenant === 'string') return `slug:${value.tenant.trim().toLowerCase().slice(0, 63)}`;
      if (typeof value.token === 'string') {
        for (const prefix of ARGUMENT_TOKENS) {
          const named = parseTenantToken(prefix, value.token);
          if (named) return `id:${named.tenantId}`;
        }
      }
    }
  }
  return 'unknown';
}

/**
 * A8 under load: sign-ins wait for a hashing slot before their transaction opens, so a burst
 * neither holds every pooled connection while it queues for bcrypt nor takes every core (the
 * default leaves one free). Throughput stays what the cores allow; reads keep their latency; and
 * the slots are shared fairly between tenants (FairHashingQueue).
 */
export const hashingGate: OperationGate = {
  name: 'password hashing',
  async enter(ctx: RequestContext, op) {
    if (op.type !== 'mutation' || !op.fields.some((f) => ctx.app.operations.has(f, 'hashesPassword'))) return null;
    // The hashing threads are the process's; the setting of the server that uses them applies.
    setHashingNice(identityConfig.of(ctx.app.config).hashNice);
    return hashingQueueOf(ctx.app).acquire(tenantKeyOf(ctx, op));
  },
};

/** Waiting sign-ins of all tenants together (the old single queue's bound). */
const HASH_QUEUE_TOTAL = 256;
