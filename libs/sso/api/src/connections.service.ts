import { AppError, audit, auditDiff, badInput, conflict, enterTenant, forbidden, isUuid, notFound, sealSecret, Tenant, type RequestContext } from '@bulwark/platform-api';
import { requireRecentAuth, tenantIdBySlug } from '@bulwark/identity-api';
import { TicketGroup } from '@bulwark/tickets-api';
import { createHash, randomUUID } from 'node:crypto';
import { mapClaims } from './mapping';
import { backchannelUrl, callbackUrl, describe, discover, SECRET_PURPOSE } from './oidc';
import { providerUrl } from './provider-url';
import { samlEndpoints, samlSettings, testSaml } from './saml';
import { SsoAudit } from './sso.audit';
import { SsoConnection, type JwtSettings, type OidcSettings, type SamlSettings, type SsoKind, type SsoMapping } from './sso.entities';
import type { SsoCheck, SsoConnectionInput, SsoConnectionView, SsoEndpoint, SsoMappingInput, SsoMappingPreview, SsoSignInButton, SsoSignInOptions, SsoTestResult } from './sso.types';

async function tenantSlug(ctx: RequestContext): Promise<string> {
  return (await ctx.em.findOneOrFail(Tenant, { id: ctx.tenantId as string }, { fields: ['slug'] })).slug;
}

const startUrl = (ctx: RequestContext, slug: string, id: string) => `${ctx.app.config.publicUrl}/api/sso/${slug}/${id}/start`;

function endpoints(ctx: RequestContext, slug: string, c: SsoConnection): SsoEndpoint[] {
  const base = `${ctx.app.config.publicUrl}/api/sso/${slug}/${c.id}`;
  switch (c.kind) {
    case 'oidc':
      return [
        { label: 'Redirect URI (sign-in callback)', url: callbackUrl(ctx, slug, c.id) },
        { label: 'Back-channel logout URI', url: backchannelUrl(ctx, slug, c.id) },
        { label: 'Initiate login URI', url: startUrl(ctx, slug, c.id) },
      ];
    case 'saml':
      return samlEndpoints(ctx, slug, c.id);
    case 'jwt':
      return [
        { label: 'JWT endpoint (send the browser here with ?jwt=…, GET or POST)', url: `${base}/jwt` },
        { label: 'Sign-in start (sends people to your sign-in page)', url: startUrl(ctx, slug, c.id) },
      ];
  }
}

/** A connection's own scalar settings, as the console shows them and an event records them. */
const plainFields = (c: SsoConnection) => ({
  name: c.name,
  kind: c.kind,
  enabled: c.enabled,
  showButton: c.showButton,
  domains: c.domains,
  provisionUsers: c.provisionUsers,
  defaultRole: c.defaultRole,
  linkByEmail: c.linkByEmail,
});

export function toView(ctx: RequestContext, slug: string, c: SsoConnection): SsoConnectionView {
  const oidc = c.kind === 'oidc' ? (c.settings as OidcSettings) : null;
  const saml = c.kind === 'saml' ? (c.settings as SamlSettings) : null;
  const jwt = c.kind === 'jwt' ? (c.settings as JwtSettings) : null;
  return {
    id: c.id,
    ...plainFields(c),
    mapping: c.mapping,
    oidc: oidc && { issuer: oidc.issuer, clientId: oidc.clientId, scopes: oidc.scopes ?? [], hasClientSecret: !!c.secretSealed },
    saml: saml && {
      idpEntityId: saml.idpEntityId,
      idpSsoUrl: saml.idpSsoUrl,
      idpSloUrl: saml.idpSloUrl ?? null,
      metadataUrl: saml.metadataUrl ?? null,
      allowIdpInitiated: saml.allowIdpInitiated,
      certificateFingerprints: saml.idpCertificates.map(fingerprint),
    },
    jwt: jwt && { remoteLoginUrl: jwt.remoteLoginUrl, remoteLogoutUrl: jwt.remoteLogoutUrl ?? null },
    endpoints: endpoints(ctx, slug, c),
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
  };
}

