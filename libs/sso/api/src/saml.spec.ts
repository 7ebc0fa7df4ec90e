/**
 * SAML 2.0 sign-in (SECURITY.md C3, and C4 on its subjects) against a test identity provider that
 * signs with real XML signatures (saml-idp.fixture.ts): every refusal is checked to create nothing
 * (no session, account or identity) and to leave exactly one `sso.signInFailed` event with its
 * reason. Also: one workspace's connection never serving another (D2), the provider's metadata
 * read field by field, our metadata, testing a connection, and single logout.
 */
import { platformPlugin } from '@bulwark/platform-api';
import { accessPlugin } from '@bulwark/access-api';
import { auditPlugin } from '@bulwark/audit-api';
import { identityPlugin } from '@bulwark/identity-api';
import { ticketsPlugin } from '@bulwark/tickets-api';
import { ssoPlugin } from './index';

/** The server as shipped, for what SSO touches: people, groups, the allowlist, the audit log. */
const plugins = [platformPlugin, identityPlugin, accessPlugin, ticketsPlugin, ssoPlugin, auditPlugin];
import { startTestServer, type TestServer } from '@bulwark/platform-api/testing';
import { createPersonas, PERSONA_PASSWORD, type Persona, type TenantPersonas } from '@bulwark/identity-api/testing';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inflateRawSync } from 'node:zlib';
import { encoded, NAMEID, SamlIdp, samlId, type ResponseOptions } from './saml-idp.fixture';

let t: TestServer;
let a: TenantPersonas;
let b: TenantPersonas;
let publicUrl: string;
const idp = new SamlIdp('acme');
/** An attacker's provider: its own key, claiming to be acme's. */
const rogue = new SamlIdp('rogue');

const CREATE = `mutation($input: SsoConnectionInput!) { createSsoConnection(input: $input) { id endpoints { label url } saml { idpEntityId idpSsoUrl idpSloUrl metadataUrl allowIdpInitiated certificateFingerprints } } }`;
const UPDATE = `mutation($id: ID!, $input: SsoConnectionInput!) { updateSsoConnection(id: $id, input: $input) { saml { metadataUrl allowIdpInitiated certificateFingerprints } } }`;
const TEST = `mutation($id: ID!) { testSsoConnection(id: $id) { ok checks { name ok message } } }`;
const ME = `{ me { email } }`;

interface Sp {
  id: string;
  entityId: string;
  acs: string;
  slo: string;
  metadata: string;
}
type Connection = { id: string; endpoints: { label: string; url: string }[]; saml: Record<string, unknown> };
/** Refuses sign-ins the provider starts. */
let strict: Sp;
/** Accepts them (allowIdpInitiated). */
let open: Sp;

async function sudo(p: Persona): Promise<string> {
  const r = await t.gql<{ reauthenticate: { token: string } }>(`mutation($p: String!) { reauthenticate(password: $p) { token } }`, { p: PERSONA_PASSWORD }, { token: p.token });
  if (!r.data) throw new Error(JSON.stringify(r.errors));
  p.token = r.data.reauthenticate.token;
  return p.token;
}

const samlInput = (name: string, saml: Record<string, unknown>) => ({ name, kind: 'saml', enabled: true, saml });
const create = (name: string, saml: Record<string, unknown>) => t.gql<{ createSsoConnection: Connection }>(CREATE, { input: samlInput(name, saml) }, { token: a.admin.token });

async function connection(name: string, saml: Record<string, unknown>): Promise<Sp> {
  const r = await create(name, saml);
  if (!r.data) throw new Error(JSON.stringify(r.errors));
  const c = r.data.createSsoConnection;
  const url = (label: RegExp) => c.endpoints.find((e) => label.test(e.label))!.url;
  return { id: c.id, entityId: url(/^Entity ID/), acs: url(/^Assertion Consumer Service/), slo: url(/^Single logout/), metadata: url(/metadata URL/) };
}

/** Our public URLs name the configured public address; requests go to the test server. */
const local = (url: string) => url.replace(publicUrl, t.url);

interface Started {
  requestId: string;
  relayState: string;
}

/** A browser starting a sign-in: the AuthnRequest our start page sends to the provider. */
async function start(sp: Sp = strict, returnTo?: string): Promise<Started> {
  const res = await fetch(`${t.url}/api/sso/${a.slug}/${sp.id}/saml/start${returnTo ? `?returnTo=${encodeURIComponent(returnTo)}` : ''}`, { redirect: 'manual' });
  expect(res.status).toBe(303);
  const to = new URL(res.headers.get('location')!);
  expect(`${to.origin}${to.pathname}`).toBe(idp.ssoUrl);
  const request = inflateRawSync(Buffer.from(to.searchParams.get('SAMLRequest')!, 'base64')).toString('utf8');
  expect(request).toContain(`AssertionConsumerServiceURL="${sp.acs}"`);
  expect(request).toContain(`>${sp.entityId}</saml:Issuer>`);
  return { requestId: /\bID="([^"]+)"/.exec(request)![1], relayState: to.searchParams.get('RelayState')! };
}

