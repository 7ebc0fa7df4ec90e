import { audit, badInput, conflict, enterTenant, isUuid, notFound, Tenant, type RequestContext } from '@bulwark/platform-api';
import { toString as qrCode } from 'qrcode';
import { invalidCredentials, signIn, type LoginResult } from './identity.service';
import { CHALLENGE_MAX_ATTEMPTS } from './login-challenge';
import { endSessions } from './passwords.service';
import { requireRecentAuth, signedInPerson } from './sessions.service';
import { parseTenantToken } from './session-token';
import { identitySettings } from './settings';
import { countFailure, isLocked } from './lockout';
import { assertNotAbove } from './rank';
import { assertNotThrottled, recordFailure } from './throttle';
import {
  decryptTotpSecret,
  encryptTotpSecret,
  hashRecoveryCode,
  isRecoveryCodeShape,
  looksLikeTotp,
  matchTotp,
  newRecoveryCodes,
  newTotpSecret,
  normalizeCode,
  otpauthUrl,
} from './totp';
import { LoginChallenge, RecoveryCode } from './two-factor.entities';
import { User } from './user.entity';
import { IdentityAudit } from './identity.audit';

const self = signedInPerson;

const owner = (user: User) => ({ tenantId: user.tenantId, userId: user.id });

/** Replaces the user's recovery codes with 10 new ones; returns them in clear, the only time they exist so. */
async function issueRecoveryCodes(ctx: RequestContext, user: User): Promise<string[]> {
  await ctx.em.nativeDelete(RecoveryCode, { user });
  const codes = newRecoveryCodes();
  const now = ctx.app.now();
  for (const code of codes) {
    ctx.em.create(RecoveryCode, { user, codeHash: hashRecoveryCode(ctx.app.config.passwordPepper, normalizeCode(code)), createdAt: now });
  }
  return codes;
}

/** Turns two-factor sign-in off and forgets everything about it: secret, replay step, recovery codes, pending sign-ins. */
export async function clearTwoFactor(ctx: RequestContext, user: User): Promise<void> {
  user.totpSecretEnc = null;
  user.totpEnabledAt = null;
  user.totpLastStep = null;
  await ctx.em.nativeDelete(RecoveryCode, { user });
  await ctx.em.nativeDelete(LoginChallenge, { user });
}

/**
 * B8: needs a recent re-authentication. A new secret, stored encrypted and pending until a code
 * from it is confirmed; starting again replaces a pending one. Refused while 2FA is on (turn it
 * off first), so a pending enrolment never weakens the factor in use.
 */
export async function beginTwoFactorEnrolment(ctx: RequestContext): Promise<{ secret: string; otpauthUrl: string; qrSvg: string }> {
  const p = self(ctx);
  await requireRecentAuth(ctx);
  const user = await ctx.em.findOneOrFail(User, { id: p.userId });
  const tenant = await ctx.em.findOneOrFail(Tenant, { id: p.tenantId });
  if (user.totpEnabledAt) throw conflict('Two-factor authentication is already on; turn it off first to enrol a new authenticator');
  const secret = newTotpSecret();
  user.totpSecretEnc = encryptTotpSecret(ctx.app.config.passwordPepper, secret, owner(user));
  user.totpLastStep = null;
  const url = otpauthUrl(secret, `${tenant.slug}:${user.email}`);
  return { secret, otpauthUrl: url, qrSvg: await qrCode(url, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 }) };
}

/**
 * A current code from the pending secret turns 2FA on; returns the recovery codes (once). B6: the
 * user's other sessions end; this one stays. B8 is met by `beginTwoFactorEnrolment`: only a
 * re-authenticated session ever saw the pending secret, so confirming needs the secret, not a
 * second password prompt.
 */
