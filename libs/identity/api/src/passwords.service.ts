import { audit, queueMail, badInput, enterTenant, isUuid, notFound, Tenant, type RequestContext } from '@bulwark/platform-api';
import { signedInPerson } from './sessions.service';
import { checkPassword, contextWordsFor } from '@bulwark/identity-shared';
import { dictionary } from '@zxcvbn-ts/language-common';
import { hashPassword, verifyPassword } from './password';
import { countFailure, isLocked } from './lockout';
import { AuthToken, PasswordHistory, type AuthTokenKind } from './security.entities';
import { Session } from './session.entity';
import { ApiToken } from './api-token.entity';
import { newTenantToken, parseTenantToken, type TokenPrefix } from './session-token';
import { identitySettings } from './settings';
import { User } from './user.entity';
import { IdentityAudit } from './identity.audit';

/** A5: the common/breached list shipped with @zxcvbn-ts/language-common (49k entries). */
const COMMON = new Set((dictionary['passwords-common'] as string[]).map((p) => p.toLowerCase()));
export const isCommonPassword = (lower: string) => COMMON.has(lower);

export const RESET_HOURS = 1;
export const INVITE_DAYS = 7;

/**
 * Sets a new password after the tenant's rules: length, common list, context words (A1-A5),
 * and no reuse of the last N (history). Keeps the old hash in the history.
 */
export async function applyNewPassword(ctx: RequestContext, user: User, password: string): Promise<void> {
  const settings = await identitySettings(ctx);
  const tenant = await ctx.em.findOneOrFail(Tenant, { id: ctx.tenantId as string });
  const verdict = checkPassword(password, {
    minLength: settings.passwordMinLength,
    contextWords: contextWordsFor(tenant.name, tenant.slug, user.email),
    isCommon: isCommonPassword,
  });
  if (!verdict.ok) throw badInput(verdict.messages.join('; '), { password: verdict.messages.join('; ') });

  const { passwordPepper: pepper, bcryptCost: cost } = ctx.app.config;
  if (settings.passwordHistory > 0) {
    const earlier = await ctx.em.find(PasswordHistory, { user }, { orderBy: { createdAt: 'desc' }, limit: settings.passwordHistory - 1 });
    const hashes = [user.passwordHash, ...earlier.map((h) => h.passwordHash)].filter((h): h is string => !!h);
    const reused = await Promise.all(hashes.map((h) => verifyPassword(pepper, password, h)));
    if (reused.some(Boolean)) {
      const msg = `Choose a password you have not used for your last ${settings.passwordHistory} passwords`;
      throw badInput(msg, { password: msg });
    }
  }
  const now = ctx.app.now();
  if (user.passwordHash) ctx.em.create(PasswordHistory, { user, passwordHash: user.passwordHash, createdAt: now });
  user.passwordHash = await hashPassword(pepper, password, cost);
  user.passwordChangedAt = now;
  user.failedLogins = 0;
  user.lockedUntil = null;
}

/**
 * B6: a password change (or reset, 2FA change, suspension) ends the user's other sessions, and
 * revokes the API tokens they made: a stolen session's tokens must not outlive the cleanup.
 */
export async function endSessions(ctx: RequestContext, user: User, keepSessionId?: string): Promise<number> {
  await ctx.em.nativeUpdate(ApiToken, { createdBy: user.id, revokedAt: null }, { revokedAt: ctx.app.now() });
  return ctx.em.nativeDelete(Session, keepSessionId ? { user, id: { $ne: keepSessionId } } : { user });
}

/** A6: changing a password needs the current one. */
export async function changePassword(ctx: RequestContext, current: string, next: string): Promise<boolean> {
  const p = signedInPerson(ctx);
  const user = await ctx.em.findOneOrFail(User, { id: p.userId });
  const ok = !isLocked(ctx, user) && !!user.passwordHash && (await verifyPassword(ctx.app.config.passwordPepper, current, user.passwordHash));
  if (!ok) {
    await countFailure(ctx, user); // in-session guessing counts toward lockout too
    throw badInput('The current password is not right', { currentPassword: 'wrong' }).keepingChanges();
  }
  await applyNewPassword(ctx, user, next);
  const ended = await endSessions(ctx, user, p.sessionId);
  audit(ctx, IdentityAudit.passwordChanged, { targetId: user.id, changes: { password: { before: '[redacted]', after: '[redacted]' } }, details: { otherSessionsEnded: ended } });
  return true;
}

async function issueToken(ctx: RequestContext, user: User, kind: AuthTokenKind, prefix: TokenPrefix, hours: number): Promise<string> {
  // A newer link replaces older unused ones of the same kind.
  await ctx.em.nativeDelete(AuthToken, { user, kind, usedAt: null });
  const { token, hash } = newTenantToken(prefix, ctx.tenantId as string);
  const now = ctx.app.now();
  ctx.em.create(AuthToken, { user, kind, tokenHash: hash, createdAt: now, expiresAt: new Date(now.getTime() + hours * 3600_000) });
  return token;
}

/** Links carry the secret in the URL fragment, which browsers never send to a server (B9). */
const link = (ctx: RequestContext, path: string, token: string) => `${ctx.app.config.publicUrl}/#/${path}?token=${token}`;