/** The provider's answer to a started sign-in (or an unsolicited one), signed on the assertion unless told otherwise. */
const answer = (sp: Sp, started: Started | null, over: Partial<ResponseOptions> = {}) =>
  idp.response({
    acs: sp.acs,
    audience: sp.entityId,
    inResponseTo: started?.requestId ?? null,
    nameId: 'emp-1001',
    attributes: { email: 'dana@acme.example', displayName: 'Dana Scully', groups: ['support', 'tier2'] },
    ...over,
  });

/** The browser posting the provider's form to our ACS URL. */
async function post(sp: Sp, xml: string, relayState?: string | null, slug = a.slug): Promise<Response> {
  const form = new URLSearchParams({ SAMLResponse: encoded(xml) });
  if (relayState) form.set('RelayState', relayState);
  return fetch(`${t.url}/api/sso/${slug}/${sp.id}/saml/acs`, { method: 'POST', body: form, redirect: 'manual' });
}

const sessionOf = (res: Response) =>
  res.headers
    .getSetCookie()
    .find((c) => c.startsWith('bulwark_session='))
    ?.split(';')[0]
    .slice('bulwark_session='.length) || null;

/** Signs in start to finish and returns the session token. */
async function signIn(sp: Sp, over: Partial<ResponseOptions> = {}): Promise<string> {
  const started = await start(sp);
  const res = await post(sp, answer(sp, started, over), started.relayState);
  expect(res.headers.get('location')).toBe(`${publicUrl}/#/`);
  const session = sessionOf(res);
  expect(session).toBeTruthy();
  return session!;
}

async function events(action: string, tenantId = a.tenantId) {
  return t.ownerSql<{ details: Record<string, unknown> }>(`select details from audit_events where tenant_id = $1 and action = $2 order by seq`, [tenantId, action]);
}

/** What a refused sign-in must leave as it was. */
async function tally(tenantId: string) {
  const [row] = await t.ownerSql(
    `select (select count(*)::int from sessions where tenant_id = $1) as sessions,
            (select count(*)::int from users where tenant_id = $1) as users,
            (select count(*)::int from sso_identities where tenant_id = $1) as identities,
            (select count(*)::int from audit_events where tenant_id = $1 and action = 'sso.signedIn') as "signedIn"`,
    [tenantId],
  );
  return row;
}

/**
 * A refusal: the browser goes back to the sign-in page with no session, nothing was created in
 * either workspace, and exactly one `sso.signInFailed` event (in `tenantId`) gives `reason`.
 */
async function expectRefused(attempt: () => Promise<Response>, reason: RegExp, tenantId = a.tenantId): Promise<void> {
  const before = { a: await tally(a.tenantId), b: await tally(b.tenantId) };
  const failed = (await events('sso.signInFailed', tenantId)).length;
  const res = await attempt();
  expect(res.status).toBe(303);
  expect(res.headers.get('location')).toBe(`${publicUrl}/#/login?sso=failed`);
  expect(sessionOf(res)).toBeNull();
  expect({ a: await tally(a.tenantId), b: await tally(b.tenantId) }).toEqual(before);
  const after = await events('sso.signInFailed', tenantId);
  expect(after.length).toBe(failed + 1);
  expect(String(after.at(-1)!.details.reason)).toMatch(reason);
}

/** Who signs in through the app list (open): a person of their own, not linked to Dana's account. */
const KIM = { nameId: 'app-5005', attributes: { email: 'kim@acme.example' } };

const assertionOf = (xml: string) => /<saml:Assertion[\s\S]*<\/saml:Assertion>/.exec(xml)![0];

beforeAll(async () => {
  t = await startTestServer(plugins);
  publicUrl = t.server.app.config.publicUrl;
  a = await createPersonas(t, 'saml-acme');
  b = await createPersonas(t, 'saml-umbrella');
  await sudo(a.admin);
  strict = await connection('Acme SAML', { metadataXml: idp.metadata() });
  open = await connection('Acme SAML (app list)', { metadataXml: idp.metadata(), allowIdpInitiated: true });
});
afterAll(() => t?.close());
afterEach(async () => {
  t?.clock.reset();
  // These tests fail more sign-ins from one address than the per-address throttle allows (A10).
  await t?.ownerSql('delete from login_throttle');
});