export async function confirmTwoFactorEnrolment(ctx: RequestContext, code: string): Promise<string[]> {
  const p = self(ctx);
  const user = await ctx.em.findOneOrFail(User, { id: p.userId });
  if (user.totpEnabledAt) throw conflict('Two-factor authentication is already on');
  if (!user.totpSecretEnc) throw conflict('Start the enrolment first');
  const secret = decryptTotpSecret(ctx.app.config.passwordPepper, user.totpSecretEnc, owner(user));
  const step = matchTotp(secret, normalizeCode(code.slice(0, 40)), ctx.app.now(), null);
  if (step === null) throw badInput('The code is not right; check the time on your device and try the next one', { code: 'wrong' });
  user.totpEnabledAt = ctx.app.now();
  user.totpLastStep = step; // the confirming code cannot sign anyone in
  const codes = await issueRecoveryCodes(ctx, user);
  await endSessions(ctx, user, p.sessionId);
  audit(ctx, IdentityAudit.twoFactorEnabled, { targetId: user.id });
  return codes;
}

/**
 * B8: needs a recent re-authentication. Refused when the tenant requires 2FA for the user's
 * role. B6: the user's other sessions end. False when it was not on.
 */
export async function disableTwoFactor(ctx: RequestContext): Promise<boolean> {
  const p = self(ctx);
  await requireRecentAuth(ctx);
  const user = await ctx.em.findOneOrFail(User, { id: p.userId });
  const settings = await identitySettings(ctx);
  const wasOn = !!user.totpEnabledAt;
  if (wasOn && settings.twoFactorRequiredRoles.includes(user.role)) {
    throw conflict(`This workspace requires two-factor authentication for the ${user.role} role; it cannot be turned off`);
  }
  await clearTwoFactor(ctx, user);
  if (wasOn) {
    await endSessions(ctx, user, p.sessionId);
    audit(ctx, IdentityAudit.twoFactorDisabled, { targetId: user.id });
  }
  return wasOn;
}

/** B8: needs a recent re-authentication. The old codes stop working. B6: the user's other sessions end. */
export async function regenerateRecoveryCodes(ctx: RequestContext): Promise<string[]> {
  const p = self(ctx);
  await requireRecentAuth(ctx);
  const user = await ctx.em.findOneOrFail(User, { id: p.userId });
  if (!user.totpEnabledAt) throw conflict('Two-factor authentication is not on');
  const codes = await issueRecoveryCodes(ctx, user);
  await endSessions(ctx, user, p.sessionId);
  audit(ctx, IdentityAudit.recoveryCodesRegenerated, { targetId: user.id });
  return codes;
}

/**
 * An admin turns someone's 2FA off (a lost phone and no recovery codes): secret, recovery codes
 * and pending sign-ins go, and every session of theirs ends (B6; an admin resetting their own
 * keeps the current one). B8: needs a recent re-authentication. Another tenant's id is
 * NOT_FOUND. False (and no session ends) when it was not on.
 */
export async function resetTwoFactor(ctx: RequestContext, userId: string): Promise<boolean> {
  const p = self(ctx);
  await requireRecentAuth(ctx);
  if (!isUuid(userId)) throw notFound('User');
  const user = await ctx.em.findOne(User, { id: userId, status: { $ne: 'deleted' } });
  if (user) await assertNotAbove(ctx, user); // an admin cannot reset an owner's second factor
  if (!user) throw notFound('User');
  const wasOn = !!user.totpEnabledAt;
  await clearTwoFactor(ctx, user); // also a pending enrolment
  if (wasOn) {
    await endSessions(ctx, user, user.id === p.userId ? p.sessionId : undefined);
    audit(ctx, IdentityAudit.twoFactorReset, { targetId: user.id, details: { email: user.email } });
  }
  return wasOn;
}

/**
 * The second step of a two-factor sign-in: the challenge from `login` and a TOTP code (or a
 * recovery code, each good once) start the session exactly as a password-only sign-in does.
 * A9: every failure answers like a wrong password. A10: a wrong code counts towards the
 * account's lockout and the address's throttle (kept although the mutation fails), a locked
 * account fails even with the right code, and a challenge takes at most 5 codes in 5 minutes.
 */
