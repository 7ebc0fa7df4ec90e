import type { RequestContext } from '@bulwark/platform-api';
import { newTenantToken } from './session-token';
import { LoginChallenge } from './two-factor.entities';
import type { User } from './user.entity';

/** How long the second step of a sign-in stays open, and how many wrong codes it takes. */
export const CHALLENGE_MINUTES = 5;
export const CHALLENGE_MAX_ATTEMPTS = 5;

/**
 * The password was right and the account has two-factor sign-in: no session yet, only a
 * short-lived `bwc_` token that `verifyTwoFactor` exchanges, with a code, for a session. Only its
 * SHA-256 is stored. The user's expired challenges are cleared on the way.
 */
export async function openLoginChallenge(ctx: RequestContext, tenantId: string, user: User): Promise<string> {
  const now = ctx.app.now();
  await ctx.em.nativeDelete(LoginChallenge, { user, expiresAt: { $lte: now } });
  const { token, hash } = newTenantToken('bwc_', tenantId);
  ctx.em.create(LoginChallenge, { user, tokenHash: hash, createdAt: now, expiresAt: new Date(now.getTime() + CHALLENGE_MINUTES * 60_000) });
  return token;
}