describe('C3 SAML sign-in', () => {
  it('C3 signs in with a signed assertion: the person is provisioned by NameID, a session starts, sso.signedIn is audited', async () => {
    const signedIn = (await events('sso.signedIn')).length;
    const started = await start(strict, '/tickets');
    expect(await t.ownerSql(`select 1 from sso_requests where tenant_id = $1 and saml_request_id = $2`, [a.tenantId, started.requestId])).toHaveLength(1);
    const res = await post(strict, answer(strict, started), started.relayState);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`${publicUrl}/#/tickets`);
    const session = sessionOf(res);
    expect(res.headers.getSetCookie().find((c) => c.startsWith('bulwark_session='))).toMatch(/HttpOnly/i);
    expect((await t.gql(ME, {}, { token: session! })).data).toEqual({ me: { email: 'dana@acme.example' } });
    expect(await t.ownerSql(`select subject, email from sso_identities where tenant_id = $1 and connection_id = $2`, [a.tenantId, strict.id])).toEqual([{ subject: 'emp-1001', email: 'dana@acme.example' }]);
    const [user] = await t.ownerSql<{ name: string; role: string }>(`select name, role from users where tenant_id = $1 and email = 'dana@acme.example'`, [a.tenantId]);
    expect(user).toEqual({ name: 'Dana Scully', role: 'requester' });
    const signedInEvents = await events('sso.signedIn');
    expect(signedInEvents.length).toBe(signedIn + 1);
    expect(signedInEvents.at(-1)!.details).toMatchObject({ connection: strict.id, kind: 'saml' });
    // The started sign-in is spent.
    expect(await t.ownerSql(`select 1 from sso_requests where tenant_id = $1 and saml_request_id = $2`, [a.tenantId, started.requestId])).toEqual([]);
  });

  it('C3 accepts a signed response (its assertion unsigned inside it) and a response signed twice', async () => {
    for (const sign of ['response', 'both'] as const) {
      const session = await signIn(strict, { sign });
      expect((await t.gql(ME, {}, { token: session })).data).toEqual({ me: { email: 'dana@acme.example' } });
    }
  });

  it('C3 takes the email from an email NameID, and refuses a transient NameID (C4: it changes at every sign-in)', async () => {
    const session = await signIn(strict, { nameId: 'fox@acme.example', nameIdFormat: NAMEID.email, attributes: {} });
    expect((await t.gql(ME, {}, { token: session })).data).toEqual({ me: { email: 'fox@acme.example' } });
    const started = await start();
    await expectRefused(() => post(strict, answer(strict, started, { nameId: 'x-4411', nameIdFormat: NAMEID.transient }), started.relayState), /transient NameID/);
  });

  it('C3 refuses an unsigned response', async () => {
    const started = await start();
    await expectRefused(() => post(strict, answer(strict, started, { sign: 'none' }), started.relayState), /Invalid signature/);
  });

  it('C3 refuses a response signed by another key', async () => {
    for (const sign of ['assertion', 'response'] as const) {
      const started = await start();
      await expectRefused(() => post(strict, answer(strict, started, { sign, signer: rogue }), started.relayState), /Invalid signature/);
    }
  });

  it('C3 refuses a tampered assertion (content changed, signature kept)', async () => {
    const started = await start();
    const xml = answer(strict, started).replace('>emp-1001<', '>emp-0001<');
    await expectRefused(() => post(strict, xml, started.relayState), /signature/i);
  });

  it('C3 refuses signature wrapping', async () => {
    const evil = (started: Started) => assertionOf(answer(strict, started, { sign: 'none', nameId: 'mallory', attributes: { email: 'mallory@acme.example' } }));
    // A signed assertion plus an injected unsigned one.
    let started = await start();
    let signed = answer(strict, started);
    await expectRefused(() => post(strict, signed.replace('</samlp:Response>', `${evil(started)}</samlp:Response>`), started.relayState), /multiple assertions/);
    // The signed assertion moved out of the way, an unsigned one in its place.
    started = await start();
    signed = answer(strict, started);
    await expectRefused(() => post(strict, signed.replace(assertionOf(signed), `<samlp:Extensions>${assertionOf(signed)}</samlp:Extensions>${evil(started)}`), started.relayState), /signature/i);
    // The same, the unsigned one wearing the signed one's ID and a copy of its signature.
    started = await start();
    signed = answer(strict, started);
    const original = assertionOf(signed);
    const id = /ID="([^"]+)"/.exec(original)![1];
    const signature = /<ds:Signature[\s\S]*<\/ds:Signature>/.exec(original)![0];
    const impostor = evil(started)
      .replace(/ID="[^"]+"/, `ID="${id}"`)
      .replace('</saml:Issuer>', `</saml:Issuer>${signature}`);
    await expectRefused(() => post(strict, signed.replace(original, `<samlp:Extensions>${original}</samlp:Extensions>${impostor}`), started.relayState), /signature|ID/);
    expect(await t.ownerSql(`select 1 from users where tenant_id = $1 and email = 'mallory@acme.example'`, [a.tenantId])).toEqual([]);
  });

  it('C3 refuses a replayed assertion', async () => {
    // The same response again: its sign-in was spent by the first.
    const started = await start();
    const xml = answer(strict, started, { assertionId: samlId() });
    expect(sessionOf(await post(strict, xml, started.relayState))).toBeTruthy();
    await expectRefused(() => post(strict, xml, started.relayState), /InResponseTo names no pending sign-in/);
    // Its assertion ID inside a fresh, validly signed answer to a new sign-in.
    const again = await start();
    const reused = answer(strict, again, { assertionId: /ID="([^"]+)"/.exec(assertionOf(xml))![1] });
    await expectRefused(() => post(strict, reused, again.relayState), /its ID was used before \(replay\)/);
    // Where unsolicited responses are welcome, the assertion ID still counts once.
    const unsolicited = answer(open, null, KIM);
    expect(sessionOf(await post(open, unsolicited))).toBeTruthy();
    await expectRefused(() => post(open, unsolicited), /its ID was used before \(replay\)/);
  });

  it('C3 refuses the wrong audience', async () => {
    const started = await start();
    await expectRefused(() => post(strict, answer(strict, started, { audience: 'https://another-sp.example/saml' }), started.relayState), /audience mismatch/);
    // Another connection's entity ID is another audience too.
    const other = await start();
    await expectRefused(() => post(strict, answer(strict, other, { audience: open.entityId }), other.relayState), /audience mismatch/);
  });

  it('C3 refuses an expired assertion, and accepts one within 3 minutes of skew', async () => {
    const now = Date.now();
    let started = await start();
    const expired = { notBefore: new Date(now - 10 * 60_000), notOnOrAfter: new Date(now - 4 * 60_000) };
    await expectRefused(() => post(strict, answer(strict, started, expired), started.relayState), /expired/);
    started = await start();
    const early = { notBefore: new Date(now + 4 * 60_000), notOnOrAfter: new Date(now + 9 * 60_000) };
    await expectRefused(() => post(strict, answer(strict, started, early), started.relayState), /not yet valid|not valid before/);
    // Two minutes either way is a provider's clock, not an old or early assertion.
    await signIn(strict, { notBefore: new Date(now - 10 * 60_000), notOnOrAfter: new Date(now - 2 * 60_000) });
    await signIn(strict, { notBefore: new Date(now + 2 * 60_000), notOnOrAfter: new Date(now + 7 * 60_000) });
    // Our clock decides (the injectable one): nine minutes on, a five-minute assertion is old.
    started = await start();
    const xml = answer(strict, started);
    t.clock.advance(9 * 60_000);
    await expectRefused(() => post(strict, xml, started.relayState), /expired/);
  });

  it('C3 refuses the wrong Recipient or Destination', async () => {
    let started = await start();
    await expectRefused(() => post(strict, answer(strict, started, { recipient: open.acs }), started.relayState), /Recipient/);
    started = await start();
    await expectRefused(() => post(strict, answer(strict, started, { destination: 'https://another-sp.example/acs' }), started.relayState), /Destination/);
  });

  it('C3 refuses a response whose status is not Success, whatever it carries', async () => {
    const started = await start();
    const xml = answer(strict, started, { status: 'urn:oasis:names:tc:SAML:2.0:status:Responder' });
    await expectRefused(() => post(strict, xml, started.relayState), /answered urn:oasis:names:tc:SAML:2\.0:status:Responder rather than Success/);
  });

  it('C3 refuses an assertion from another issuer, even signed with the connection’s key', async () => {
    const started = await start();
    await expectRefused(() => post(strict, answer(strict, started, { issuer: 'https://other.idp.test/saml' }), started.relayState), /issued by https:\/\/other\.idp\.test/);
  });

  it('C3 refuses an unsolicited response unless IdP-initiated sign-in is allowed', async () => {
    await expectRefused(() => post(strict, answer(strict, null)), /unsolicited response/);
    // Allowed: the provider's app link lands where its RelayState says (a console path only).
    const res = await post(open, answer(open, null, KIM), '/tickets/42');
    expect(res.headers.get('location')).toBe(`${publicUrl}/#/tickets/42`);
    expect(sessionOf(res)).toBeTruthy();
    const elsewhere = await post(open, answer(open, null, KIM), 'https://evil.example/');
    expect(elsewhere.headers.get('location')).toBe(`${publicUrl}/#/`);
  });

  it('C3 refuses an unknown or reused InResponseTo', async () => {
    await expectRefused(() => post(strict, answer(strict, { requestId: samlId(), relayState: 'x' })), /InResponseTo names no pending sign-in/);
    // Another connection's sign-in, answered here.
    let started = await start(open);
    await expectRefused(() => post(strict, answer(strict, started), started.relayState), /InResponseTo names no pending sign-in/);
    // A sign-in left waiting past its ten minutes.
    started = await start();
    t.clock.advance(11 * 60_000);
    await expectRefused(() => post(strict, answer(strict, started), started.relayState), /InResponseTo names no pending sign-in/);
    t.clock.reset();
    // The request named only on the unsigned envelope, not in the signed assertion.
    started = await start();
    await expectRefused(() => post(strict, answer(strict, started, { inResponseToOnEnvelopeOnly: true }), started.relayState), /does not name the request it answers/);
    // Another sign-in's RelayState.
    started = await start();
    const other = await start();
    await expectRefused(() => post(strict, answer(strict, started), other.relayState), /RelayState/);
    // A sign-in is answered once, even after a refused answer.
    started = await start();
    await expectRefused(() => post(strict, answer(strict, started, { sign: 'none' }), started.relayState), /Invalid signature/);
    await expectRefused(() => post(strict, answer(strict, started), started.relayState), /InResponseTo names no pending sign-in/);
  });
});

