import { rateLimited, type AppServices, type OperationMeter, type Principal, type RequestContext } from '@bulwark/platform-api';
import { operationCost } from './cost';
import { limitsConfig, WINDOW_SECONDS, type Budgets } from './limits.config';
import { RateLimitSettings } from './limits.entities';
import { CounterStore, type Usage } from './store';
import { Tally } from './tally';

/** One budget an operation is charged to: its policy name (in the RateLimit headers), key and limit. */
interface Charge {
  policy: string;
  key: string;
  limit: number;
}

/** One store per server (tests run several in one process, each with its own pool or client). */
const stores = new WeakMap<AppServices, { store: CounterStore; tally: Tally }>();

function tallyOf(ctx: RequestContext): Tally {
  let open = stores.get(ctx.app);
  if (!open) {
    // The database the server runs on, whether DATABASE_URL or the embedded one.
    const url = ctx.em.config.get('clientUrl') as string;
    const store = CounterStore.open(limitsConfig.of(ctx.app.config), url, ctx.app.log);
    stores.set(ctx.app, (open = { store, tally: new Tally(store) }));
  }
  return open.tally;
}

export async function closeStore(app: AppServices): Promise<void> {
  await stores.get(app)?.store.close();
  stores.delete(app);
}

/**
 * A tenant's budgets are read on every operation, so each process keeps them for 5 seconds: a
 * change applies at once in the process that made it (its entry is dropped) and within 5 seconds
 * in the others. Keys are tenant ids (D9).
 */
const SETTINGS_TTL_MS = 5000;
const budgetCache = new Map<string, { at: number; value: Budgets }>();

export function forgetBudgets(tenantId: string): void {
  budgetCache.delete(tenantId);
}

/** The tenant's budgets: its own settings, else the platform's defaults, never above the maximums. */
export function effectiveBudgets(row: Pick<RateLimitSettings, 'perUser' | 'perToken' | 'perTenant'> | null, cfg: ReturnType<typeof limitsConfig.of>): Budgets {
  const pick = (k: keyof Budgets) => Math.min(row?.[k] ?? cfg.defaults[k], cfg.maximums[k]);
  return { perUser: pick('perUser'), perToken: pick('perToken'), perTenant: pick('perTenant') };
}

async function budgetsOf(ctx: RequestContext, tenantId: string): Promise<Budgets> {
  const hit = budgetCache.get(tenantId);
  if (hit && Date.now() - hit.at < SETTINGS_TTL_MS) return hit.value;
  // On the operation's transaction, in its tenant (authentication entered it).
  const row = await ctx.em.findOne(RateLimitSettings, {}, { fields: ['perUser', 'perToken', 'perTenant'] });
  const value = effectiveBudgets(row, limitsConfig.of(ctx.app.config));
  if (budgetCache.size > 10_000) budgetCache.clear(); // bounded: an entry is only a read saved
  budgetCache.set(tenantId, { at: Date.now(), value });
  return value;
}

/** What the principal is charged to. Every key of a tenant's principal starts with its tenant (D9). */
function chargesOf(p: Principal | null, ip: string, budgets: Budgets | null, anonymous: number): Charge[] {
  if (!p) return [{ policy: 'address', key: `ip:${ip}`, limit: anonymous }];
  const t = `t:${p.tenantId}`;
  const b = budgets as Budgets;
  const tenant: Charge = { policy: 'tenant', key: `${t}:tenant`, limit: b.perTenant };
  switch (p.kind) {
    case 'user':
      return [{ policy: 'user', key: `${t}:user:${p.userId}`, limit: b.perUser }, tenant];
    case 'token':
      return [{ policy: 'token', key: `${t}:token:${p.tokenId}`, limit: b.perToken }, tenant];
    case 'system':
      return [];
    default: {
      // A principal kind added later (support operators): charged like a person, by its own id.
      const other = p as { kind: string; tenantId: string } & Record<string, unknown>;
      const id = ['operatorId', 'userId', 'tokenId', 'sessionId', 'id'].map((k) => other[k]).find((v) => typeof v === 'string') ?? 'unknown';
      return [{ policy: other.kind, key: `${t}:${other.kind}:${id}`, limit: b.perUser }, tenant];
    }
  }
}