/**
 * A13: "forgot password" answers the same whether or not the email is known; the mail (and the
 * token) exist only for active users, and the mail leaves after the commit.
 */
export async function requestPasswordReset(ctx: RequestContext, input: { tenant: string; email: string }, tenantIdBySlug: (slug: string) => Promise<string | null>): Promise<boolean> {
  const tenantId = await tenantIdBySlug(input.tenant.trim().toLowerCase());
  if (!tenantId) return true;
  await enterTenant(ctx, tenantId, { replacePrincipal: true });
  const email = input.email.trim().toLowerCase().slice(0, 254);
  const user = await ctx.em.findOne(User, { email, status: 'active' });
  audit(ctx, IdentityAudit.passwordResetRequested, {
    actor: { type: 'anonymous', id: null, name: email },
    targetId: user?.id ?? null,
    outcome: user ? 'success' : 'failure',
    details: user ? null : { reason: 'no active account with this address' },
  });
  if (!user) return true;
  const token = await issueToken(ctx, user, 'reset', 'bwr_', RESET_HOURS);
  const to = user.email;
  await queueMail(ctx, {
    to,
    subject: 'Reset your Bulwark password',
    text: `Someone asked to reset the password of ${to}.\n\nTo choose a new one, open this link within ${RESET_HOURS} hour:\n${link(ctx, 'reset-password', token)}\n\nIf it was not you, ignore this message; your password stays as it is.`,
  });
  return true;
}

/** Finds the live token (unused, unexpired) and moves the operation into its tenant. */
async function redeem(ctx: RequestContext, prefix: TokenPrefix, kind: AuthTokenKind, token: string): Promise<AuthToken> {
  const invalid = () => badInput('This link is invalid or has expired', { token: 'invalid' });
  const parsed = parseTenantToken(prefix, token);
  if (!parsed) throw invalid();
  await enterTenant(ctx, parsed.tenantId, { replacePrincipal: true });
  const found = await ctx.em.findOne(AuthToken, { tokenHash: parsed.hash, kind, usedAt: null }, { populate: ['user'] });
  if (!found || found.expiresAt <= ctx.app.now()) throw invalid();
  found.usedAt = ctx.app.now();
  return found;
}

/** A13: a reset link works once, within the hour; it ends every session of the user (B6). */
export async function resetPassword(ctx: RequestContext, token: string, password: string): Promise<boolean> {
  const t = await redeem(ctx, 'bwr_', 'reset', token);
  if (t.user.status !== 'active') throw badInput('This link is invalid or has expired', { token: 'invalid' });
  await applyNewPassword(ctx, t.user, password);
  const ended = await endSessions(ctx, t.user);
  audit(ctx, IdentityAudit.passwordReset, { actor: { type: 'anonymous', id: null, name: t.user.email }, targetId: t.user.id, details: { sessionsEnded: ended } });
  return true;
}

/** Invites someone by email: an invited user has no password until they accept (7 days). */
export async function inviteUser(
  ctx: RequestContext,
  input: { email: string; name: string; role: string; phone?: string | null },
  create: (ctx: RequestContext, u: { email: string; name: string; role: string; phone?: string | null }) => Promise<User>,
): Promise<User> {
  const user = await create(ctx, input);
  user.status = 'invited';
  audit(ctx, IdentityAudit.userInvited, { targetId: user.id, details: { email: user.email, role: user.role } });
  const token = await issueToken(ctx, user, 'invite', 'bwi_', INVITE_DAYS * 24);
  const tenant = await ctx.em.findOneOrFail(Tenant, { id: ctx.tenantId as string });
  const to = user.email;
  await queueMail(ctx, {
    to,
    subject: `You are invited to ${tenant.name} on Bulwark`,
    text: `You have been invited to the ${tenant.name} service desk (workspace "${tenant.slug}").\n\nChoose your password within ${INVITE_DAYS} days:\n${link(ctx, 'accept-invitation', token)}\n`,
  });
  return user;
}

export async function acceptInvitation(ctx: RequestContext, token: string, password: string): Promise<boolean> {
  const t = await redeem(ctx, 'bwi_', 'invite', token);
  if (t.user.status !== 'invited') throw badInput('This link is invalid or has expired', { token: 'invalid' });
  t.user.status = 'active';
  await applyNewPassword(ctx, t.user, password);
  audit(ctx, IdentityAudit.invitationAccepted, { actor: { type: 'user', id: t.user.id, name: t.user.name }, targetId: t.user.id });
  return true;
}

/** A10: an admin lifts a lock before it expires. */
export async function unlockUser(ctx: RequestContext, id: string): Promise<boolean> {
  if (!isUuid(id)) throw notFound('User');
  const user = await ctx.em.findOne(User, { id });
  if (!user) throw notFound('User');
  audit(ctx, IdentityAudit.userUnlocked, { targetId: user.id, changes: { lockedUntil: { before: user.lockedUntil?.toISOString() ?? null, after: null } } });
  user.lockedUntil = null;
  user.failedLogins = 0;
  return true;
}