describe('B8 re-authentication through the provider', () => {
  it('B8 a SAML sign-in started to re-authenticate sends ForceAuthn, and counts only with a fresh AuthnInstant', async () => {
    const reauthAt = () =>
      t.ownerSql<{ reauth_at: Date | null }>(
        `select s.reauth_at from sessions s join users u on u.id = s.user_id and u.tenant_id = s.tenant_id where s.tenant_id = $1 and u.email = 'dana@acme.example' order by s.created_at desc limit 1`,
        [a.tenantId],
      );
    const begin = async () => {
      const res = await fetch(`${t.url}/api/sso/${a.slug}/${strict.id}/saml/start?intent=reauth`, { redirect: 'manual' });
      const to = new URL(res.headers.get('location')!);
      const request = inflateRawSync(Buffer.from(to.searchParams.get('SAMLRequest')!, 'base64')).toString('utf8');
      expect(request).toContain('ForceAuthn="true"');
      return { requestId: /\bID="([^"]+)"/.exec(request)![1], relayState: to.searchParams.get('RelayState')! };
    };
    let started = await begin();
    expect(sessionOf(await post(strict, answer(strict, started), started.relayState))).toBeTruthy();
    expect((await events('sso.signedIn')).at(-1)!.details).toMatchObject({ reauthenticated: true });
    expect((await reauthAt())[0].reauth_at).not.toBeNull();
    // The provider let an old session stand in: a sign-in, not a confirmation.
    started = await begin();
    expect(sessionOf(await post(strict, answer(strict, started, { authnInstant: new Date(Date.now() - 20 * 60_000) }), started.relayState))).toBeTruthy();
    expect((await events('sso.signedIn')).at(-1)!.details).toMatchObject({ reauthenticated: false });
    expect((await reauthAt())[0].reauth_at).toBeNull();
    // A sign-in not started for it never counts, however fresh.
    await signIn(strict);
    expect((await events('sso.signedIn')).at(-1)!.details).not.toHaveProperty('reauthenticated');
    expect((await reauthAt())[0].reauth_at).toBeNull();
  });
});

