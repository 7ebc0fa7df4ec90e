import { readCookie, withRouteContext, type HttpHandler, type HttpRouter, type RequestContext } from '@bulwark/platform-api';
import type { Request, Response } from 'express';
import { createHash, randomBytes } from 'node:crypto';
import { hashToken } from '@bulwark/identity-api';
import { logoutFederated, SsoFailure } from './federation.service';
import { authnRequest, logoutResponse, readResponseEnvelope, spMetadata, verifyLogoutRequest, verifySamlResponse, type Outgoing } from './saml';
import { ssoConfig } from './sso.config';
import { SsoConnection, SsoRequest } from './sso.entities';
import { browserRoute, openRequest, enabledConnection, finishSignIn, placeOf, safeReturnTo, type Place, type Services } from './sso.routes';


/**
 * Ties a started sign-in to the browser that started it (login CSRF: else anyone could post
 * their own valid response into another person's browser and sign them in as themselves). The
 * provider's answer is a cross-site POST, which carries only a `SameSite=None` cookie, and
 * browsers take those only with `Secure`: so over HTTPS (secure cookies) only. Plain-HTTP
 * development goes without, as it goes without the `__Host-` prefix.
 */
const BINDING_COOKIE = '__Host-bulwark_saml';
const bindingOptions = { httpOnly: true, secure: true, sameSite: 'none' as const, path: '/' };
const signInPage = (services: Services) => `${services.config.publicUrl}/#/login`;

async function samlConnection(ctx: RequestContext, place: Place): Promise<SsoConnection> {
  const connection = await enabledConnection(ctx, place);
  if (connection.kind !== 'saml') throw new SsoFailure('not a SAML connection');
  return connection;
}

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

/**
 * A message for the provider: a redirect (HTTP-Redirect binding), or a page whose form the
 * browser posts at once (HTTP-POST binding). That page gets its own Content-Security-Policy: the
 * site's allows forms to post only to ourselves and no inline script, so this one allows exactly
 * its one script (by hash) and a form to the provider's origin.
 */
