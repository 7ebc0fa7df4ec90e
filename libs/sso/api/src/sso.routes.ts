import { AppError, audit, isUuid, readCookie, withRouteContext, type AppServices, type HttpHandler, type HttpRouter, type RequestContext } from '@bulwark/platform-api';
import type { MikroORM } from '@mikro-orm/core';
import type { Request, Response } from 'express';
import { randomBytes } from 'node:crypto';
import * as client from 'openid-client';
import { logoutFederated, signInFederated, SsoFailure, type FederatedPerson } from './federation.service';
import { assertNotThrottled, hashToken, recordSignInFailure, tenantIdBySlug } from '@bulwark/identity-api';
import { verifySsoJwt } from './jwt-sso';
import { describe, oidcAuthorizationUrl, oidcCallback, verifyLogoutToken } from './oidc';
import { firstUse } from './replay';
import { samlRoutes } from './saml.routes';
import { SsoAudit } from './sso.audit';
import { ssoConfig } from './sso.config';
import { SsoConnection, SsoRequest, type JwtSettings } from './sso.entities';

export type Services = AppServices & { orm: MikroORM };

/** Where a route's tenant and connection come from: the URL names both (`/api/sso/<slug>/<id>/…`). */
export interface Place {
  tenantId: string;
  slug: string;
  connectionId: string;
}

/**
 * The tenant a slug names, before any transaction: a SECURITY DEFINER function that answers an
 * id or null and nothing else (tenants has RLS), as sign-in uses.
 */
export async function placeOf(services: Services, req: Request): Promise<Place | null> {
  const slug = String(req.params.tenant ?? '').toLowerCase();
  const connectionId = String(req.params.connection ?? '');
  if (!/^[a-z0-9][a-z0-9-]{1,62}$/.test(slug) || !isUuid(connectionId)) return null;
  const tenantId = await tenantIdBySlug({ em: services.orm.em as RequestContext['em'] }, slug);
  return tenantId ? { tenantId, slug, connectionId } : null;
}

/** The connection the URL names, if it is this tenant's and switched on. */
export async function enabledConnection(ctx: RequestContext, place: Place): Promise<SsoConnection> {
  const connection = await ctx.em.findOne(SsoConnection, { id: place.connectionId });
  if (!connection) throw new SsoFailure('no such connection in this workspace', null, true);
  if (!connection.enabled) throw new SsoFailure('the connection is switched off');
  return connection;
}

/** Started sign-ins waiting at once, per workspace: a flood of starts cannot fill the table. */
const MAX_PENDING = 10_000;

/**
 * Keeps a started sign-in for its answer: single-use, for `requestMinutes`. Expired ones nobody
 * finished go first; a workspace holds at most MAX_PENDING at once.
 */
export async function openRequest(
  ctx: RequestContext,
  connection: SsoConnection,
  fields: { stateHash: Buffer; browserHash: Buffer | null; returnTo: string | null; reauth: boolean; nonce?: string; codeVerifier?: string; samlRequestId?: string },
): Promise<void> {
  const now = ctx.app.now();
  await ctx.em.nativeDelete(SsoRequest, { expiresAt: { $lt: now } });
  if ((await ctx.em.count(SsoRequest, {})) >= MAX_PENDING) throw new SsoFailure('too many sign-ins started and not finished in this workspace', null, true);
  const { reauth, ...kept } = fields;
  ctx.em.create(SsoRequest, {
    ...kept,
    intent: reauth ? 'reauth' : null,
    connection,
    createdAt: now,
    expiresAt: new Date(now.getTime() + ssoConfig.of(ctx.app.config).requestMinutes * 60_000),
  });
}

/** The console's sign-in page, told that single sign-on failed; the reason stays in the audit log. */
export const failedUrl = (services: Services) => `${services.config.publicUrl}/#/login?sso=failed`;

/** A console path to land on after sign-in: relative to the console, never another site. */
export function safeReturnTo(raw: unknown): string | null {
  return typeof raw === 'string' && /^\/(?![/\\])[A-Za-z0-9/_\-?=&.%]{0,300}$/.test(raw) ? raw : null;
}

export const landingUrl = (services: Services, returnTo: string | null | undefined) => `${services.config.publicUrl}/#${returnTo ?? '/'}`;

/**
 * A browser-facing SSO route: a refused sign-in (SsoFailure, or a request guard's refusal) is
 * one audit event with its reason, written in a transaction of its own since the sign-in's rolled
 * back, and the browser goes back to the sign-in page with one sentence for every reason. Anything
 * else is a server fault, answered as such.
 */