/** SHA-256 of a certificate's DER, as providers show it (AB:CD:…). */
export function fingerprint(base64Der: string): string {
  return createHash('sha256')
    .update(Buffer.from(base64Der.replace(/\s+/g, ''), 'base64'))
    .digest('hex')
    .toUpperCase()
    .replace(/(..)(?!$)/g, '$1:');
}

export async function listConnections(ctx: RequestContext): Promise<SsoConnectionView[]> {
  const slug = await tenantSlug(ctx);
  return (await ctx.em.find(SsoConnection, {}, { orderBy: { name: 'asc' } })).map((c) => toView(ctx, slug, c));
}

async function target(ctx: RequestContext, id: string): Promise<SsoConnection> {
  const c = isUuid(id) ? await ctx.em.findOne(SsoConnection, { id }) : null;
  if (!c) throw notFound('Single sign-on connection');
  return c;
}

export async function getConnection(ctx: RequestContext, id: string): Promise<SsoConnectionView> {
  return toView(ctx, await tenantSlug(ctx), await target(ctx, id));
}

/**
 * Roles a provider may hand out: any but owner (owners are made in Bulwark, never by a provider),
 * and none holding a permission the editor lacks (as with changing a person's role).
 */
async function assignable(ctx: RequestContext, role: string, field: string): Promise<void> {
  if (role === 'owner') throw badInput('Single sign-on cannot make owners', { [field]: 'owner' });
  const theirs = await ctx.app.roles.permissionsOf(ctx, role);
  if (!theirs) throw badInput(`Unknown role ${role}`, { [field]: 'unknown role' });
  const mine = ctx.principal?.permissions ?? new Set();
  if ([...theirs].some((p) => !mine.has(p))) throw forbidden();
}

async function cleanMapping(ctx: RequestContext, input: SsoMappingInput | null | undefined): Promise<SsoMapping> {
  if (!input) return { roleClaim: null, roles: [], groupClaim: null, groups: [] };
  for (const [i, r] of input.roles.entries()) await assignable(ctx, r.role, `mapping.roles.${i}.role`);
  const ids = [...new Set(input.groups.map((g) => g.groupId))];
  const known = new Set((await ctx.em.find(TicketGroup, { id: { $in: ids.filter(isUuid) } }, { fields: ['id'] })).map((g) => g.id));
  for (const [i, g] of input.groups.entries()) if (!known.has(g.groupId)) throw badInput('No such group', { [`mapping.groups.${i}.groupId`]: 'unknown group' });
  return {
    roleClaim: input.roleClaim?.trim() || null,
    roles: input.roles.map((r) => ({ value: r.value, role: r.role })),
    groupClaim: input.groupClaim?.trim() || null,
    groups: input.groups.map((g) => ({ value: g.value, groupId: g.groupId })),
  };
}

/** A domain serves at most one connection: the sign-in page must know where an address goes. */
async function cleanDomains(ctx: RequestContext, domains: string[], self: string | null): Promise<string[]> {
  const clean = [...new Set(domains.map((d) => d.trim().toLowerCase().replace(/^@/, '')))];
  for (const [i, d] of clean.entries()) if (!/^([a-z0-9-]+\.)+[a-z0-9-]{2,}$/.test(d)) throw badInput(`${d} is not a domain`, { [`domains.${i}`]: 'invalid' });
  const others = await ctx.em.find(SsoConnection, self ? { id: { $ne: self } } : {}, { fields: ['name', 'domains'] });
  for (const [i, d] of clean.entries()) {
    const taken = others.find((o) => o.domains.includes(d));
    if (taken) throw conflict(`${d} is already served by the connection "${taken.name}"`, { [`domains.${i}`]: 'taken' });
  }
  return clean;
}