function send(res: Response, out: Outgoing): void {
  if ('redirect' in out) return void res.redirect(303, out.redirect);
  const script = 'document.forms[0].submit()';
  const hash = createHash('sha256').update(script).digest('base64');
  const inputs = Object.entries(out.form.fields)
    .map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`)
    .join('');
  res.setHeader('Content-Security-Policy', `default-src 'none'; script-src 'sha256-${hash}'; form-action ${new URL(out.form.action).origin}; frame-ancestors 'none'; base-uri 'none'`);
  res
    .type('html')
    .send(
      `<!doctype html><html><head><meta charset="utf-8"><title>Single sign-on</title></head><body>` +
        `<form method="post" action="${escapeHtml(out.form.action)}">${inputs}<noscript><button type="submit">Continue</button></noscript></form>` +
        `<script>${script}</script></body></html>`,
    );
}

/** GET /:tenant/:connection/saml/metadata: our service provider metadata, for the provider to read. */
const metadata: HttpHandler = async (req, res, services) => {
  const place = await placeOf(services, req);
  // A connection still switched off has metadata too: the provider is set up before it is switched on.
  const found = place && (await withRouteContext(services, req, res, place.tenantId, 'sso saml metadata', (ctx) => ctx.em.count(SsoConnection, { id: place.connectionId, kind: 'saml' })));
  if (!place || !found) {
    res.status(404).json({ errors: [{ message: 'There is no such SAML connection', extensions: { code: 'NOT_FOUND' } }] });
    return;
  }
  res.type('application/samlmetadata+xml').send(spMetadata(services.config.publicUrl, place.slug, place.connectionId));
};

/**
 * GET /:tenant/:connection/saml/start?returnTo=…[&intent=reauth]: an AuthnRequest to the
 * provider. The request's ID and the hash of the RelayState sent with it are kept (single-use,
 * minutes) for the answer. A re-authentication (B8) asks the provider to authenticate the person
 * afresh (ForceAuthn).
 */
async function start(req: Request, res: Response, services: Services, place: Place): Promise<void> {
  const returnTo = safeReturnTo(req.query.returnTo);
  const reauth = req.query.intent === 'reauth';
  const binding = services.config.secureCookies ? randomBytes(32).toString('base64url') : null;
  const outgoing = await withRouteContext(services, req, res, place.tenantId, 'sso saml start', async (ctx) => {
    const connection = await samlConnection(ctx, place);
    const relayState = randomBytes(32).toString('base64url');
    const { id, outgoing } = await authnRequest(ctx, place.slug, connection, relayState, { forceAuthn: reauth });
    await openRequest(ctx, connection, { stateHash: hashToken(relayState), browserHash: binding ? hashToken(binding) : null, samlRequestId: id, returnTo, reauth });
    return outgoing;
  });
  if (binding) res.cookie(BINDING_COOKIE, binding, { ...bindingOptions, maxAge: ssoConfig.of(services.config).requestMinutes * 60_000 });
  send(res, outgoing);
}

/**
 * Takes the sign-in a response names, once, in a transaction of its own: a replayed response
 * finds nothing, and one that then fails cannot be tried again either. Of two racing with the
 * same ID only the one whose DELETE removed the row goes on.
 */
async function claimRequest(services: Services, req: Request, res: Response, place: Place, samlRequestId: string) {
  return withRouteContext(services, req, res, place.tenantId, 'sso saml response', async (ctx) => {
    const request = await ctx.em.findOne(SsoRequest, { samlRequestId, connection: place.connectionId });
    if (!request) return null;
    const taken = await ctx.em.nativeDelete(SsoRequest, { id: request.id });
    return taken === 1 && request.expiresAt > ctx.app.now() ? request : null;
  });
}

/**
 * POST /:tenant/:connection/saml/acs (SAMLResponse, RelayState): the provider's answer (C3).
 * The sign-in it answers is consumed first; the response is verified in a transaction of its own
 * so that its assertion ID stays in the replay cache even if the sign-in then fails; the person
 * is signed in last, as every federated sign-in ends.
 */
async function acs(req: Request, res: Response, services: Services, place: Place): Promise<void> {
  const body = (req.body ?? {}) as Record<string, unknown>;
  const samlResponse = typeof body.SAMLResponse === 'string' ? body.SAMLResponse : '';
  const relayState = typeof body.RelayState === 'string' ? body.RelayState : '';
  if (!samlResponse) throw new SsoFailure('the form carries no SAMLResponse');
  // A connection id that is nobody's here is refused quietly, before anything is read or taken.
  await withRouteContext(services, req, res, place.tenantId, 'sso saml response', (ctx) => samlConnection(ctx, place));
  const envelope = readResponseEnvelope(samlResponse);
  const request = envelope.requestId ? await claimRequest(services, req, res, place, envelope.requestId) : null;
  if (envelope.requestId && !request) throw new SsoFailure('InResponseTo names no pending sign-in of this connection: unknown, used already (a replay) or expired');
  // The provider sends back the RelayState it received (SAML bindings §3.4.3): a response carried
  // to this request from another sign-in's form does not have it.
  if (request && !hashToken(relayState).equals(request.stateHash)) throw new SsoFailure('the RelayState is not the one this sign-in was sent with');
  if (request?.browserHash) {
    const binding = readCookie(req.headers.cookie, BINDING_COOKIE);
    if (!binding || !hashToken(binding).equals(request.browserHash)) throw new SsoFailure('the response came to another browser than the one that started the sign-in');
    res.clearCookie(BINDING_COOKIE, bindingOptions);
  }
  const person = await withRouteContext(services, req, res, place.tenantId, 'sso saml response', async (ctx) =>
    verifySamlResponse(ctx, place.slug, await samlConnection(ctx, place), samlResponse, envelope, request?.samlRequestId ?? null),
  );
  // An unsolicited response's RelayState, if any, is where the provider's app link wants to land.
  const returnTo = request ? request.returnTo : safeReturnTo(relayState);
  // B8: only a sign-in we started for it counts as a re-authentication, and only if the signed
  // AuthnInstant says the provider asked the person just now (signInFederated judges the time).
  await finishSignIn(services, req, res, place, returnTo, async () => person, { reauth: request?.intent === 'reauth' });
}

/**
 * GET (HTTP-Redirect) or POST (HTTP-POST) /:tenant/:connection/saml/slo. A LogoutRequest from the
 * provider ends every session of the person it names and is answered with a LogoutResponse at
 * the provider's logout URL. A LogoutResponse needs nothing from us (Bulwark does not send
 * LogoutRequests yet): the browser goes to the sign-in page.
 */
async function slo(req: Request, res: Response, services: Services, place: Place): Promise<void> {
  const post = req.method === 'POST';
  const fields = ((post ? req.body : req.query) ?? {}) as Record<string, unknown>;
  if (typeof fields.SAMLResponse === 'string' && typeof fields.SAMLRequest !== 'string') return void res.redirect(303, signInPage(services));
  if (typeof fields.SAMLRequest !== 'string') throw new SsoFailure('the logout URL was reached without a SAMLRequest');
  // RelayState is at most 80 bytes (SAML bindings §3.4.3); a longer one is not echoed.
  const relayState = typeof fields.RelayState === 'string' && fields.RelayState.length <= 80 ? fields.RelayState : null;
  const at = req.originalUrl.indexOf('?');
  const outgoing = await withRouteContext(services, req, res, place.tenantId, 'sso saml logout', async (ctx) => {
    const connection = await samlConnection(ctx, place);
    const request = await verifyLogoutRequest(
      ctx,
      place.slug,
      connection,
      post ? { binding: 'post', body: fields } : { binding: 'redirect', query: fields, rawQuery: at < 0 ? '' : req.originalUrl.slice(at + 1) },
    );
    await logoutFederated(ctx, connection, request.nameID, 'SAML single logout');
    return logoutResponse(ctx, place.slug, connection, request, relayState);
  });
  if (outgoing) send(res, outgoing);
  else res.redirect(303, signInPage(services));
}

/**
 * Registered by ssoRoutes. The handlers are wrapped here, when the routes are registered, rather
 * than at module load: sso.routes.ts and this file import each other.
 */
export function samlRoutes(router: HttpRouter): void {
  router.get('/:tenant/:connection/saml/metadata', metadata);
  router.get('/:tenant/:connection/saml/start', browserRoute('saml start', start));
  router.post('/:tenant/:connection/saml/acs', browserRoute('saml acs', acs));
  const logout = browserRoute('saml slo', slo);
  router.get('/:tenant/:connection/saml/slo', logout);
  router.post('/:tenant/:connection/saml/slo', logout);
}
