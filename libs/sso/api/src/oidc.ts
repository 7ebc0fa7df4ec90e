import { unsealWithKeys, type RequestContext } from '@bulwark/platform-api';
import * as client from 'openid-client';
import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { SsoFailure, type FederatedPerson } from './federation.service';
import { providerUrl } from './provider-url';
import { ssoConfig } from './sso.config';
import type { OidcSettings, SsoConnection } from './sso.entities';

/** How recent the provider's authentication must be for a re-authentication (B8's five minutes). */
export const REAUTH_SECONDS = 300;

/**
 * The purpose client secrets and shared keys are sealed for (platform sealing.ts). Not bound to
 * the row: a backup restored into a new workspace gives the connection a new id, and its secret
 * must still open there.
 */
export const SECRET_PURPOSE = 'sso-secrets';

export function connectionSecret(ctx: RequestContext, connection: SsoConnection): string | null {
  if (!connection.secretSealed) return null;
  const { masterKey, masterKeyPrevious } = ctx.app.config;
  return unsealWithKeys([masterKey, masterKeyPrevious], SECRET_PURPOSE, connection.secretSealed);
}

interface Discovered {
  config: client.Configuration;
  jwks: JWTVerifyGetKey;
  at: number;
}

/**
 * Discovery documents and key sets per connection version, for ten minutes. Keys name the tenant
 * and the connection's last change (D9): an edited connection is discovered afresh.
 */
const DISCOVERY_TTL_MS = 10 * 60_000;
/** At most this many at once: an edited connection's old versions go first (insertion order). */
const DISCOVERY_MAX = 500;
const discovered = new Map<string, Promise<Discovered>>();

export async function oidcClient(ctx: RequestContext, connection: SsoConnection, tenantId: string): Promise<Discovered> {
  const key = `${tenantId}:${connection.id}:${connection.updatedAt.getTime()}`;
  const hit = discovered.get(key);
  if (hit) {
    const d = await hit.catch(() => null);
    if (d && Date.now() - d.at < DISCOVERY_TTL_MS) return d;
    discovered.delete(key);
  }
  const pending = discover(ctx, connection);
  while (discovered.size >= DISCOVERY_MAX) discovered.delete(discovered.keys().next().value as string);
  discovered.set(key, pending);
  pending.catch(() => discovered.delete(key));
  return pending;
}

/** Discovery, uncached (the connection test wants what the provider says now). */
export async function discover(ctx: RequestContext, connection: SsoConnection): Promise<Discovered> {
  const settings = connection.settings as OidcSettings;
  const issuer = await providerUrl(ctx, settings.issuer, 'issuer');
  const secret = connectionSecret(ctx, connection);
  const allowPrivate = ssoConfig.of(ctx.app.config).allowPrivateProviders;
  const config = await client.discovery(issuer, settings.clientId, secret ? { client_secret: secret } : undefined, secret ? client.ClientSecretBasic(secret) : client.None(), {
    execute: allowPrivate ? [client.allowInsecureRequests] : [],
    timeout: 10,
  });
  // C1: the ID token's signature is checked against the provider's published keys (openid-client
  // otherwise trusts a token received straight from the token endpoint over TLS).
  client.enableNonRepudiationChecks(config);
  const meta = config.serverMetadata();
  const jwksUri = meta.jwks_uri;
  if (!jwksUri) throw new SsoFailure('the provider publishes no jwks_uri');
  // The server fetches these too (the code exchange, the keys): held to the issuer's rules, so a
  // discovery document cannot point the server at its own network (SSRF).
  for (const [field, url] of [['token_endpoint', meta.token_endpoint], ['jwks_uri', jwksUri]] as const) {
    if (url) await providerUrl(ctx, url, field);
  }
  return { config, jwks: createRemoteJWKSet(new URL(jwksUri), { timeoutDuration: 10_000 }), at: Date.now() };
}

/** Where the provider sends the browser back: one URL per connection, to register at the provider. */
export const callbackUrl = (ctx: RequestContext, slug: string, connectionId: string) => `${ctx.app.config.publicUrl}/api/sso/${slug}/${connectionId}/callback`;
export const backchannelUrl = (ctx: RequestContext, slug: string, connectionId: string) => `${ctx.app.config.publicUrl}/api/sso/${slug}/${connectionId}/backchannel-logout`;

