import { AppError, audit, badInput, isUuid, notFound, reauthRequired, unauthenticated, type RequestContext } from '@bulwark/platform-api';
import { countFailure, isLocked } from './lockout';
import { verifyPassword } from './password';
import { newSessionToken } from './session-token';
import { Session } from './session.entity';
import { User } from './user.entity';
import { IdentityAudit } from './identity.audit';

/** B8: how recent a password confirmation must be for sensitive operations. */
export const REAUTH_MINUTES = 5;

/**
 * The signed-in person, for what only a person may do (their sessions, password, 2FA, profile,
 * tokens). Nobody signed in: UNAUTHENTICATED. A valid API token is not UNAUTHENTICATED (an
 * integration would think its token dead): it is FORBIDDEN, as a token, whatever its scope.
 */
export function signedInPerson(ctx: RequestContext) {
  const p = ctx.principal;
  if (p?.kind === 'token') throw new AppError('FORBIDDEN', 'An API token cannot do this: it needs a person signed in');
  // Vendor support is signed in, as nobody of this workspace: their own account is the platform's.
  if (p?.kind === 'support') throw new AppError('FORBIDDEN', 'Vendor support cannot do this: it needs a person of this workspace');
  if (p?.kind !== 'user') throw unauthenticated();
  return p;
}

export interface SessionView {
  id: string;
  createdAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
  ip: string;
  userAgent: string;
  current: boolean;
}

/** B7: the signed-in user's sessions, with device and address, newest first. */
export async function mySessions(ctx: RequestContext): Promise<SessionView[]> {
  const p = signedInPerson(ctx);
  const sessions = await ctx.em.find(Session, { user: p.userId }, { orderBy: { lastSeenAt: 'desc' } });
  return sessions.map((s) => ({
    id: s.id,
    createdAt: s.createdAt,
    lastSeenAt: s.lastSeenAt,
    expiresAt: s.expiresAt,
    ip: s.ip,
    userAgent: s.userAgent,
    current: s.id === p.sessionId,
  }));
}

export async function revokeSession(ctx: RequestContext, id: string): Promise<boolean> {
  const p = signedInPerson(ctx);
  if (!isUuid(id)) throw notFound('Session');
  const n = await ctx.em.nativeDelete(Session, { id, user: p.userId });
  if (!n) throw notFound('Session');
  if (id === p.sessionId) ctx.http?.clearSessionCookie();
  audit(ctx, IdentityAudit.sessionRevoked, { targetId: id, details: { current: id === p.sessionId } });
  return true;
}

export async function revokeOtherSessions(ctx: RequestContext): Promise<number> {
  const p = signedInPerson(ctx);
  const n = await ctx.em.nativeDelete(Session, { user: p.userId, id: { $ne: p.sessionId } });
  audit(ctx, IdentityAudit.otherSessionsRevoked, { targetId: p.userId, details: { sessionsEnded: n } });
  return n;
}

/** Admin single sign-out for one person: every session of theirs ends on its next request. */
export async function signOutUser(ctx: RequestContext, userId: string): Promise<number> {
  if (!isUuid(userId) || !(await ctx.em.count(User, { id: userId }))) throw notFound('User');
  const n = await ctx.em.nativeDelete(Session, { user: userId });
  audit(ctx, IdentityAudit.userSignedOut, { targetId: userId, details: { sessionsEnded: n } });
  return n;
}

/** Admin single sign-out for the whole tenant; the admin's own current session stays. */
export async function signOutEveryone(ctx: RequestContext): Promise<number> {
  const p = signedInPerson(ctx);
  const n = await ctx.em.nativeDelete(Session, { id: { $ne: p.sessionId } });
  audit(ctx, IdentityAudit.everyoneSignedOut, { targetId: p.tenantId, details: { sessionsEnded: n } });
  return n;
}

/**
 * B8 "sudo mode": confirming the password marks this session as recently re-authenticated.
 * B2: the session gets a new token; the old one is dead.
 */
export async function reauthenticate(ctx: RequestContext, password: string): Promise<{ token: string; expiresAt: Date }> {
  const p = signedInPerson(ctx);
  const user = await ctx.em.findOneOrFail(User, { id: p.userId });
  // A stolen session must not become a password-guessing oracle: failures count toward lockout.
  const ok = !isLocked(ctx, user) && !!user.passwordHash && (await verifyPassword(ctx.app.config.passwordPepper, password, user.passwordHash));
  if (!ok) {
    await countFailure(ctx, user);
    audit(ctx, IdentityAudit.reauthenticationFailed, { targetId: user.id, outcome: 'failure' });
    throw badInput('The password is not right', { password: 'wrong' }).keepingChanges();
  }
  const session = await ctx.em.findOneOrFail(Session, { id: p.sessionId });
  const { token, hash } = newSessionToken(p.tenantId);
  session.tokenHash = hash;
  session.reauthAt = ctx.app.now();
  audit(ctx, IdentityAudit.reauthenticated, { targetId: user.id });
  ctx.http?.setSessionCookie(token, Math.max(1, Math.floor((session.expiresAt.getTime() - ctx.app.now().getTime()) / 1000)));
  return { token, expiresAt: session.expiresAt };
}

/** Throws REAUTH_REQUIRED unless this session confirmed its password in the last 5 minutes. */
export async function requireRecentAuth(ctx: RequestContext): Promise<void> {
  // A token has no password to confirm, so what B8 guards is not for tokens (FORBIDDEN).
  const p = signedInPerson(ctx);
  const session = await ctx.em.findOne(Session, { id: p.sessionId }, { fields: ['reauthAt'] });
  const at = session?.reauthAt?.getTime() ?? 0;
  if (ctx.app.now().getTime() - at > REAUTH_MINUTES * 60_000) throw reauthRequired();
}