export function browserRoute(what: string, fn: (req: Request, res: Response, services: Services, place: Place) => Promise<void>): HttpHandler {
  return async (req, res, services) => {
    const place = await placeOf(services, req);
    try {
      if (!place) throw new SsoFailure('unknown workspace or connection in the URL', null, true);
      // A10 per address: failed SSO attempts count with failed passwords, and too many stop both.
      await withRouteContext(services, req, res, place.tenantId, 'sso throttle', (ctx) => assertNotThrottled(ctx, place.tenantId));
      await fn(req, res, services, place);
    } catch (e) {
      if (e instanceof AppError && e.code === 'RATE_LIMITED') {
        services.log.debug('single sign-on throttled', { requestId: (req as Request & { id: string }).id });
        return void res.redirect(303, failedUrl(services));
      }
      const failure = e instanceof SsoFailure ? e : e instanceof AppError ? new SsoFailure(`refused: ${e.message}`) : null;
      if (!failure) throw e;
      await recordFailure(services, req, res, place, what, failure);
      res.redirect(303, failedUrl(services));
    }
  };
}

export async function recordFailure(services: Services, req: Request, res: Response, place: Place | null, what: string, failure: SsoFailure): Promise<void> {
  services.log.warn('single sign-on refused', { requestId: (req as Request & { id: string }).id, step: what, reason: failure.reason, connection: place?.connectionId });
  if (!place) return;
  await withRouteContext(services, req, res, place.tenantId, 'sso failure', async (ctx) => {
    await recordSignInFailure(ctx, place.tenantId);
    if (failure.quiet) return;
    // The connection may be another tenant's or gone: the event then names it without a key to it.
    audit(ctx, SsoAudit.signInFailed, {
      actor: { type: 'anonymous', id: null, name: null },
      targetId: failure.userId,
      outcome: 'failure',
      details: { connection: place.connectionId, step: what, reason: failure.reason },
    });
  });
}

/** The cookie that ties a started OIDC sign-in to the browser that started it (login CSRF). */
const bindingCookie = (services: Services) => (services.config.secureCookies ? '__Host-bulwark_sso' : 'bulwark_sso');

/**
 * GET /:tenant/:connection/start: off to the provider. OIDC: state, nonce and PKCE verifier are
 * kept (single-use, minutes) with the hash of a cookie set on this browser. JWT: the tenant's own
 * sign-in page. SAML has its own start (saml.routes.ts).
 */
const start = browserRoute('start', async (req, res, services, place) => {
  const returnTo = safeReturnTo(req.query.returnTo);
  const reauth = req.query.intent === 'reauth';
  const loginHint = typeof req.query.email === 'string' ? req.query.email.slice(0, 254) : null;
  const binding = randomBytes(32).toString('base64url');
  const target = await withRouteContext(services, req, res, place.tenantId, 'sso start', async (ctx) => {
    const connection = await enabledConnection(ctx, place);
    if (connection.kind === 'jwt') {
      const url = new URL((connection.settings as JwtSettings).remoteLoginUrl);
      if (returnTo) url.searchParams.set('return_to', returnTo);
      return url;
    }
    if (connection.kind !== 'oidc') {
      const saml = new URL(`${ctx.app.config.publicUrl}/api/sso/${place.slug}/${place.connectionId}/saml/start`);
      if (returnTo) saml.searchParams.set('returnTo', returnTo);
      if (reauth) saml.searchParams.set('intent', 'reauth');
      return saml;
    }
    const checks = { state: client.randomState(), nonce: client.randomNonce(), codeVerifier: client.randomPKCECodeVerifier(), loginHint, reauth };
    await openRequest(ctx, connection, { stateHash: hashToken(checks.state), browserHash: hashToken(binding), nonce: checks.nonce, codeVerifier: checks.codeVerifier, returnTo, reauth });
    try {
      return await oidcAuthorizationUrl(ctx, connection, place.tenantId, place.slug, checks);
    } catch (e) {
      if (e instanceof SsoFailure) throw e;
      throw new SsoFailure(`the provider cannot be reached: ${describe(e)}`);
    }
  });
  res.cookie(bindingCookie(services), binding, {
    httpOnly: true,
    secure: services.config.secureCookies,
    sameSite: 'lax',
    path: '/',
    maxAge: ssoConfig.of(services.config).requestMinutes * 60_000,
  });
  res.redirect(303, target.href);
});

/**
 * Takes a started sign-in once (C1: a replayed state finds nothing), in a transaction of its own,
 * so a callback that then fails cannot be replayed either.
 */
async function claimRequest(services: Services, req: Request, res: Response, place: Place, stateHash: Buffer) {
  return withRouteContext(services, req, res, place.tenantId, 'sso callback', async (ctx) => {
    const request = await ctx.em.findOne(SsoRequest, { stateHash, connection: place.connectionId });
    if (!request) return null;
    // Of two callbacks racing with the same state, only the one whose delete took the row goes on.
    if ((await ctx.em.nativeDelete(SsoRequest, { id: request.id })) !== 1) return null;
    return request.expiresAt > ctx.app.now() ? request : null;
  });
}