describe('D2 one workspace, one connection', () => {
  it('D2 refuses tenant A’s connection under tenant B’s address and creates nothing in either', async () => {
    // A connection id that is nobody's in B: refused, logged, not audited (anyone can make those up).
    const quietly = async (attempt: () => Promise<Response>) => {
      const before = { a: await tally(a.tenantId), b: await tally(b.tenantId), failed: (await events('sso.signInFailed', b.tenantId)).length };
      const res = await attempt();
      expect(res.headers.get('location')).toBe(`${publicUrl}/#/login?sso=failed`);
      expect({ a: await tally(a.tenantId), b: await tally(b.tenantId), failed: (await events('sso.signInFailed', b.tenantId)).length }).toEqual(before);
    };
    await quietly(() => fetch(`${t.url}/api/sso/${b.slug}/${strict.id}/saml/start`, { redirect: 'manual' }));
    expect(await t.ownerSql(`select 1 from sso_requests where tenant_id = $1`, [b.tenantId])).toEqual([]);
    // A good answer to A's sign-in, posted under B's address: refused there, and A's sign-in untouched.
    const started = await start();
    const xml = answer(strict, started);
    await quietly(() => post(strict, xml, started.relayState, b.slug));
    await quietly(() => post(open, answer(open, null, KIM), null, b.slug));
    expect(await t.ownerSql(`select 1 from sso_requests where tenant_id = $1 and saml_request_id = $2`, [a.tenantId, started.requestId])).toHaveLength(1);
    expect(await t.ownerSql(`select 1 from sso_replay_cache where tenant_id = $1`, [b.tenantId])).toEqual([]);
    expect((await fetch(local(strict.metadata).replace(`/${a.slug}/`, `/${b.slug}/`))).status).toBe(404);
  });
});