/** The kind's own settings; settings of another kind are refused, not ignored (D14). */
async function kindSettings(ctx: RequestContext, kind: SsoKind, input: SsoConnectionInput, existing: SsoConnection | null) {
  const others = (['oidc', 'saml', 'jwt'] as const).filter((k) => k !== kind && input[k]);
  if (others.length) throw badInput(`A ${kind} connection takes no ${others.join(' or ')} settings`, Object.fromEntries(others.map((k) => [k, 'other kind'])));
  const missing = () => badInput(`Give the ${kind} settings`, { [kind]: 'required' });
  switch (kind) {
    case 'oidc': {
      const o = input.oidc;
      if (!o) throw missing();
      // People paste the configuration's own URL: the issuer is what comes before it.
      const typed = o.issuer.trim().replace(/\/\.well-known\/openid-configuration\/?$/, '');
      const issuer = (await providerUrl(ctx, typed, 'oidc.issuer')).href.replace(/\/$/, typed.endsWith('/') ? '/' : '');
      const settings: OidcSettings = { issuer, clientId: o.clientId.trim(), scopes: o.scopes };
      return { settings, secret: o.clientSecret || null };
    }
    case 'saml':
      if (!input.saml) throw missing();
      return { settings: await samlSettings(ctx, input.saml, (existing?.settings as SamlSettings | undefined) ?? null), secret: null };
    case 'jwt': {
      const j = input.jwt;
      if (!j) throw missing();
      for (const [field, url] of [['jwt.remoteLoginUrl', j.remoteLoginUrl], ['jwt.remoteLogoutUrl', j.remoteLogoutUrl]] as const) {
        if (url && !/^https?:\/\/[^\s]+$/.test(url)) throw badInput('Enter a full URL, like https://example.com/sign-in', { [field]: 'invalid' });
      }
      if (!j.sharedSecret && !existing?.secretSealed) throw badInput('Give the shared secret (32 or more characters)', { 'jwt.sharedSecret': 'required' });
      const settings: JwtSettings = { remoteLoginUrl: j.remoteLoginUrl, remoteLogoutUrl: j.remoteLogoutUrl || null };
      return { settings, secret: j.sharedSecret || null };
    }
  }
}

/** Objects with their keys sorted: a jsonb column gives keys back in its own order, not ours. */
function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object' && !(v instanceof Date)) return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])]));
  return v;
}

/** What an event records of a connection: its settings, never a secret (only that one changed). */
const audited = (c: SsoConnection) => ({
  ...plainFields(c),
  mapping: canonical(c.mapping),
  settings: canonical(c.settings),
});

/**
 * Everything a connection's input makes, checked before any row is touched (a query would flush
 * a half-made row). The secret is sealed to the row's tenant and id.
 */
async function prepare(ctx: RequestContext, id: string, kind: SsoKind, input: SsoConnectionInput, existing: SsoConnection | null) {
  const name = input.name.trim();
  if (!name) throw badInput('Give the connection a name', { name: 'required' });
  await assignable(ctx, input.defaultRole, 'defaultRole');
  const { settings, secret } = await kindSettings(ctx, kind, input, existing);
  const fields = {
    name,
    enabled: input.enabled,
    showButton: input.showButton,
    domains: await cleanDomains(ctx, input.domains, existing?.id ?? null),
    provisionUsers: input.provisionUsers,
    defaultRole: input.defaultRole,
    linkByEmail: input.linkByEmail,
    mapping: await cleanMapping(ctx, input.mapping),
    settings,
    updatedAt: ctx.app.now(),
    // Who saved it bounds whom it signs in (federation.service.ts, assertWithinEditor).
    editorPermissions: [...(ctx.principal?.permissions ?? [])] as string[],
    editorRole: ctx.principal?.kind === 'user' ? ctx.principal.role : null,
    ...(secret ? { secretSealed: sealSecret(ctx.app.config.masterKey, SECRET_PURPOSE, secret) } : {}),
  };
  return { fields, secretChanged: !!secret };
}

async function nameFree(ctx: RequestContext, name: string, self: string | null) {
  if (await ctx.em.count(SsoConnection, { name: name.trim(), ...(self ? { id: { $ne: self } } : {}) })) throw conflict(`A connection named "${name.trim()}" exists`, { name: 'taken' });
}

export async function createConnection(ctx: RequestContext, input: SsoConnectionInput): Promise<SsoConnectionView> {
  await requireRecentAuth(ctx);
  await nameFree(ctx, input.name, null);
  const id = randomUUID();
  const { fields } = await prepare(ctx, id, input.kind as SsoKind, input, null);
  const c = ctx.em.create(SsoConnection, { id, kind: input.kind as SsoKind, createdAt: ctx.app.now(), ...fields });
  audit(ctx, SsoAudit.connectionCreated, { targetId: c.id, changes: auditDiff({}, audited(c)) });
  return toView(ctx, await tenantSlug(ctx), c);
}