export async function verifyTwoFactor(ctx: RequestContext, input: { challenge: string; code: string }): Promise<LoginResult> {
  const previous = ctx.principal;
  const parsed = parseTenantToken('bwc_', input.challenge);
  const tenantId = parsed?.tenantId ?? null;
  await assertNotThrottled(ctx, tenantId);
  /** Every failure of the second step is one event (once the tenant is known) and one answer (A9). */
  const fail = async (reason: string, user?: User) => {
    await recordFailure(ctx, tenantId);
    if (ctx.tenantId) {
      audit(ctx, IdentityAudit.loginFailed, {
        actor: { type: 'anonymous', id: null, name: user?.email ?? null },
        targetId: user?.id ?? null,
        outcome: 'failure',
        details: { reason, step: 'second factor' },
      });
    }
    return invalidCredentials().keepingChanges();
  };
  if (!parsed) throw await fail('malformed challenge');
  await enterTenant(ctx, parsed.tenantId, { replacePrincipal: true });
  const found = await ctx.em.findOne(LoginChallenge, { tokenHash: parsed.hash }, { fields: ['id', 'user'] });
  if (!found) throw await fail('unknown or used challenge');
  // One second step at a time per account, until this operation commits: concurrent requests
  // can neither test more codes than the lockout and the challenge allow, nor use one code twice.
  // An advisory lock rather than the user's row, so it never waits in the other order than the
  // password step (throttle row, then user row) and cannot deadlock with it. Raw SQL on no table.
  await ctx.em
    .getConnection()
    .execute('select pg_advisory_xact_lock(hashtextextended(?, 0))', [`bulwark:2fa:${found.user.id}`], 'get', ctx.em.getTransactionContext());
  const user = await ctx.em.findOneOrFail(User, { id: found.user.id }, { refresh: true });
  const challenge = await ctx.em.findOne(LoginChallenge, { id: found.id }, { refresh: true }); // gone if used meanwhile
  const now = ctx.app.now();
  if (!challenge || challenge.expiresAt <= now || challenge.attempts >= CHALLENGE_MAX_ATTEMPTS) throw await fail('challenge expired or used up', user);
  const locked = isLocked(ctx, user);
  // A9: a locked, suspended or since-reset account fails like a wrong code; a lock is not extended.
  if (locked || user.status !== 'active' || !user.totpEnabledAt || !user.totpSecretEnc) {
    audit(ctx, IdentityAudit.loginFailed, {
      actor: { type: 'anonymous', id: null, name: user.email },
      targetId: user.id,
      outcome: 'failure',
      details: { reason: locked ? 'locked' : user.status !== 'active' ? `account ${user.status}` : 'two-factor sign-in was reset', step: 'second factor' },
    });
    throw invalidCredentials().keepingChanges();
  }

  if (!(await acceptSecondFactor(ctx, user, input.code, now))) {
    challenge.attempts += 1;
    await countFailure(ctx, user);
    throw await fail('wrong code', user);
  }
  ctx.em.remove(challenge);
  return { ...(await signIn(ctx, parsed.tenantId, user, previous)), twoFactorRequired: false, challenge: null };
}

/** A TOTP code newer than the last one used, or an unused recovery code (then spent). */
async function acceptSecondFactor(ctx: RequestContext, user: User, code: string, now: Date): Promise<boolean> {
  const pepper = ctx.app.config.passwordPepper;
  const given = normalizeCode(code);
  if (looksLikeTotp(given)) {
    const step = matchTotp(decryptTotpSecret(pepper, user.totpSecretEnc as string, owner(user)), given, now, user.totpLastStep ?? null);
    if (step === null) return false;
    user.totpLastStep = step;
    return true;
  }
  if (!isRecoveryCodeShape(given)) return false;
  const spent = await ctx.em.nativeUpdate(RecoveryCode, { user, codeHash: hashRecoveryCode(pepper, given), usedAt: null }, { usedAt: now });
  return spent === 1;
}