describe('SAML metadata', () => {
  it('serves our service provider metadata to anyone, for this workspace’s SAML connections only', async () => {
    const res = await fetch(local(strict.metadata));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/samlmetadata\+xml/);
    const xml = await res.text();
    expect(xml).toContain(`entityID="${strict.entityId}"`);
    expect(xml).toContain(`Location="${strict.acs}"`);
    expect(xml).toContain(`Location="${strict.slo}"`);
    expect(xml).toMatch(/WantAssertionsSigned="true"/);
    expect(strict.entityId).toBe(strict.metadata);
    expect((await fetch(`${t.url}/api/sso/${a.slug}/${samlId().slice(1, 9)}-0000-4000-8000-000000000000/saml/metadata`)).status).toBe(404);
  });

  it('reads the provider’s metadata and names the field and piece that is wrong', async () => {
    await sudo(a.admin);
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ metadataXml: '<md:EntityDescriptor' }, 'saml.metadataXml', /not well-formed XML/],
      [{ metadataXml: '<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>' }, 'saml.metadataXml', /DOCTYPE/],
      [{ metadataXml: idp.metadata({ omit: 'entityID' }) }, 'saml.metadataXml', /no entityID/],
      [{ metadataXml: idp.metadata({ omit: 'idp' }) }, 'saml.metadataXml', /no SAML 2.0 identity provider/],
      [{ metadataXml: idp.metadata({ omit: 'sso' }) }, 'saml.metadataXml', /no sign-in URL/],
      [{ metadataXml: idp.metadata({ omit: 'certificate' }) }, 'saml.metadataXml', /no signing certificate/],
      [{ metadataXml: idp.metadata({ keyUse: 'encryption' }) }, 'saml.metadataXml', /no signing certificate/],
      [{ metadataXml: idp.metadata({ certificates: ['bm90IGEgY2VydGlmaWNhdGU='] }) }, 'saml.metadataXml', /cannot be read as an X\.509 certificate/],
      [{}, 'saml.metadataXml', /Upload the identity provider’s metadata|Upload the identity provider's metadata/],
      [{ metadataXml: idp.metadata(), metadataUrl: 'https://acme.idp.test/metadata' }, 'saml.metadataUrl', /not both/],
      [{ metadataUrl: 'not a url' }, 'saml.metadataUrl', /full URL/],
    ];
    for (const [saml, field, message] of cases) {
      const r = await create(`Broken ${field}`, saml);
      expect(r.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
      expect(r.errors?.[0].message).toMatch(message);
      expect(Object.keys(r.errors?.[0].extensions?.fields as object)).toEqual([field]);
    }
    // A key with no `use` signs too.
    const r = await create('Unmarked key', { metadataXml: idp.metadata({ keyUse: null }) });
    expect(r.data?.createSsoConnection.saml).toMatchObject({ idpEntityId: idp.entityId, idpSsoUrl: idp.ssoUrl, idpSloUrl: idp.sloUrl, certificateFingerprints: [idp.fingerprint] });
    expect(await t.ownerSql(`select 1 from sso_connections where tenant_id = $1 and name like 'Broken%'`, [a.tenantId])).toEqual([]);
  });

  it('reads metadata from a URL, keeps the saved provider when an update gives none, and tests the connection', async () => {
    let served = idp.metadata();
    const server: Server = createServer((req, res) => {
      if (req.url === '/metadata') res.writeHead(200, { 'content-type': 'application/samlmetadata+xml' }).end(served);
      else if (req.url === '/moved') res.writeHead(302, { location: 'http://169.254.169.254/latest' }).end();
      else if (req.url === '/huge') res.writeHead(200).end('<x>' + 'a'.repeat(1_100_000) + '</x>');
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      await sudo(a.admin);
      for (const [path, message] of [['/missing', /HTTP 404/], ['/moved', /redirects to http:\/\/169\.254\.169\.254/], ['/huge', /larger than 1 MB/]] as const) {
        const r = await create('By URL', { metadataUrl: `${base}${path}` });
        expect(r.errors?.[0].message).toMatch(message);
        expect(Object.keys(r.errors?.[0].extensions?.fields as object)).toEqual(['saml.metadataUrl']);
      }
      const made = await create('By URL', { metadataUrl: `${base}/metadata` });
      const c = made.data!.createSsoConnection;
      expect(c.saml).toMatchObject({ metadataUrl: `${base}/metadata`, allowIdpInitiated: false, certificateFingerprints: [idp.fingerprint] });
      const kept = await t.gql<{ updateSsoConnection: Connection }>(UPDATE, { id: c.id, input: samlInput('By URL', { allowIdpInitiated: true }) }, { token: a.admin.token });
      expect(kept.data?.updateSsoConnection.saml).toEqual({ metadataUrl: `${base}/metadata`, allowIdpInitiated: true, certificateFingerprints: [idp.fingerprint] });
      const tested = await t.gql<{ testSsoConnection: { ok: boolean; checks: { name: string; ok: boolean; message: string }[] } }>(TEST, { id: c.id }, { token: a.admin.token });
      expect(tested.data?.testSsoConnection.ok).toBe(true);
      expect(tested.data?.testSsoConnection.checks.map((x) => [x.name, x.ok])).toEqual([
        ['Signing certificates', true],
        ['Sign-in URL', true],
        ['Metadata URL', true],
        ['Switched on', true],
      ]);
      // The provider rolls its key: the test says the saved settings are behind.
      served = new SamlIdp('acme').metadata();
      const behind = await t.gql<{ testSsoConnection: { ok: boolean; checks: { name: string; ok: boolean; message: string }[] } }>(TEST, { id: c.id }, { token: a.admin.token });
      expect(behind.data?.testSsoConnection.ok).toBe(false);
      expect(behind.data?.testSsoConnection.checks.find((x) => x.name === 'Metadata URL')).toMatchObject({ ok: false, message: expect.stringMatching(/changed since it was saved \(certificates\)/) });
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('testing a connection flags a certificate that has expired', async () => {
    const year = 365 * 86_400_000;
    const old = new SamlIdp('old', { validFrom: new Date(Date.now() - 2 * year), validTo: new Date(Date.now() - year) });
    await sudo(a.admin);
    const c = (await create('Old provider', { metadataXml: old.metadata() })).data!.createSsoConnection;
    const tested = await t.gql<{ testSsoConnection: { ok: boolean; checks: { name: string; ok: boolean; message: string }[] } }>(TEST, { id: c.id }, { token: a.admin.token });
    expect(tested.data?.testSsoConnection.ok).toBe(false);
    expect(tested.data?.testSsoConnection.checks.find((x) => x.name === 'Signing certificates')).toMatchObject({ ok: false, message: expect.stringMatching(/expired on/) });
  });

  it('sends an auto-posting form, with its own narrow CSP, to a provider that takes only HTTP-POST', async () => {
    const postOnly = new SamlIdp('post-only');
    await sudo(a.admin);
    const sp = await connection('POST binding', { metadataXml: postOnly.metadata({ ssoBinding: 'post' }) });
    const res = await fetch(`${t.url}/api/sso/${a.slug}/${sp.id}/saml/start`, { redirect: 'manual' });
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toMatch(/form-action https:\/\/post-only\.idp\.test;/);
    const html = await res.text();
    // The one inline script runs because the policy names its hash, and nothing else may.
    const script = /<script>([^<]*)<\/script>/.exec(html)![1];
    expect(csp).toContain(`script-src 'sha256-${createHash('sha256').update(script).digest('base64')}'`);
    expect(html).toContain(`action="${postOnly.ssoUrl}"`);
    const request = Buffer.from(/name="SAMLRequest" value="([^"]+)"/.exec(html)![1], 'base64').toString('utf8');
    const id = /\bID="([^"]+)"/.exec(request)![1];
    expect(await t.ownerSql(`select 1 from sso_requests where tenant_id = $1 and connection_id = $2 and saml_request_id = $3`, [a.tenantId, sp.id, id])).toHaveLength(1);
  });
});

