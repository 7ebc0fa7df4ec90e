import { AppError, badInput, type RequestContext } from '@bulwark/platform-api';
import { generateServiceProviderMetadata, SAML, ValidateInResponseTo, type CacheProvider, type Profile } from '@node-saml/node-saml';
import { DOMParser } from '@xmldom/xmldom';
import { randomBytes, X509Certificate } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import { SsoFailure, type FederatedPerson } from './federation.service';
import { describe } from './oidc';
import { providerUrl } from './provider-url';
import { firstUse } from './replay';
import { ssoConfig } from './sso.config';
import type { SamlSettings, SsoConnection } from './sso.entities';
import type { SamlSettingsInput, SsoCheck, SsoEndpoint } from './sso.types';

/** C3: how far the provider's clock may be from ours. */
export const SAML_CLOCK_SKEW_MS = 3 * 60_000;
/** Metadata is a few kilobytes; a federation's aggregate is not what a connection wants. */
const METADATA_MAX_BYTES = 1_000_000;
const METADATA_TIMEOUT_MS = 10_000;
/** A signed LogoutRequest is honoured this long after it was issued, and only once. */
const LOGOUT_WINDOW_MS = 10 * 60_000;
/** What a redirect-binding message may inflate to: a LogoutRequest is well under a kilobyte. */
const INFLATED_MAX_BYTES = 256_000;