/** C1: the authorization request, with state, nonce and PKCE (S256). */
export async function oidcAuthorizationUrl(
  ctx: RequestContext,
  connection: SsoConnection,
  tenantId: string,
  slug: string,
  checks: { state: string; nonce: string; codeVerifier: string; loginHint?: string | null; reauth?: boolean },
): Promise<URL> {
  const { config } = await oidcClient(ctx, connection, tenantId);
  const settings = connection.settings as OidcSettings;
  return client.buildAuthorizationUrl(config, {
    redirect_uri: callbackUrl(ctx, slug, connection.id),
    scope: ['openid', 'email', 'profile', ...(settings.scopes ?? [])].join(' '),
    state: checks.state,
    nonce: checks.nonce,
    code_challenge: await client.calculatePKCECodeChallenge(checks.codeVerifier),
    code_challenge_method: 'S256',
    ...(checks.loginHint ? { login_hint: checks.loginHint } : {}),
    // Re-authentication: the provider must ask the person again, whatever session it holds.
    ...(checks.reauth ? { prompt: 'login', max_age: '0' } : {}),
  });
}

/**
 * The callback: the code is exchanged (with the PKCE verifier) and the ID token checked by
 * openid-client: signature by a key of the configured JWKS (no `alg: none`), exact issuer, `aud`
 * the client id, exp/iat, and the nonce of this sign-in (C1).
 */
export async function oidcCallback(
  ctx: RequestContext,
  connection: SsoConnection,
  tenantId: string,
  slug: string,
  current: URL,
  checks: { state: string; nonce: string; codeVerifier: string; reauth?: boolean },
): Promise<FederatedPerson> {
  const { config } = await oidcClient(ctx, connection, tenantId);
  let claims: Record<string, unknown>;
  try {
    const tokens = await client.authorizationCodeGrant(
      config,
      current,
      {
        pkceCodeVerifier: checks.codeVerifier,
        expectedState: checks.state,
        expectedNonce: checks.nonce,
        idTokenExpected: true,
        // B8: a re-authentication counts only if the provider says it authenticated the person
        // within the same five minutes a password confirmation lasts (`auth_time` is checked).
        ...(checks.reauth ? { maxAge: REAUTH_SECONDS } : {}),
      },
      { redirect_uri: callbackUrl(ctx, slug, connection.id) },
    );
    claims = (tokens.claims() ?? {}) as Record<string, unknown>;
  } catch (e) {
    throw new SsoFailure(`the provider's answer was refused: ${describe(e)}`);
  }
  return {
    authenticatedAt: typeof claims.auth_time === 'number' ? new Date(claims.auth_time * 1000) : null,
    subject: typeof claims.sub === 'string' ? claims.sub : '',
    email: typeof claims.email === 'string' ? claims.email : null,
    emailVerified: claims.email_verified === true,
    name: typeof claims.name === 'string' ? claims.name : null,
    claims,
  };
}

const BACKCHANNEL_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/**
 * OpenID Connect Back-Channel Logout 1.0, §2.6: a logout token signed by a key of the provider's
 * JWKS, from its issuer, for our client id, recent, with the back-channel event, a `sub` (we find
 * people by subject), no nonce, and a `jti` seen once (the caller keeps the replay cache).
 */
export async function verifyLogoutToken(ctx: RequestContext, connection: SsoConnection, tenantId: string, token: string) {
  const { config, jwks } = await oidcClient(ctx, connection, tenantId);
  const meta = config.serverMetadata();
  const algorithms = (meta.id_token_signing_alg_values_supported ?? ['RS256']).filter((a) => a !== 'none');
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, jwks, {
      issuer: meta.issuer,
      audience: (connection.settings as OidcSettings).clientId,
      algorithms,
      maxTokenAge: '3 minutes',
      clockTolerance: 60,
      requiredClaims: ['iat', 'jti', 'events'],
      typ: undefined,
    }));
  } catch (e) {
    throw new SsoFailure(`logout token refused: ${describe(e)}`);
  }
  const events = payload.events as Record<string, unknown> | undefined;
  if (!events || typeof events !== 'object' || !(BACKCHANNEL_EVENT in events)) throw new SsoFailure('logout token refused: no back-channel logout event');
  if ('nonce' in payload) throw new SsoFailure('logout token refused: it carries a nonce');
  if (typeof payload.sub !== 'string' || !payload.sub) throw new SsoFailure('logout token refused: no subject (sessions are found by subject)');
  return { subject: payload.sub, jti: String(payload.jti), iat: Number(payload.iat) };
}

/** A library error's own words, for the audit event and the log (never the browser). */
export function describe(e: unknown): string {
  if (e instanceof Error) {
    const cause = (e as { cause?: unknown }).cause;
    const code = (e as { code?: string }).code;
    return [code, e.message, cause instanceof Error ? cause.message : null].filter(Boolean).join(': ').slice(0, 300);
  }
  return String(e).slice(0, 300);
}