export async function updateConnection(ctx: RequestContext, id: string, input: SsoConnectionInput): Promise<SsoConnectionView> {
  await requireRecentAuth(ctx);
  const c = await target(ctx, id);
  if (input.kind !== c.kind) throw badInput('The kind of a connection cannot change: add a new connection', { kind: 'fixed' });
  await nameFree(ctx, input.name, c.id);
  const before = audited(c);
  const { fields, secretChanged } = await prepare(ctx, c.id, c.kind, input, c);
  Object.assign(c, fields);
  const changes = auditDiff(before, audited(c));
  if (secretChanged) changes.secret = { before: '[redacted]', after: '[redacted]' };
  if (Object.keys(changes).length) audit(ctx, SsoAudit.connectionUpdated, { targetId: c.id, changes });
  return toView(ctx, await tenantSlug(ctx), c);
}

/** Its federated identities go with it: those people sign in another way from then on. */
export async function deleteConnection(ctx: RequestContext, id: string): Promise<boolean> {
  await requireRecentAuth(ctx);
  const c = await target(ctx, id);
  audit(ctx, SsoAudit.connectionDeleted, { targetId: c.id, details: { name: c.name, kind: c.kind } });
  ctx.em.remove(c);
  return true;
}

const check = (name: string, ok: boolean, message: string): SsoCheck => ({ name, ok, message });

/**
 * Why discovery failed, in our words: the error chain's codes say it (a name that does not
 * resolve, a refused connection, an answer that is no OpenID configuration), never its body.
 */
function discoveryFailure(e: unknown): string {
  const codes: string[] = [];
  for (let x: unknown = e, i = 0; x && i < 5; x = (x as { cause?: unknown }).cause, i++) {
    const c = (x as { code?: unknown; name?: unknown }).code ?? (x as { name?: unknown }).name;
    if (typeof c === 'string') codes.push(c);
  }
  const has = (...names: string[]) => codes.some((c) => names.includes(c));
  if (has('ENOTFOUND', 'EAI_AGAIN')) return 'the host name does not resolve';
  if (has('ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH')) return 'nothing answers at that address';
  if (has('ETIMEDOUT', 'TimeoutError', 'AbortError', 'UND_ERR_CONNECT_TIMEOUT')) return 'the provider did not answer in time';
  if (codes.some((c) => /CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(c))) return "the provider's TLS certificate is not valid";
  if (has('OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED')) return 'the configuration names another issuer: enter the issuer exactly as it appears there';
  return 'the answer is not an OpenID Connect configuration (is the issuer URL right?)';
}

/** How many signing keys a key set holds, or what went wrong, in our words (never the body). */
async function keySet(url: string): Promise<number | string> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(10_000), redirect: 'error' });
    if (!res.ok) return `answered HTTP ${res.status}`;
    const body = (await res.json()) as { keys?: { use?: string }[] };
    if (!Array.isArray(body?.keys)) return 'is not a JSON key set';
    return body.keys.filter((k) => k?.use !== 'enc').length;
  } catch (e) {
    return (e as Error).name === 'SyntaxError' ? 'is not a JSON key set' : 'cannot be reached';
  }
}

