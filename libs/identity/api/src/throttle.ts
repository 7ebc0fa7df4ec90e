import { rateLimited, type RequestContext } from '@bulwark/platform-api';

/** Failed sign-ins allowed per client address and tenant in one window (A10, per-IP). */
export const IP_FAILURES_PER_WINDOW = 30;
export const IP_WINDOW_MINUTES = 15;

const key = (tenantId: string | null, ip: string) => `${tenantId ?? 'none'}:${ip}`.slice(0, 120);

/**
 * Refuses a sign-in from an address that failed too often recently. Raw SQL on a table without
 * tenant data (counts keyed by tenant and address), so no tenant filter applies; see the
 * migration for why the keys are tenant-prefixed.
 */
export async function assertNotThrottled(ctx: RequestContext, tenantId: string | null): Promise<void> {
  const row = await ctx.em
    .getConnection()
    .execute<{ failures: number; window_start: string | Date }>(
      'select failures, window_start from login_throttle where key = ?',
      [key(tenantId, ctx.ip)],
      'get',
      ctx.em.getTransactionContext(),
    );
  if (!row) return;
  const windowEnd = new Date(row.window_start).getTime() + IP_WINDOW_MINUTES * 60_000;
  const now = ctx.app.now().getTime();
  if (row.failures >= IP_FAILURES_PER_WINDOW && windowEnd > now) throw rateLimited(Math.ceil((windowEnd - now) / 1000));
}

export async function recordFailure(ctx: RequestContext, tenantId: string | null): Promise<void> {
  const now = ctx.app.now();
  const windowStart = new Date(now.getTime() - IP_WINDOW_MINUTES * 60_000);
  // An upsert, on purpose: concurrent failures from one address must all count.
  await ctx.em.getConnection().execute(
    `insert into login_throttle (key, window_start, failures) values (?, ?, 1)
     on conflict (key) do update set
       failures = case when login_throttle.window_start < ? then 1 else login_throttle.failures + 1 end,
       window_start = case when login_throttle.window_start < ? then excluded.window_start else login_throttle.window_start end`,
    [key(tenantId, ctx.ip), now, windowStart, windowStart],
    'run',
    ctx.em.getTransactionContext(),
  );
}
