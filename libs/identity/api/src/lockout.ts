import { audit, type RequestContext } from '@bulwark/platform-api';
import { IdentityAudit } from './identity.audit';
import { identitySettings } from './settings';
import type { User } from './user.entity';

/** A10: the account is locked right now (a lock is never extended by further failures). */
export const isLocked = (ctx: RequestContext, user: User) => !!user.lockedUntil && user.lockedUntil > ctx.app.now();

/**
 * One more wrong password or code for this account; at the tenant's threshold it locks for the
 * tenant's duration. Sign-in, second steps and in-session password checks all count here.
 */
export async function countFailure(ctx: RequestContext, user: User): Promise<void> {
  if (isLocked(ctx, user)) return;
  const settings = await identitySettings(ctx);
  user.failedLogins += 1;
  if (user.failedLogins >= settings.lockoutThreshold) {
    user.lockedUntil = new Date(ctx.app.now().getTime() + settings.lockoutMinutes * 60_000);
    user.failedLogins = 0;
    audit(ctx, IdentityAudit.accountLocked, {
      actor: ctx.principal ? undefined : { type: 'anonymous', id: null, name: user.email },
      targetId: user.id,
      outcome: 'failure',
      details: { until: user.lockedUntil.toISOString(), threshold: settings.lockoutThreshold },
    });
  }
}