const NS = {
  samlp: 'urn:oasis:names:tc:SAML:2.0:protocol',
  saml: 'urn:oasis:names:tc:SAML:2.0:assertion',
  md: 'urn:oasis:names:tc:SAML:2.0:metadata',
  ds: 'http://www.w3.org/2000/09/xmldsig#',
};
const BINDINGS = {
  redirect: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect',
  post: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST',
} as const;
const SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';
const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';
const EMAIL_FORMAT = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';
const TRANSIENT_FORMAT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient';
/** Where providers put the email when the NameID is not one (Entra ID, AD FS, Okta, Shibboleth's OID). */
const EMAIL_ATTRIBUTES = ['email', 'mail', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress', 'urn:oid:0.9.2342.19200300.100.1.3'];
const NAME_ATTRIBUTES = ['displayName', 'http://schemas.microsoft.com/identity/claims/displayname', 'name', 'cn', 'urn:oid:2.16.840.1.113730.3.1.241'];
const GIVEN_NAME_ATTRIBUTES = ['givenName', 'firstName', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname', 'urn:oid:2.5.4.42'];
const SURNAME_ATTRIBUTES = ['sn', 'surname', 'lastName', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname', 'urn:oid:2.5.4.4'];

export type SamlBinding = 'redirect' | 'post';

/**
 * What a SAML connection stores: SamlSettings plus the binding each provider endpoint takes
 * (absent: HTTP-Redirect, which nearly every provider offers and which we prefer).
 */
export interface StoredSamlSettings extends SamlSettings {
  idpSsoBinding?: SamlBinding;
  idpSloBinding?: SamlBinding | null;
}

const settingsOf = (c: SsoConnection) => c.settings as StoredSamlSettings;
const clip = (s: unknown) => String(s ?? '').slice(0, 200);

// --- XML from outside

/**
 * Parses XML that came from outside (metadata, a browser's form). SAML messages never carry a
 * DTD and entity declarations are how XML parsers are attacked, so a DOCTYPE is refused before
 * parsing; anything xmldom calls an error is one (it would otherwise repair the document).
 */
export function parseXml(xml: string): Document {
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw new Error('it carries a DOCTYPE, which SAML does not allow');
  const errors: string[] = [];
  let doc: Document | undefined;
  try {
    doc = new DOMParser({
      locator: {},
      errorHandler: { warning: () => undefined, error: (m: unknown) => errors.push(String(m)), fatalError: (m: unknown) => errors.push(String(m)) },
    }).parseFromString(xml, 'text/xml');
  } catch (e) {
    errors.push(e instanceof Error ? e.message : String(e));
  }
  if (errors.length || !doc?.documentElement) throw new Error((errors[0] ?? 'there is no root element').replace(/\s+/g, ' ').slice(0, 200));
  return doc;
}

/** The element children of `parent` with this namespace and local name (never descendants). */
function children(parent: Node, ns: string, name: string): Element[] {
  const out: Element[] = [];
  for (let n = parent.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === 1 && (n as Element).namespaceURI === ns && (n as Element).localName === name) out.push(n as Element);
  }
  return out;
}
const attr = (el: Element | undefined, name: string): string | null => el?.getAttribute(name)?.trim() || null;

// --- The provider's metadata

interface IdpMetadata {
  idpEntityId: string;
  idpSsoUrl: string;
  idpSsoBinding: SamlBinding;
  idpSloUrl: string | null;
  idpSloBinding: SamlBinding | null;
  idpCertificates: string[];
}

/** An endpoint of the provider, by the binding we prefer: HTTP-Redirect, else HTTP-POST. */
function endpoint(descriptor: Element, name: string): { url: string; binding: SamlBinding } | null {
  const services = children(descriptor, NS.md, name);
  for (const binding of ['redirect', 'post'] as const) {
    const url = attr(services.find((s) => attr(s, 'Binding') === BINDINGS[binding] && attr(s, 'Location')), 'Location');
    if (url) return { url, binding };
  }
  return null;
}

/** A provider URL the browser is sent to: absolute, HTTPS (plain HTTP only where private providers are allowed). */
function browserUrl(ctx: RequestContext, raw: string, what: string, field: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw badInput(`The ${what} in the metadata is not a full URL: ${clip(raw)}`, { [field]: `bad ${what}` });
  }
  const { allowPrivateProviders } = ssoConfig.of(ctx.app.config);
  if (url.protocol !== 'https:' && !(allowPrivateProviders && url.protocol === 'http:')) {
    throw badInput(`The ${what} in the metadata must be HTTPS: ${clip(raw)}`, { [field]: `${what} not https` });
  }
  return url.href;
}

/**
 * Reads what a sign-in checks against from the provider's metadata: its entityID, sign-in and
 * logout URLs, and signing certificates (a KeyDescriptor with use="signing" or no use; an
 * encryption-only key never vouches for an assertion). `field` names the input it came from.
 */
function readMetadata(ctx: RequestContext, xml: string, field: string): IdpMetadata {
  let doc: Document;
  try {
    doc = parseXml(xml);
  } catch (e) {
    throw badInput(`The metadata is not well-formed XML: ${(e as Error).message}`, { [field]: 'not XML' });
  }
  const root = doc.documentElement;
  const entities =
    root.namespaceURI === NS.md && root.localName === 'EntityDescriptor'
      ? [root]
      : root.namespaceURI === NS.md && root.localName === 'EntitiesDescriptor'
        ? Array.from(root.getElementsByTagNameNS(NS.md, 'EntityDescriptor'))
        : [];
  const providers = entities.flatMap((entity) =>
    children(entity, NS.md, 'IDPSSODescriptor')
      .filter((d) => (attr(d, 'protocolSupportEnumeration') ?? '').split(/\s+/).includes(NS.samlp))
      .map((descriptor) => ({ entity, descriptor })),
  );
  if (!providers.length) throw badInput('The metadata describes no SAML 2.0 identity provider (an EntityDescriptor with an IDPSSODescriptor)', { [field]: 'no identity provider' });
  if (providers.length > 1) {
    throw badInput(`The metadata describes ${providers.length} identity providers: give the metadata of the one this connection signs in with`, { [field]: 'several identity providers' });
  }
  const { entity, descriptor } = providers[0];
  const idpEntityId = attr(entity, 'entityID');
  if (!idpEntityId) throw badInput("The metadata does not name the identity provider (its EntityDescriptor has no entityID)", { [field]: 'no entityID' });
  if (idpEntityId.length > 1024) throw badInput('The entityID in the metadata is longer than 1024 characters', { [field]: 'entityID too long' });
  const sso = endpoint(descriptor, 'SingleSignOnService');
  if (!sso) throw badInput('The metadata gives no sign-in URL (a SingleSignOnService with the HTTP-Redirect or HTTP-POST binding)', { [field]: 'no SingleSignOnService' });
  const slo = endpoint(descriptor, 'SingleLogoutService');
  const certificates: string[] = [];
  for (const key of children(descriptor, NS.md, 'KeyDescriptor')) {
    const use = attr(key, 'use');
    if (use && use !== 'signing') continue;
    for (const el of Array.from(key.getElementsByTagNameNS(NS.ds, 'X509Certificate'))) {
      const base64 = (el.textContent ?? '').replace(/\s+/g, '');
      try {
        new X509Certificate(Buffer.from(base64, 'base64'));
      } catch {
        throw badInput('A signing certificate in the metadata cannot be read as an X.509 certificate', { [field]: 'bad certificate' });
      }
      if (!certificates.includes(base64)) certificates.push(base64);
    }
  }
  if (!certificates.length) throw badInput('The metadata holds no signing certificate (a KeyDescriptor with use="signing" or no use, with an X509Certificate)', { [field]: 'no signing certificate' });
  if (certificates.length > 10) throw badInput('The metadata holds more than 10 signing certificates', { [field]: 'too many certificates' });
  return {
    idpEntityId,
    idpSsoUrl: browserUrl(ctx, sso.url, 'sign-in URL', field),
    idpSsoBinding: sso.binding,
    idpSloUrl: slo ? browserUrl(ctx, slo.url, 'logout URL', field) : null,
    idpSloBinding: slo?.binding ?? null,
    idpCertificates: certificates,
  };
}

/**
 * The metadata at a URL, read by the server: the URL passes providerUrl() (HTTPS, public address),
 * within a deadline and a size limit. A redirect is refused rather than followed: its target would
 * skip the address check.
 */
async function fetchMetadata(ctx: RequestContext, raw: string, field: string): Promise<{ href: string; xml: string }> {
  const url = await providerUrl(ctx, raw, field);
  const unreadable = (why: string, code: string) => badInput(`The metadata at ${url.href} cannot be read: ${why}`, { [field]: code });
  try {
    const res = await fetch(url, {
      redirect: 'manual',
      signal: AbortSignal.timeout(METADATA_TIMEOUT_MS),
      headers: { accept: 'application/samlmetadata+xml, application/xml;q=0.9, text/xml;q=0.8' },
    });
    if (res.status >= 300 && res.status < 400) {
      await res.body?.cancel();
      throw unreadable(`it redirects to ${clip(res.headers.get('location') ?? 'another address')}; give that address instead`, 'redirect');
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw unreadable(`the server answered HTTP ${res.status}`, `HTTP ${res.status}`);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const reader = res.body?.getReader();
    for (let next = await reader?.read(); next && !next.done; next = await reader?.read()) {
      size += next.value.length;
      if (size > METADATA_MAX_BYTES) {
        await reader?.cancel();
        throw unreadable(`it is larger than ${METADATA_MAX_BYTES / 1_000_000} MB`, 'too large');
      }
      chunks.push(Buffer.from(next.value));
    }
    return { href: url.href, xml: Buffer.concat(chunks).toString('utf8') };
  } catch (e) {
    if (e instanceof AppError) throw e;
    throw unreadable(describe(e), 'unreachable');
  }
}

/**
 * The settings a sign-in checks against, from uploaded metadata or metadata read from a URL. On
 * an update that gives neither, the provider's side stays as it was (only allowIdpInitiated
 * changes); a new connection needs one of them.
 */
export async function samlSettings(ctx: RequestContext, input: SamlSettingsInput, previous: SamlSettings | null): Promise<StoredSamlSettings> {
  const xml = input.metadataXml?.trim();
  const rawUrl = input.metadataUrl?.trim();
  const allowIdpInitiated = input.allowIdpInitiated;
  if (xml && rawUrl) throw badInput('Give the metadata or the URL to read it from, not both', { 'saml.metadataUrl': 'both given' });
  if (xml) return { ...readMetadata(ctx, xml, 'saml.metadataXml'), metadataUrl: null, allowIdpInitiated };
  if (rawUrl) {
    const { href, xml: fetched } = await fetchMetadata(ctx, rawUrl, 'saml.metadataUrl');
    return { ...readMetadata(ctx, fetched, 'saml.metadataUrl'), metadataUrl: href, allowIdpInitiated };
  }
  if (previous) return { ...previous, allowIdpInitiated };
  throw badInput("Upload the identity provider's metadata or give the URL to read it from", { 'saml.metadataXml': 'required' });
}

// --- Our side

/**
 * Our URLs for one connection. The entity ID is the metadata URL: unique per connection, and a
 * provider that fetches it finds our metadata there.
 */
export function samlUrls(publicUrl: string, slug: string, connectionId: string) {
  const base = `${publicUrl}/api/sso/${slug}/${connectionId}`;
  return { entityId: `${base}/saml/metadata`, metadata: `${base}/saml/metadata`, acs: `${base}/saml/acs`, slo: `${base}/saml/slo`, start: `${base}/start` };
}

export function samlEndpoints(ctx: RequestContext, slug: string, id: string): SsoEndpoint[] {
  const sp = samlUrls(ctx.app.config.publicUrl, slug, id);
  return [
    { label: 'Entity ID (audience)', url: sp.entityId },
    { label: 'Assertion Consumer Service URL (HTTP-POST)', url: sp.acs },
    { label: 'Single logout URL (HTTP-Redirect or HTTP-POST)', url: sp.slo },
    { label: 'Service provider metadata URL (all of the above, for providers that read it)', url: sp.metadata },
    { label: 'Sign-in start URL (for sign-ins started from the provider’s app list)', url: sp.start },
  ];
}

/** Our metadata, for the provider: entity ID, ACS, single logout; we ask for signed assertions. */
export function spMetadata(publicUrl: string, slug: string, connectionId: string): string {
  const sp = samlUrls(publicUrl, slug, connectionId);
  return generateServiceProviderMetadata({
    issuer: sp.entityId,
    callbackUrl: sp.acs,
    logoutCallbackUrl: sp.slo,
    // The provider's own NameID setting decides: people are keyed by whatever it sends (C4).
    identifierFormat: null,
    wantAssertionsSigned: true,
    generateUniqueId: samlId,
  });
}

/** An ID for a SAML message: an NCName (it may not start with a digit), 160 random bits. */
export const samlId = () => `_${randomBytes(20).toString('hex')}`;

/**
 * node-saml's request cache lives in one process's memory, so a response reaching another
 * process (or arriving after a restart) would be judged wrongly. InResponseTo is checked against
 * sso_requests in PostgreSQL instead (validateInResponseTo: never), by the routes and
 * verifySamlResponse. A CacheProvider over that table was the other way; it would see a bare ID
 * (not the connection, the RelayState's hash or where to land), and node-saml looks it up from
 * the envelope's InResponseTo, which an assertion-only signature does not cover. This cache
 * refuses to be used, so nothing can come to rely on it unnoticed.
 */
const noRequestCache: CacheProvider = {
  saveAsync: () => Promise.reject(new Error("node-saml's request cache is not used: SAML requests live in sso_requests")),
  getAsync: () => Promise.reject(new Error("node-saml's request cache is not used: SAML requests live in sso_requests")),
  removeAsync: () => Promise.reject(new Error("node-saml's request cache is not used: SAML requests live in sso_requests")),
};

/**
 * node-saml for one connection. Either signature is enough (C3: a signed response or a signed
 * assertion), never neither: with both `want…Signed` false node-saml still demands the
 * assertion's own signature whenever the response's does not verify. Audience is our entity ID;
 * Conditions are checked with 3 minutes of skew. Requests carry no RequestedAuthnContext: the
 * provider decides how people authenticate (asking for passwords breaks MFA and Kerberos logins).
 */
function samlClient(ctx: RequestContext, slug: string, connection: SsoConnection, opts: { requestId?: string; postBinding?: boolean; forceAuthn?: boolean } = {}): SAML {
  const s = settingsOf(connection);
  const sp = samlUrls(ctx.app.config.publicUrl, slug, connection.id);
  return new SAML({
    issuer: sp.entityId,
    audience: sp.entityId,
    callbackUrl: sp.acs,
    logoutCallbackUrl: sp.slo,
    entryPoint: s.idpSsoUrl,
    logoutUrl: s.idpSloUrl ?? s.idpSsoUrl,
    idpCert: s.idpCertificates,
    idpIssuer: s.idpEntityId,
    wantAuthnResponseSigned: false,
    wantAssertionsSigned: false,
    acceptedClockSkewMs: SAML_CLOCK_SKEW_MS,
    validateInResponseTo: ValidateInResponseTo.never,
    cacheProvider: noRequestCache,
    identifierFormat: null,
    disableRequestedAuthnContext: true,
    forceAuthn: opts.forceAuthn === true,
    // The HTTP-POST binding carries plain base64; only HTTP-Redirect deflates.
    skipRequestCompression: opts.postBinding === true,
    generateUniqueId: () => opts.requestId ?? samlId(),
  });
}

/** How a message leaves for the provider: a redirect, or a form the browser posts (HTTP-POST binding). */
export type Outgoing = { redirect: string } | { form: { action: string; fields: Record<string, string> } };

/**
 * An AuthnRequest for this sign-in, with its ID (the response's InResponseTo must name it).
 * `forceAuthn`: the provider must authenticate the person again, not reuse its session (B8).
 */
export async function authnRequest(ctx: RequestContext, slug: string, connection: SsoConnection, relayState: string, opts: { forceAuthn?: boolean } = {}): Promise<{ id: string; outgoing: Outgoing }> {
  const s = settingsOf(connection);
  const id = samlId();
  const post = s.idpSsoBinding === 'post';
  const saml = samlClient(ctx, slug, connection, { requestId: id, postBinding: post, forceAuthn: opts.forceAuthn });
  if (!post) return { id, outgoing: { redirect: await saml.getAuthorizeUrlAsync(relayState, undefined, {}) } };
  const fields = Object.fromEntries(Object.entries(await saml.getAuthorizeMessageAsync(relayState)).map(([k, v]) => [k, String(v)]));
  return { id, outgoing: { form: { action: s.idpSsoUrl, fields } } };
}

// --- The provider's answer (C3)

/**
 * What the response's envelope says before anything is verified: only used to find the sign-in
 * it claims to answer (consumed at once, whatever follows) and to refuse early; every decision
 * is taken again on signed content.
 */
export interface ResponseEnvelope {
  /** The request the response names: the Response's InResponseTo, else the first SubjectConfirmationData's. */
  requestId: string | null;
  inResponseTo: string | null;
  destination: string | null;
  status: string | null;
}

/** The status, with its second-level code where there is one ("…:Responder …:AuthnFailed"). */
function statusOf(root: Element): string | null {
  const codes: string[] = [];
  const status = children(root, NS.samlp, 'Status')[0];
  let code: Element | undefined = status && children(status, NS.samlp, 'StatusCode')[0];
  while (code && codes.length < 3) {
    codes.push(attr(code, 'Value') ?? '?');
    code = children(code, NS.samlp, 'StatusCode')[0];
  }
  return codes.length ? codes.join(' ') : null;
}

export function readResponseEnvelope(samlResponse: string): ResponseEnvelope {
  if (!/^[A-Za-z0-9+/=\s]+$/.test(samlResponse)) throw new SsoFailure('the SAMLResponse is not base64');
  let doc: Document;
  try {
    doc = parseXml(Buffer.from(samlResponse, 'base64').toString('utf8'));
  } catch (e) {
    throw new SsoFailure(`the SAMLResponse is not well-formed XML: ${(e as Error).message}`);
  }
  const root = doc.documentElement;
  if (root.namespaceURI !== NS.samlp || root.localName !== 'Response') throw new SsoFailure('the SAMLResponse is not a SAML 2.0 Response');
  const inResponseTo = attr(root, 'InResponseTo');
  const confirmed = Array.from(root.getElementsByTagNameNS(NS.saml, 'SubjectConfirmationData'))
    .map((el) => attr(el, 'InResponseTo'))
    .find(Boolean);
  return {
    requestId: (inResponseTo ?? confirmed ?? null)?.slice(0, 200) ?? null,
    inResponseTo,
    destination: attr(root, 'Destination'),
    status: statusOf(root),
  };
}

function instant(value: string | null, what: string): number | null {
  if (!value) return null;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new SsoFailure(`the assertion's ${what} is not a date: ${clip(value)}`);
  return ms;
}

/**
 * The bearer confirmation that lets this browser present the assertion here (SAML profiles
 * §4.1.4.2): Recipient is our ACS URL and NotOnOrAfter has not passed. node-saml does not check
 * Recipient at all, nor, with its request cache off, the confirmation's times.
 */
function bearerConfirmation(assertion: Element, acs: string, nowMs: number): { inResponseTo: string | null; notOnOrAfter: number } {
  const subject = children(assertion, NS.saml, 'Subject')[0];
  const bearers = subject ? children(subject, NS.saml, 'SubjectConfirmation').filter((c) => attr(c, 'Method') === BEARER) : [];
  if (!bearers.length) throw new SsoFailure('the assertion has no bearer SubjectConfirmation');
  const data = bearers.map((c) => children(c, NS.saml, 'SubjectConfirmationData')[0]).filter((d): d is Element => !!d);
  const ours = data.filter((d) => attr(d, 'Recipient') === acs);
  if (!ours.length) throw new SsoFailure(`the assertion's Recipient is ${clip(data.map((d) => attr(d, 'Recipient')).join(', ') || 'missing')}, not this connection's ACS URL`);
  let reason = '';
  for (const d of ours) {
    const notOnOrAfter = instant(attr(d, 'NotOnOrAfter'), 'SubjectConfirmationData NotOnOrAfter');
    const notBefore = instant(attr(d, 'NotBefore'), 'SubjectConfirmationData NotBefore');
    if (notOnOrAfter === null) reason = 'the bearer confirmation has no NotOnOrAfter';
    else if (nowMs - SAML_CLOCK_SKEW_MS >= notOnOrAfter) reason = `the bearer confirmation expired at ${new Date(notOnOrAfter).toISOString()}`;
    else if (notBefore !== null && nowMs + SAML_CLOCK_SKEW_MS < notBefore) reason = `the bearer confirmation is not valid before ${new Date(notBefore).toISOString()}`;
    else return { inResponseTo: attr(d, 'InResponseTo'), notOnOrAfter };
  }
  throw new SsoFailure(reason);
}

/** The assertion's Conditions by our clock (node-saml checks them by the wall clock). */
function conditionsWindow(assertion: Element, nowMs: number): number | null {
  const conditions = children(assertion, NS.saml, 'Conditions');
  if (conditions.length !== 1) throw new SsoFailure('the assertion must carry exactly one Conditions element');
  const notBefore = instant(attr(conditions[0], 'NotBefore'), 'NotBefore');
  const notOnOrAfter = instant(attr(conditions[0], 'NotOnOrAfter'), 'NotOnOrAfter');
  if (notBefore !== null && nowMs + SAML_CLOCK_SKEW_MS < notBefore) throw new SsoFailure(`the assertion is not valid before ${new Date(notBefore).toISOString()}`);
  if (notOnOrAfter !== null && nowMs - SAML_CLOCK_SKEW_MS >= notOnOrAfter) throw new SsoFailure(`the assertion expired at ${new Date(notOnOrAfter).toISOString()}`);
  return notOnOrAfter;
}

const firstText = (v: unknown): string | null => (Array.isArray(v) ? v : [v]).find((x): x is string => typeof x === 'string' && x.trim() !== '')?.trim() ?? null;
const firstOf = (attributes: Record<string, unknown>, names: string[]) => names.map((n) => firstText(attributes[n])).find(Boolean) ?? null;

/** When the provider authenticated the person: the latest AuthnInstant of the signed assertion. */
function authnInstant(assertion: Element): Date | null {
  const instants = children(assertion, NS.saml, 'AuthnStatement')
    .map((st) => Date.parse(attr(st, 'AuthnInstant') ?? ''))
    .filter((ms) => !Number.isNaN(ms));
  return instants.length ? new Date(Math.max(...instants)) : null;
}

/** The person an assertion names: NameID is the subject (C4), the email from NameID or attributes. */
function personOf(profile: Profile, assertion: Element): FederatedPerson {
  const attributes = (profile.attributes && typeof profile.attributes === 'object' ? profile.attributes : {}) as Record<string, unknown>;
  const email = (profile.nameIDFormat === EMAIL_FORMAT ? profile.nameID : null) ?? firstOf(attributes, EMAIL_ATTRIBUTES);
  const given = firstOf(attributes, GIVEN_NAME_ATTRIBUTES);
  const surname = firstOf(attributes, SURNAME_ATTRIBUTES);
  return {
    subject: profile.nameID ?? '',
    email,
    // The provider is the authority on its people's addresses (as for JWT SSO).
    emailVerified: true,
    name: firstOf(attributes, NAME_ATTRIBUTES) ?? ([given, surname].filter(Boolean).join(' ') || null),
    claims: { ...attributes },
    authenticatedAt: authnInstant(assertion),
  };
}

/**
 * C3, on a POSTed Response: node-saml verifies the signature (response or assertion, by one of
 * the connection's certificates; a second assertion, a wrapped one or a foreign key fails) and the
 * audience and Conditions; then, on the signed assertion only: the issuer is the connection's
 * provider, the bearer Recipient is our ACS URL and its time has not passed, and InResponseTo
 * names `expectedRequestId` (the request the route consumed), or, for an unsolicited response,
 * the connection accepts those. Last, the assertion's ID is taken in the replay cache; a second
 * use fails even where unsolicited responses are allowed.
 */
export async function verifySamlResponse(
  ctx: RequestContext,
  slug: string,
  connection: SsoConnection,
  samlResponse: string,
  envelope: ResponseEnvelope,
  expectedRequestId: string | null,
): Promise<FederatedPerson> {
  const s = settingsOf(connection);
  const sp = samlUrls(ctx.app.config.publicUrl, slug, connection.id);
  if (envelope.status?.split(' ')[0] !== SUCCESS) throw new SsoFailure(`the provider answered ${clip(envelope.status ?? 'no status')} rather than Success`);
  if (envelope.destination && envelope.destination !== sp.acs) throw new SsoFailure(`the response's Destination is ${clip(envelope.destination)}, not this connection's ACS URL`);
  let profile: Profile | null;
  try {
    ({ profile } = await samlClient(ctx, slug, connection).validatePostResponseAsync({ SAMLResponse: samlResponse }));
  } catch (e) {
    throw new SsoFailure(`SAML response refused: ${describe(e)}`);
  }
  if (!profile?.getAssertionXml) throw new SsoFailure('SAML response refused: it carries no assertion');
  // What node-saml returns here was cut from the verified bytes: nothing below reads unsigned XML.
  let assertion: Element;
  try {
    assertion = parseXml(profile.getAssertionXml()).documentElement;
  } catch (e) {
    throw new SsoFailure(`the signed assertion cannot be read: ${(e as Error).message}`);
  }
  if (profile.issuer !== s.idpEntityId) throw new SsoFailure(`the assertion was issued by ${clip(profile.issuer)}, not by the connection's provider ${clip(s.idpEntityId)}`);
  const now = ctx.app.now().getTime();
  const conditionsEnd = conditionsWindow(assertion, now);
  const confirmation = bearerConfirmation(assertion, sp.acs, now);
  const signed = confirmation.inResponseTo;
  if (envelope.inResponseTo && signed && envelope.inResponseTo !== signed) throw new SsoFailure("the response's InResponseTo differs from its signed assertion's");
  if (expectedRequestId) {
    if (signed !== expectedRequestId) {
      throw new SsoFailure(signed ? 'the signed assertion answers another sign-in request than the one the response names' : 'the signed assertion does not name the request it answers (no InResponseTo in its SubjectConfirmationData)');
    }
  } else if (signed) {
    throw new SsoFailure('the assertion answers a sign-in request that is unknown or was used already');
  } else if (!s.allowIdpInitiated) {
    throw new SsoFailure('unsolicited response (a sign-in the provider started), and this connection does not accept those');
  }
  if (profile.nameIDFormat === TRANSIENT_FORMAT) {
    throw new SsoFailure('the provider sent a transient NameID, which changes at every sign-in: set it to send a persistent or email NameID');
  }
  const assertionId = attr(assertion, 'ID');
  if (!assertionId) throw new SsoFailure('the assertion has no ID');
  // Kept until the assertion could no longer be accepted anyway.
  const expiresAt = new Date(Math.max(confirmation.notOnOrAfter, conditionsEnd ?? 0) + SAML_CLOCK_SKEW_MS);
  if (!(await firstUse(ctx, connection, 'saml', assertionId, expiresAt))) throw new SsoFailure('assertion refused: its ID was used before (replay)');
  return personOf(profile, assertion);
}

// --- Single logout

export type LogoutMessage = { binding: 'redirect'; query: Record<string, unknown>; rawQuery: string } | { binding: 'post'; body: Record<string, unknown> };

/**
 * An IdP-initiated LogoutRequest, signed by one of the connection's certificates (node-saml lets
 * an unsigned redirect through, so the signature is demanded here first), from the connection's
 * provider, addressed to our single logout URL, recent, and seen once.
 */
export async function verifyLogoutRequest(ctx: RequestContext, slug: string, connection: SsoConnection, message: LogoutMessage): Promise<Profile> {
  const sp = samlUrls(ctx.app.config.publicUrl, slug, connection.id);
  const saml = samlClient(ctx, slug, connection);
  const fields = message.binding === 'redirect' ? message.query : message.body;
  const encoded = typeof fields.SAMLRequest === 'string' ? fields.SAMLRequest : '';
  let xml: string;
  try {
    const bytes = Buffer.from(encoded, 'base64');
    xml = message.binding === 'redirect' ? inflateRawSync(bytes, { maxOutputLength: INFLATED_MAX_BYTES }).toString('utf8') : bytes.toString('utf8');
  } catch (e) {
    throw new SsoFailure(`logout request refused: it cannot be decoded (${describe(e)})`);
  }
  let doc: Document;
  try {
    doc = parseXml(xml);
  } catch (e) {
    throw new SsoFailure(`logout request refused: not well-formed XML (${(e as Error).message})`);
  }
  const root = doc.documentElement;
  if (root.namespaceURI !== NS.samlp || root.localName !== 'LogoutRequest') throw new SsoFailure('logout request refused: the SAMLRequest is not a LogoutRequest');
  if (message.binding === 'redirect' && (typeof fields.Signature !== 'string' || typeof fields.SigAlg !== 'string')) {
    throw new SsoFailure('logout request refused: it is not signed (anyone could otherwise sign people out)');
  }
  let profile: Profile | null;
  try {
    ({ profile } =
      message.binding === 'redirect'
        ? await saml.validateRedirectAsync(message.query as Record<string, string>, message.rawQuery)
        : await saml.validatePostRequestAsync({ SAMLRequest: encoded }));
  } catch (e) {
    throw new SsoFailure(`logout request refused: ${describe(e)}`);
  }
  if (!profile?.ID || !profile.nameID) throw new SsoFailure('logout request refused: it names no request ID or person');
  const destination = attr(root, 'Destination');
  if (destination && destination !== sp.slo) throw new SsoFailure(`logout request refused: its Destination is ${clip(destination)}, not this connection's logout URL`);
  const issued = Date.parse(attr(root, 'IssueInstant') ?? '');
  const now = ctx.app.now().getTime();
  if (Number.isNaN(issued)) throw new SsoFailure('logout request refused: no IssueInstant');
  if (issued > now + SAML_CLOCK_SKEW_MS || issued < now - LOGOUT_WINDOW_MS - SAML_CLOCK_SKEW_MS) {
    throw new SsoFailure(`logout request refused: issued at ${new Date(issued).toISOString()}, outside the ${LOGOUT_WINDOW_MS / 60_000}-minute window`);
  }
  if (!(await firstUse(ctx, connection, 'logout', `saml:${profile.ID}`, new Date(issued + LOGOUT_WINDOW_MS + SAML_CLOCK_SKEW_MS)))) {
    throw new SsoFailure('logout request refused: its ID was used before (replay)');
  }
  return profile;
}

/** Our LogoutResponse to the provider's logout URL (null: it published none, so nobody waits for one). */
export async function logoutResponse(ctx: RequestContext, slug: string, connection: SsoConnection, request: Profile, relayState: string | null): Promise<Outgoing | null> {
  const s = settingsOf(connection);
  if (!s.idpSloUrl) return null;
  if (s.idpSloBinding === 'post') {
    const xml = samlClient(ctx, slug, connection, { postBinding: true })._generateLogoutResponse(request, true);
    const fields: Record<string, string> = { SAMLResponse: Buffer.from(xml).toString('base64') };
    if (relayState) fields.RelayState = relayState;
    return { form: { action: s.idpSloUrl, fields } };
  }
  return { redirect: await samlClient(ctx, slug, connection).getLogoutResponseUrlAsync(request, relayState ?? '', {}, true) };
}

// --- Testing a connection

const check = (name: string, ok: boolean, message: string): SsoCheck => ({ name, ok, message });
const day = (d: Date) => d.toISOString().slice(0, 10);

function certificatesCheck(certificates: string[], now: Date): SsoCheck {
  if (!certificates.length) return check('Signing certificates', false, 'No signing certificate is saved: every response would be refused');
  let valid = 0;
  const notes = certificates.map((base64) => {
    try {
      const x = new X509Certificate(Buffer.from(base64, 'base64'));
      const from = new Date(x.validFrom);
      const to = new Date(x.validTo);
      const name = `${x.fingerprint256.slice(0, 23)}…`;
      if (to <= now) return `${name} expired on ${day(to)}`;
      if (from > now) return `${name} is valid only from ${day(from)}`;
      valid++;
      return `${name} valid until ${day(to)}`;
    } catch {
      return 'one certificate cannot be read';
    }
  });
  return check('Signing certificates', valid > 0, valid > 0 ? notes.join('; ') : `No saved certificate is valid today: ${notes.join('; ')}. Upload the provider's current metadata`);
}

function signInUrlCheck(ctx: RequestContext, raw: string): SsoCheck {
  const url = new URL(raw);
  if (url.protocol === 'https:') return check('Sign-in URL', true, `People are sent to ${url.href}`);
  if (ssoConfig.of(ctx.app.config).allowPrivateProviders) return check('Sign-in URL', true, `${url.href} is plain HTTP, allowed here because private providers are (BULWARK_SSO_ALLOW_PRIVATE_PROVIDERS)`);
  return check('Sign-in URL', false, `${url.href} is not HTTPS: people's passwords would cross the network readable`);
}

async function metadataCheck(ctx: RequestContext, s: StoredSamlSettings, url: string): Promise<SsoCheck> {
  try {
    const { xml } = await fetchMetadata(ctx, url, 'metadataUrl');
    const now = readMetadata(ctx, xml, 'metadataUrl');
    const changed = [
      now.idpEntityId !== s.idpEntityId && 'entity ID',
      now.idpSsoUrl !== s.idpSsoUrl && 'sign-in URL',
      (now.idpSloUrl ?? null) !== (s.idpSloUrl ?? null) && 'logout URL',
      (now.idpCertificates.length !== s.idpCertificates.length || now.idpCertificates.some((c) => !s.idpCertificates.includes(c))) && 'certificates',
    ].filter(Boolean);
    return changed.length
      ? check('Metadata URL', false, `The metadata at ${url} has changed since it was saved (${changed.join(', ')}): save the connection again to take it`)
      : check('Metadata URL', true, `The metadata at ${url} matches the saved settings`);
  } catch (e) {
    return check('Metadata URL', false, e instanceof AppError ? e.message : `The metadata at ${url} cannot be read: ${describe(e)}`);
  }
}

/** What testing a SAML connection reports: its certificates, its sign-in URL, and its metadata URL if any. */
export async function testSaml(ctx: RequestContext, c: SsoConnection): Promise<SsoCheck[]> {
  const s = settingsOf(c);
  const checks = [certificatesCheck(s.idpCertificates, ctx.app.now()), signInUrlCheck(ctx, s.idpSsoUrl)];
  if (s.metadataUrl) checks.push(await metadataCheck(ctx, s, s.metadataUrl));
  return checks;
}
