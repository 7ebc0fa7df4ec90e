import { audit, type RequestContext } from '@bulwark/platform-api';
import { IdentityAudit } from './identity.audit';
import { identitySettings } from './settings';
import type { User } from './user.entity';

/** A10: the account is locked right now (a lock is never extended by further failures). */
export const isLocked = (ctx: RequestContext, user: User) => !!user.lockedUntil && user.lockedUntil > ctx.app.now();

/**
 * One more wrong password or code for this account; at the tenant's threshold it locks for the
 * tenant's duration. Sign-in, second steps and in-session password checks all count here.
 *
 * One atomic UPDATE, so concurrent failures (several API processes) all count: a read-then-write
 * of the loaded entity would let two of them write the same number. RLS-scoped raw SQL naming the
 * tenant; the row lock it takes lasts until the operation commits, so the values copied back onto
 * the entity (and written again, unchanged, at flush) cannot be stale.
 */
export async function countFailure(ctx: RequestContext, user: User): Promise<void> {
  if (isLocked(ctx, user)) return;
  const settings = await identitySettings(ctx);
  const now = ctx.app.now();
  const lockUntil = new Date(now.getTime() + settings.lockoutMinutes * 60_000);
  const [row] = await ctx.em.getConnection().execute<{ failed_logins: number; locked_until: Date | null }[]>(
    `update users set
       failed_logins = case when failed_logins + 1 >= ? then 0 else failed_logins + 1 end,
       locked_until = case when failed_logins + 1 >= ? then ?::timestamptz else locked_until end
     where tenant_id = ? and id = ? and (locked_until is null or locked_until <= ?)
     returning failed_logins, locked_until`,
    [settings.lockoutThreshold, settings.lockoutThreshold, lockUntil, user.tenantId, user.id, now],
    'all',
    ctx.em.getTransactionContext(),
  );
  if (!row) return; // locked meanwhile by a concurrent failure
  user.failedLogins = row.failed_logins;
  user.lockedUntil = row.locked_until ? new Date(row.locked_until) : null;
  if (user.lockedUntil && user.lockedUntil > now) {
    audit(ctx, IdentityAudit.accountLocked, {
      actor: ctx.principal ? undefined : { type: 'anonymous', id: null, name: user.email },
      targetId: user.id,
      outcome: 'failure',
      details: { until: user.lockedUntil.toISOString(), threshold: settings.lockoutThreshold },
    });
  }
}
