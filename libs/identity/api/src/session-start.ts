import { type Principal, type RequestContext } from '@bulwark/platform-api';
import { newSessionToken } from './session-token';
import { Session } from './session.entity';
import { identitySettings } from './settings';
import type { User } from './user.entity';

/**
 * The end of every successful sign-in, whether it took a password alone or a password and then a
 * second factor: the failure count and any lock are cleared (A10: a success resets the count), a
 * new session starts with a new token (B1, B2), replacing the one the request came with, and the
 * browser gets it as its cookie. The caller then makes the operation act as the user.
 */
export async function startSession(
  ctx: RequestContext,
  tenantId: string,
  user: User,
  previous: Principal | null,
): Promise<{ token: string; expiresAt: Date; session: Session }> {
  const settings = await identitySettings(ctx);
  const now = ctx.app.now();
  user.failedLogins = 0;
  user.lockedUntil = null;
  const { token, hash: tokenHash } = newSessionToken(tenantId);
  const expiresAt = new Date(now.getTime() + settings.sessionAbsoluteHours * 3600_000);
  const session = ctx.em.create(Session, {
    user,
    tokenHash,
    createdAt: now,
    lastSeenAt: now,
    expiresAt,
    ip: ctx.ip,
    userAgent: ctx.userAgent,
  });
  // B2: signing in again replaces the session the request came with (same tenant; a session of
  // another tenant is out of this transaction's reach and simply stops being sent).
  if (previous?.kind === 'user' && previous.tenantId === tenantId) {
    await ctx.em.nativeDelete(Session, { id: previous.sessionId });
  }
  ctx.http?.setSessionCookie(token, settings.sessionAbsoluteHours * 3600);
  return { token, expiresAt, session };
}