/**
 * H4: every GraphQL operation is charged its estimated cost (cost.ts) to each budget it falls
 * under: the person's or the token's, and the tenant's; an anonymous one to its address. Over any
 * of them, it is refused with RATE_LIMITED (HTTP 429, Retry-After). Every answer carries the
 * RateLimit headers of draft-ietf-httpapi-ratelimit-headers, both the structured `RateLimit-Policy`
 * and `RateLimit` fields and the older `RateLimit-Limit/-Remaining/-Reset` that many clients read.
 */
export const limitsMeter: OperationMeter = {
  name: 'rate limits',
  async charge(ctx, op) {
    const cfg = limitsConfig.of(ctx.app.config);
    if (!cfg.enabled) return;
    const p = ctx.principal;
    if (p?.kind === 'system') return;
    const budgets = p ? await budgetsOf(ctx, p.tenantId) : null;
    const charges = chargesOf(p, ctx.ip, budgets, cfg.anonymousPerAddress);
    if (!charges.length) return;
    const request = op.request;
    // A plain route acting for a credential (a SCIM request) has no document: a flat cost.
    const points = request ? estimate(ctx, () => operationCost(request.schema, request.document, request.operation, request.variables)) : ROUTE_COST;
    const tally = tallyOf(ctx);
    const usages = await Promise.all(charges.map((c) => tally.charge(c.key, c.limit, points)));
    let refusedFor = 0;
    charges.forEach((c, i) => {
      const u = usages[i];
      if (u.ok) return;
      refusedFor = Math.max(refusedFor, u.resetMs);
      // Refused here without asking the store until the window ends: a burst being refused costs
      // the shared store (and so other tenants, D9) nothing.
      if (u.consumed > c.limit) tally.block(c.key, Date.now() + u.resetMs);
    });
    setHeaders(ctx, charges, usages);
    if (refusedFor > 0) {
      const seconds = Math.max(1, Math.ceil(refusedFor / 1000));
      // GraphQL's answer sets it from the error too; plain routes (SCIM) have only this.
      ctx.http?.setHeader?.('Retry-After', String(seconds));
      throw rateLimited(seconds);
    }
  },
};

/** The estimate never fails an operation (E9): a document it cannot read is charged a flat cost, and logged. */
function estimate(ctx: RequestContext, cost: () => number): number {
  try {
    return cost();
  } catch (error) {
    ctx.log.warn('could not estimate an operation’s cost', { error: String((error as Error)?.message ?? error).slice(0, 200) });
    return FALLBACK_COST;
  }
}
const FALLBACK_COST = 100;
/** A SCIM request: about what a GraphQL page of people costs. */
const ROUTE_COST = 50;

function setHeaders(ctx: RequestContext, charges: Charge[], usages: Usage[]): void {
  const set = ctx.http?.setHeader;
  if (!set) return;
  const seconds = (ms: number) => Math.max(0, Math.ceil(ms / 1000));
  const remaining = (i: number) => Math.max(0, charges[i].limit - usages[i].consumed);
  set('RateLimit-Policy', charges.map((c) => `"${c.policy}";q=${c.limit};w=${WINDOW_SECONDS}`).join(', '));
  set('RateLimit', charges.map((c, i) => `"${c.policy}";r=${remaining(i)};t=${seconds(usages[i].resetMs)}`).join(', '));
  // The older fields name one policy: the one closest to refusing (the least left, then the longest wait).
  let tightest = 0;
  for (let i = 1; i < charges.length; i++) {
    const closer = remaining(i) < remaining(tightest) || (remaining(i) === remaining(tightest) && usages[i].resetMs > usages[tightest].resetMs);
    if (closer) tightest = i;
  }
  set('RateLimit-Limit', String(charges[tightest].limit));
  set('RateLimit-Remaining', String(remaining(tightest)));
  set('RateLimit-Reset', String(seconds(usages[tightest].resetMs)));
}