/** GET /:tenant/:connection/callback: the OIDC provider's answer (C1). */
const callback = browserRoute('callback', async (req, res, services, place) => {
  const state = typeof req.query.state === 'string' ? req.query.state : '';
  if (!state) throw new SsoFailure('the answer carries no state');
  const request = await claimRequest(services, req, res, place, hashToken(state));
  if (!request) throw new SsoFailure('unknown, used or expired state (replayed or stale callback)');
  const binding = readCookie(req.headers.cookie, bindingCookie(services));
  if (!binding || !request.browserHash || !hashToken(binding).equals(request.browserHash)) {
    throw new SsoFailure('the callback came to another browser than the one that started the sign-in');
  }
  res.clearCookie(bindingCookie(services), { httpOnly: true, secure: services.config.secureCookies, sameSite: 'lax', path: '/' });
  const current = new URL(req.originalUrl, services.config.publicUrl);
  const reauth = request.intent === 'reauth';
  await finishSignIn(
    services,
    req,
    res,
    place,
    request.returnTo,
    (ctx, connection) => oidcCallback(ctx, connection, place.tenantId, place.slug, current, { state, nonce: request.nonce ?? '', codeVerifier: request.codeVerifier ?? '', reauth }),
    { reauth },
  );
});

/**
 * The common end: in one transaction, the provider's answer is checked (`verify`), the person
 * found or provisioned, and the session started; the browser lands in the console.
 */
export async function finishSignIn(
  services: Services,
  req: Request,
  res: Response,
  place: Place,
  returnTo: string | null | undefined,
  verify: (ctx: RequestContext, connection: SsoConnection) => Promise<FederatedPerson>,
  opts: { reauth?: boolean } = {},
): Promise<void> {
  await withRouteContext(services, req, res, place.tenantId, 'sso sign-in', async (ctx) => {
    const connection = await enabledConnection(ctx, place);
    return signInFederated(ctx, connection, await verify(ctx, connection), opts);
  });
  res.redirect(303, landingUrl(services, returnTo));
}

/** GET or POST /:tenant/:connection/jwt?jwt=…: JWT SSO (C2). */
const jwt = browserRoute('jwt', async (req, res, services, place) => {
  const params = { ...(req.query as Record<string, unknown>), ...((req.body as Record<string, unknown> | undefined) ?? {}) };
  const token = typeof params.jwt === 'string' ? params.jwt : '';
  if (!token) throw new SsoFailure('no jwt parameter');
  await finishSignIn(services, req, res, place, safeReturnTo(params.return_to), async (ctx, connection) => {
    if (connection.kind !== 'jwt') throw new SsoFailure('not a JWT connection');
    return verifySsoJwt(ctx, connection, place.tenantId, token);
  });
});

/**
 * POST /:tenant/:connection/backchannel-logout: OpenID Connect Back-Channel Logout 1.0. The
 * provider's server calls it (no browser): 200 when the token is good (whether or not the person
 * had a session), 400 with `invalid_request` otherwise, as §2.8 says.
 */
const backchannelLogout: HttpHandler = async (req, res, services) => {
  const place = await placeOf(services, req);
  const token = typeof req.body?.logout_token === 'string' ? req.body.logout_token : '';
  try {
    if (!place) throw new SsoFailure('unknown workspace or connection in the URL');
    if (!token) throw new SsoFailure('no logout_token');
    await withRouteContext(services, req, res, place.tenantId, 'sso back-channel logout', async (ctx) => {
      const connection = await enabledConnection(ctx, place);
      if (connection.kind !== 'oidc') throw new SsoFailure('not an OpenID Connect connection');
      const claims = await verifyLogoutToken(ctx, connection, place.tenantId, token);
      if (!(await firstUse(ctx, connection, 'logout', claims.jti, new Date(ctx.app.now().getTime() + 10 * 60_000)))) {
        throw new SsoFailure('logout token refused: its jti was used before (replay)');
      }
      await logoutFederated(ctx, connection, claims.subject, 'OpenID Connect back-channel logout');
    });
    res.status(200).end();
  } catch (e) {
    if (!(e instanceof SsoFailure)) throw e;
    services.log.warn('back-channel logout refused', { requestId: (req as Request & { id: string }).id, reason: e.reason, connection: place?.connectionId });
    res.status(400).json({ error: 'invalid_request', error_description: 'The logout token was refused' });
  }
};

export function ssoRoutes(router: HttpRouter): void {
  router.get('/:tenant/:connection/start', start);
  router.get('/:tenant/:connection/callback', callback);
  router.post('/:tenant/:connection/backchannel-logout', backchannelLogout);
  router.get('/:tenant/:connection/jwt', jwt);
  router.post('/:tenant/:connection/jwt', jwt);
  samlRoutes(router);
}