/** Reads the provider's configuration as a sign-in would, and says what it found. */
export async function testConnection(ctx: RequestContext, id: string): Promise<SsoTestResult> {
  const c = await target(ctx, id);
  const checks: SsoCheck[] = [];
  if (c.kind === 'oidc') {
    const settings = c.settings as OidcSettings;
    try {
      const { config } = await discover(ctx, c); // fresh, not the sign-ins' cached copy

      const meta = config.serverMetadata();
      checks.push(check('Discovery', true, `Read ${settings.issuer}/.well-known/openid-configuration`));
      checks.push(check('Issuer', meta.issuer === settings.issuer, meta.issuer === settings.issuer ? `The provider calls itself ${meta.issuer}` : `The provider calls itself ${meta.issuer}, not ${settings.issuer}`));
      const pkce = !meta.code_challenge_methods_supported || meta.code_challenge_methods_supported.includes('S256');
      checks.push(check('PKCE', pkce, pkce ? 'S256 code challenges are supported' : 'The provider does not list S256 code challenges'));
      // What the key set URL answered is never shown: only how many signing keys it has.
      const keys = await keySet(meta.jwks_uri as string);
      checks.push(
        check('Signing keys', typeof keys === 'number' && keys > 0, typeof keys === 'number' ? (keys ? `${keys} signing key(s) at ${meta.jwks_uri}` : `No signing key at ${meta.jwks_uri}`) : `The key set at ${meta.jwks_uri} ${keys}`),
      );
      const bcl = meta.backchannel_logout_supported === true;
      checks.push(check('Back-channel logout', bcl, bcl ? 'The provider can sign people out of Bulwark' : 'The provider does not announce back-channel logout: signing out there will not end Bulwark sessions'));
    } catch (e) {
      // Our own refusals (an address or scheme not allowed) say why; a library's words may quote
      // what the URL answered, which is not for the client to read (SSRF): only its code.
      const why = e instanceof AppError ? e.message : discoveryFailure(e);
      ctx.log.info('SSO connection test: discovery failed', { connection: c.id, error: describe(e) });
      checks.push(check('Discovery', false, `The provider's configuration cannot be read: ${why}`));
    }
  } else if (c.kind === 'saml') {
    checks.push(...(await testSaml(ctx, c)));
  } else {
    checks.push(check('Shared secret', !!c.secretSealed, c.secretSealed ? 'A shared secret is stored' : 'No shared secret is stored'));
    checks.push(check('Sign-in page', !!(c.settings as JwtSettings).remoteLoginUrl, `People are sent to ${(c.settings as JwtSettings).remoteLoginUrl}`));
  }
  checks.push(check('Switched on', c.enabled, c.enabled ? 'People can sign in with it' : 'It is off: nobody can sign in with it yet'));
  return { ok: checks.every((x) => x.ok || x.name === 'Back-channel logout' || x.name === 'Switched on'), checks };
}

/** The console's preview: what a mapping (not yet saved) makes of sample claims (JSON). */
export async function previewMapping(ctx: RequestContext, input: SsoMappingInput, claimsJson: string): Promise<SsoMappingPreview> {
  let claims: unknown;
  try {
    claims = JSON.parse(claimsJson);
  } catch {
    throw badInput('The sample claims are not JSON', { claims: 'invalid JSON' });
  }
  if (!claims || typeof claims !== 'object' || Array.isArray(claims)) throw badInput('The sample claims are a JSON object', { claims: 'not an object' });
  const mapping = await cleanMapping(ctx, input);
  const { role, groupIds } = mapClaims(mapping, claims as Record<string, unknown>);
  const groups = groupIds.length ? await ctx.em.find(TicketGroup, { id: { $in: groupIds } }, { orderBy: { name: 'asc' } }) : [];
  return { role, groups: groups.map((g) => ({ id: g.id, name: g.name })) };
}

/**
 * The sign-in page's question, before anyone is signed in: which connections does this
 * workspace show, and does the email's domain go to one? An unknown workspace answers like one
 * without single sign-on.
 */
export async function signInOptions(ctx: RequestContext, tenant: string, email: string | null | undefined): Promise<SsoSignInOptions> {
  const slug = tenant.trim().toLowerCase();
  const tenantId = await tenantIdBySlug(ctx, slug);
  if (!tenantId) return { buttons: [], forEmail: null };
  await enterTenant(ctx, tenantId, { replacePrincipal: true });
  const connections = await ctx.em.find(SsoConnection, { enabled: true }, { orderBy: { name: 'asc' } });
  const button = (c: SsoConnection): SsoSignInButton => ({ id: c.id, name: c.name, startUrl: startUrl(ctx, slug, c.id) });
  const domain = email?.trim().toLowerCase().split('@')[1];
  const forEmail = domain ? connections.find((c) => c.domains.includes(domain)) : undefined;
  return { buttons: connections.filter((c) => c.showButton).map(button), forEmail: forEmail ? button(forEmail) : null };
}
