import type { RequestContext } from '@bulwark/platform-api';
import { jwtVerify } from 'jose';
import { SsoFailure, type FederatedPerson } from './federation.service';
import { connectionSecret, describe } from './oidc';
import { firstUse } from './replay';
import type { SsoConnection } from './sso.entities';

/**
 * C2: a JWT is accepted at most this long after its `iat` (Zendesk's window), clock skew between
 * the workspace's server and ours included, and its `jti` once.
 */
export const JWT_WINDOW_SECONDS = 180;
const SKEW_SECONDS = 30;

/**
 * JWT SSO as Zendesk has it: the tenant's own sign-in page authenticates the person and sends the
 * browser here with an HS256 JWT signed with the shared secret. C2: HS256 only, the tenant's
 * secret, `iat` within the window (and not in the future beyond a small skew), `jti` once. The
 * person is the `external_id` (or `sub`) claim, never the email alone (C4).
 */
export async function verifySsoJwt(ctx: RequestContext, connection: SsoConnection, tenantId: string, token: string): Promise<FederatedPerson> {
  const secret = connectionSecret(ctx, connection);
  if (!secret) throw new SsoFailure('the connection has no shared secret');
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, new TextEncoder().encode(secret), {
      algorithms: ['HS256'],
      // jose adds the tolerance to the age: the two make the window.
      maxTokenAge: JWT_WINDOW_SECONDS - SKEW_SECONDS,
      clockTolerance: SKEW_SECONDS,
      currentDate: ctx.app.now(),
      requiredClaims: ['iat', 'jti', 'email'],
    }));
  } catch (e) {
    throw new SsoFailure(`JWT refused: ${describe(e)}`);
  }
  const subject = typeof payload.external_id === 'string' || typeof payload.external_id === 'number' ? String(payload.external_id) : typeof payload.sub === 'string' ? payload.sub : '';
  if (!subject) throw new SsoFailure('JWT refused: it names the person with neither external_id nor sub');
  const expires = new Date(((payload.iat as number) + JWT_WINDOW_SECONDS + 60) * 1000);
  if (!(await firstUse(ctx, connection, 'jwt', String(payload.jti), expires))) throw new SsoFailure('JWT refused: its jti was used before (replay)');
  return {
    subject,
    email: typeof payload.email === 'string' ? payload.email : null,
    // The tenant's own sign-in page is the authority on its people's addresses.
    emailVerified: true,
    name: typeof payload.name === 'string' ? payload.name : null,
    claims: payload,
  };
}