describe('SAML single logout', () => {
  const logoutUrl = (sp: Sp, query: string) => `${local(sp.slo)}?${query}`;

  it('a signed LogoutRequest from the provider ends the person’s sessions and is answered at the provider’s logout URL, once', async () => {
    const one = await signIn(strict, { nameId: 'emp-2002', attributes: { email: 'walter@acme.example' } });
    const two = await signIn(strict, { nameId: 'emp-2002', attributes: { email: 'walter@acme.example' } });
    const request = idp.logoutRequest({ destination: strict.slo, nameId: 'emp-2002' });
    const query = idp.redirectQuery('SAMLRequest', request, 'idp-relay-1');
    const res = await fetch(logoutUrl(strict, query), { redirect: 'manual' });
    expect(res.status).toBe(303);
    const to = new URL(res.headers.get('location')!);
    expect(`${to.origin}${to.pathname}`).toBe(idp.sloUrl);
    expect(to.searchParams.get('RelayState')).toBe('idp-relay-1');
    const response = inflateRawSync(Buffer.from(to.searchParams.get('SAMLResponse')!, 'base64')).toString('utf8');
    expect(response).toContain(`InResponseTo="${/\bID="([^"]+)"/.exec(request)![1]}"`);
    expect(response).toContain('urn:oasis:names:tc:SAML:2.0:status:Success');
    for (const session of [one, two]) expect((await t.gql(ME, {}, { token: session })).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect((await events('sso.loggedOutByProvider')).at(-1)!.details).toMatchObject({ connection: strict.id, via: 'SAML single logout', sessionsEnded: 2 });
    await expectRefused(() => fetch(logoutUrl(strict, query), { redirect: 'manual' }), /its ID was used before \(replay\)/);
  });

  it('refuses an unsigned, foreign-signed, misaddressed or stale LogoutRequest and keeps the session', async () => {
    const session = await signIn(strict, { nameId: 'emp-3003', attributes: { email: 'jeffrey@acme.example' } });
    const request = () => idp.logoutRequest({ destination: strict.slo, nameId: 'emp-3003' });
    await expectRefused(() => fetch(logoutUrl(strict, idp.redirectQuery('SAMLRequest', request(), undefined, { sign: false })), { redirect: 'manual' }), /not signed/);
    await expectRefused(() => fetch(logoutUrl(strict, idp.redirectQuery('SAMLRequest', request(), undefined, { signer: rogue })), { redirect: 'manual' }), /Invalid query signature/);
    const unsignedPost = new URLSearchParams({ SAMLRequest: encoded(request()) });
    await expectRefused(() => fetch(local(strict.slo), { method: 'POST', body: unsignedPost, redirect: 'manual' }), /Invalid signature/);
    const misaddressed = idp.logoutRequest({ destination: open.slo, nameId: 'emp-3003' });
    await expectRefused(() => fetch(logoutUrl(strict, idp.redirectQuery('SAMLRequest', misaddressed)), { redirect: 'manual' }), /Destination/);
    const stale = idp.logoutRequest({ destination: strict.slo, nameId: 'emp-3003', issueInstant: new Date(Date.now() - 20 * 60_000) });
    await expectRefused(() => fetch(logoutUrl(strict, idp.redirectQuery('SAMLRequest', stale)), { redirect: 'manual' }), /outside the 10-minute window/);
    expect((await t.gql(ME, {}, { token: session })).data).toEqual({ me: { email: 'jeffrey@acme.example' } });
  });

  it('takes a LogoutRequest over HTTP-POST too, signed on the message', async () => {
    const session = await signIn(strict, { nameId: 'emp-4004', attributes: { email: 'monica@acme.example' } });
    const signed = idp.signElement(idp.logoutRequest({ destination: strict.slo, nameId: 'emp-4004' }), "/*[local-name(.)='LogoutRequest']");
    const res = await fetch(local(strict.slo), { method: 'POST', body: new URLSearchParams({ SAMLRequest: encoded(signed) }), redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toMatch(new RegExp(`^${idp.sloUrl}\\?SAMLResponse=`));
    expect((await t.gql(ME, {}, { token: session })).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('a LogoutResponse (the answer to a logout we started) sends the browser to the sign-in page', async () => {
    const res = await fetch(logoutUrl(strict, 'SAMLResponse=anything'), { redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`${publicUrl}/#/login`);
  });
});

describe('login CSRF over HTTPS', () => {
  let t2: TestServer;
  beforeAll(async () => {
    t2 = await startTestServer(plugins, { BULWARK_SECURE_COOKIES: '1' });
  });
  afterAll(() => t2?.close());

  it('C3 over HTTPS, a response is taken only in the browser that started its sign-in', async () => {
    const p = await createPersonas(t2, 'saml-https');
    const sudoed = await t2.gql<{ reauthenticate: { token: string } }>(`mutation($p: String!) { reauthenticate(password: $p) { token } }`, { p: PERSONA_PASSWORD }, { token: p.admin.token });
    const made = await t2.gql<{ createSsoConnection: Connection }>(CREATE, { input: samlInput('Acme over HTTPS', { metadataXml: idp.metadata() }) }, { token: sudoed.data!.reauthenticate.token });
    const c = made.data!.createSsoConnection;
    const url = (label: RegExp) => c.endpoints.find((e) => label.test(e.label))!.url;
    const sp: Sp = { id: c.id, entityId: url(/^Entity ID/), acs: url(/^Assertion Consumer Service/), slo: url(/^Single logout/), metadata: url(/metadata URL/) };
    const begin = async () => {
      const res = await fetch(`${t2.url}/api/sso/${p.slug}/${c.id}/saml/start`, { redirect: 'manual' });
      const set = res.headers.getSetCookie().find((x) => x.startsWith('__Host-bulwark_saml='))!;
      expect(set).toMatch(/HttpOnly/i);
      expect(set).toMatch(/Secure/i);
      expect(set).toMatch(/SameSite=None/i);
      const to = new URL(res.headers.get('location')!);
      const request = inflateRawSync(Buffer.from(to.searchParams.get('SAMLRequest')!, 'base64')).toString('utf8');
      return { requestId: /\bID="([^"]+)"/.exec(request)![1], relayState: to.searchParams.get('RelayState')!, cookie: set.split(';')[0] };
    };
    const send = (started: Started, cookie?: string) =>
      fetch(`${t2.url}/api/sso/${p.slug}/${c.id}/saml/acs`, {
        method: 'POST',
        redirect: 'manual',
        headers: cookie ? { cookie } : {},
        body: new URLSearchParams({ SAMLResponse: encoded(answer(sp, started)), RelayState: started.relayState }),
      });
    const session = (res: Response) => res.headers.getSetCookie().some((x) => x.startsWith('__Host-bulwark_session=bws_'));

    // The victim's browser did not start this sign-in: no cookie, or another sign-in's.
    const attacker = await begin();
    expect(session(await send(attacker))).toBe(false);
    const other = await begin();
    const mine = await begin();
    expect(session(await send(mine, other.cookie))).toBe(false);
    const reasons = await t2.ownerSql<{ details: { reason: string } }>(`select details from audit_events where tenant_id = $1 and action = 'sso.signInFailed' order by seq`, [p.tenantId]);
    expect(reasons.map((r) => r.details.reason)).toEqual([expect.stringMatching(/another browser/), expect.stringMatching(/another browser/)]);
    // The browser that started it signs in.
    const honest = await begin();
    const res = await send(honest, honest.cookie);
    expect(res.headers.get('location')).toBe(`${t2.server.app.config.publicUrl}/#/`);
    expect(session(res)).toBe(true);
  });
});
