/**
 * A SAML 2.0 identity provider for tests (never shipped): its own RSA key and self-signed
 * certificate made at test time, metadata, and Responses and LogoutRequests signed with
 * xml-crypto exactly as a real provider signs them, so the service provider's checks (SECURITY.md
 * C3) meet real XML signatures. Every field a test wants to get wrong can be set.
 */
import { createHash, createSign, generateKeyPairSync, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import { SignedXml } from 'xml-crypto';

const NS = {
  samlp: 'urn:oasis:names:tc:SAML:2.0:protocol',
  saml: 'urn:oasis:names:tc:SAML:2.0:assertion',
  md: 'urn:oasis:names:tc:SAML:2.0:metadata',
  ds: 'http://www.w3.org/2000/09/xmldsig#',
};
export const BINDING = {
  redirect: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect',
  post: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST',
};
export const NAMEID = {
  persistent: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
  email: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
  transient: 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient',
};
const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
const SHA256 = 'http://www.w3.org/2001/04/xmlenc#sha256';
const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';

// --- A self-signed X.509 certificate, in DER by hand: Node 20 reads certificates but cannot make
// them, and no certificate library (selfsigned, node-forge, @peculiar/x509) is installed.

function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}
const der = (tag: number, ...parts: Buffer[]) => {
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.from([tag]), derLength(body.length), body]);
};
function derOid(oid: string): Buffer {
  const [a, b, ...rest] = oid.split('.').map(Number);
  const bytes = [40 * a + b];
  for (const n of rest) {
    const chunk: number[] = [n & 0x7f];
    for (let v = n >> 7; v > 0; v >>= 7) chunk.unshift((v & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return der(0x06, Buffer.from(bytes));
}
/** UTCTime (YYMMDDHHMMSSZ): enough for the years 1950 to 2049 that tests use. */
const derTime = (d: Date) => der(0x17, Buffer.from(d.toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z'));
const SHA256_WITH_RSA = der(0x30, derOid('1.2.840.113549.1.1.11'), Buffer.from([0x05, 0x00]));
const commonName = (cn: string) => der(0x30, der(0x31, der(0x30, derOid('2.5.4.3'), der(0x0c, Buffer.from(cn)))));

export function selfSignedCertificate(privateKey: KeyObject, publicKey: KeyObject, cn: string, validFrom: Date, validTo: Date): X509Certificate {
  const serial = randomBytes(16);
  serial[0] &= 0x7f; // a positive INTEGER
  const tbs = der(
    0x30,
    der(0xa0, der(0x02, Buffer.from([2]))), // version 3
    der(0x02, serial),
    SHA256_WITH_RSA,
    commonName(cn),
    der(0x30, derTime(validFrom), derTime(validTo)),
    commonName(cn),
    publicKey.export({ type: 'spki', format: 'der' }),
  );
  const signature = sign('sha256', tbs, privateKey);
  return new X509Certificate(der(0x30, tbs, SHA256_WITH_RSA, der(0x03, Buffer.from([0]), signature)));
}

// --- The provider.

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
export const samlId = () => `_${randomBytes(16).toString('hex')}`;
const iso = (d: Date) => d.toISOString();

export interface ResponseOptions {
  /** Our ACS URL: the Response's Destination and the bearer confirmation's Recipient unless set apart. */
  acs: string;
  /** Our entity ID, the assertion's audience. */
  audience: string;
  nameId: string;
  nameIdFormat?: string;
  /** The AuthnRequest answered; absent for an unsolicited (IdP-initiated) response. */
  inResponseTo?: string | null;
  /** Put InResponseTo on the Response only, not in the signed SubjectConfirmationData. */
  inResponseToOnEnvelopeOnly?: boolean;
  attributes?: Record<string, string | string[]>;
  issuer?: string;
  /** null: no Destination attribute. */
  destination?: string | null;
  recipient?: string;
  now?: Date;
  notBefore?: Date;
  notOnOrAfter?: Date;
  assertionId?: string;
  sign?: 'assertion' | 'response' | 'both' | 'none';
  /** Another provider's key signs instead (its certificate goes in KeyInfo, as an attacker's would). */
  signer?: SamlIdp;
  status?: string;
  /** When the person authenticated at the provider (default: now). */
  authnInstant?: Date;
}

export interface LogoutRequestOptions {
  destination: string;
  nameId: string;
  nameIdFormat?: string;
  id?: string;
  issueInstant?: Date;
  issuer?: string;
}

export class SamlIdp {
  readonly entityId: string;
  readonly ssoUrl: string;
  readonly sloUrl: string;
  readonly privateKey: KeyObject;
  readonly certificate: X509Certificate;

  constructor(name: string, opts: { validFrom?: Date; validTo?: Date } = {}) {
    this.entityId = `https://${name}.idp.test/saml`;
    this.ssoUrl = `https://${name}.idp.test/sso`;
    this.sloUrl = `https://${name}.idp.test/slo`;
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.privateKey = privateKey;
    const now = Date.now();
    this.certificate = selfSignedCertificate(privateKey, publicKey, `${name}.idp.test`, opts.validFrom ?? new Date(now - 86_400_000), opts.validTo ?? new Date(now + 365 * 86_400_000));
  }

  /** The certificate as metadata carries it: base64 DER, no armour. */
  get certificateBase64(): string {
    return this.certificate.raw.toString('base64');
  }

  get fingerprint(): string {
    return createHash('sha256').update(this.certificate.raw).digest('hex').toUpperCase().replace(/(..)(?!$)/g, '$1:');
  }

  /** The provider's metadata; `omit` leaves a piece out, as a broken upload would. */
  metadata(opts: { omit?: 'entityID' | 'sso' | 'certificate' | 'idp'; ssoBinding?: 'redirect' | 'post'; keyUse?: 'signing' | 'encryption' | null; certificates?: string[] } = {}): string {
    const certs = opts.certificates ?? [this.certificateBase64];
    const use = opts.keyUse === undefined ? 'signing' : opts.keyUse;
    const keys =
      opts.omit === 'certificate'
        ? ''
        : certs.map((c) => `<md:KeyDescriptor${use ? ` use="${use}"` : ''}><ds:KeyInfo><ds:X509Data><ds:X509Certificate>\n${c.replace(/(.{64})/g, '$1\n')}\n</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`).join('');
    const sso = opts.omit === 'sso' ? '' : `<md:SingleSignOnService Binding="${BINDING[opts.ssoBinding ?? 'redirect']}" Location="${esc(this.ssoUrl)}"/>`;
    const descriptor =
      opts.omit === 'idp'
        ? `<md:SPSSODescriptor protocolSupportEnumeration="${NS.samlp}"><md:AssertionConsumerService Binding="${BINDING.post}" Location="https://sp.test/acs" index="0"/></md:SPSSODescriptor>`
        : `<md:IDPSSODescriptor protocolSupportEnumeration="${NS.samlp}" WantAuthnRequestsSigned="false">${keys}` +
          `<md:SingleLogoutService Binding="${BINDING.redirect}" Location="${esc(this.sloUrl)}"/>` +
          `<md:NameIDFormat>${NAMEID.persistent}</md:NameIDFormat>${sso}</md:IDPSSODescriptor>`;
    return (
      `<?xml version="1.0" encoding="UTF-8"?>\n` +
      `<md:EntityDescriptor xmlns:md="${NS.md}" xmlns:ds="${NS.ds}"${opts.omit === 'entityID' ? '' : ` entityID="${esc(this.entityId)}"`}>${descriptor}</md:EntityDescriptor>`
    );
  }

  /** A Response with one assertion, signed where `sign` says (the assertion, by default). */
  response(o: ResponseOptions): string {
    const now = o.now ?? new Date();
    const notBefore = o.notBefore ?? new Date(now.getTime() - 60_000);
    const notOnOrAfter = o.notOnOrAfter ?? new Date(now.getTime() + 5 * 60_000);
    const issuer = esc(o.issuer ?? this.entityId);
    const assertionId = o.assertionId ?? samlId();
    const irt = o.inResponseTo ? ` InResponseTo="${esc(o.inResponseTo)}"` : '';
    const destination = o.destination === null ? '' : ` Destination="${esc(o.destination ?? o.acs)}"`;
    const attributes = Object.entries(o.attributes ?? {})
      .map(([name, v]) => `<saml:Attribute Name="${esc(name)}">${(Array.isArray(v) ? v : [v]).map((x) => `<saml:AttributeValue>${esc(x)}</saml:AttributeValue>`).join('')}</saml:Attribute>`)
      .join('');
    const assertion =
      `<saml:Assertion xmlns:saml="${NS.saml}" ID="${assertionId}" Version="2.0" IssueInstant="${iso(now)}">` +
      `<saml:Issuer>${issuer}</saml:Issuer>` +
      `<saml:Subject><saml:NameID Format="${o.nameIdFormat ?? NAMEID.persistent}">${esc(o.nameId)}</saml:NameID>` +
      `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData${o.inResponseToOnEnvelopeOnly ? '' : irt} NotOnOrAfter="${iso(notOnOrAfter)}" Recipient="${esc(o.recipient ?? o.acs)}"/></saml:SubjectConfirmation></saml:Subject>` +
      `<saml:Conditions NotBefore="${iso(notBefore)}" NotOnOrAfter="${iso(notOnOrAfter)}"><saml:AudienceRestriction><saml:Audience>${esc(o.audience)}</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
      `<saml:AuthnStatement AuthnInstant="${iso(o.authnInstant ?? now)}" SessionIndex="${samlId()}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>` +
      (attributes ? `<saml:AttributeStatement>${attributes}</saml:AttributeStatement>` : '') +
      `</saml:Assertion>`;
    let xml =
      `<samlp:Response xmlns:samlp="${NS.samlp}" xmlns:saml="${NS.saml}" ID="${samlId()}" Version="2.0" IssueInstant="${iso(now)}"${destination}${irt}>` +
      `<saml:Issuer>${issuer}</saml:Issuer>` +
      `<samlp:Status><samlp:StatusCode Value="${o.status ?? 'urn:oasis:names:tc:SAML:2.0:status:Success'}"/></samlp:Status>` +
      assertion +
      `</samlp:Response>`;
    const signer = o.signer ?? this;
    const how = o.sign ?? 'assertion';
    if (how === 'assertion' || how === 'both') xml = signer.signElement(xml, "/*[local-name(.)='Response']/*[local-name(.)='Assertion']");
    if (how === 'response' || how === 'both') xml = signer.signElement(xml, "/*[local-name(.)='Response']");
    return xml;
  }

  /** A LogoutRequest, unsigned (the redirect binding signs the query; the POST binding, `signElement`). */
  logoutRequest(o: LogoutRequestOptions): string {
    return (
      `<samlp:LogoutRequest xmlns:samlp="${NS.samlp}" xmlns:saml="${NS.saml}" ID="${o.id ?? samlId()}" Version="2.0" IssueInstant="${iso(o.issueInstant ?? new Date())}" Destination="${esc(o.destination)}">` +
      `<saml:Issuer>${esc(o.issuer ?? this.entityId)}</saml:Issuer>` +
      `<saml:NameID Format="${o.nameIdFormat ?? NAMEID.persistent}">${esc(o.nameId)}</saml:NameID>` +
      `</samlp:LogoutRequest>`
    );
  }

  /** An enveloped signature over the element `xpath` selects, placed after its Issuer as the schema wants. */
  signElement(xml: string, xpath: string): string {
    const sig = new SignedXml({
      privateKey: this.privateKey.export({ type: 'pkcs8', format: 'pem' }),
      publicCert: this.certificate.toString(),
      signatureAlgorithm: RSA_SHA256,
      canonicalizationAlgorithm: EXC_C14N,
    });
    sig.addReference({ xpath, transforms: [ENVELOPED, EXC_C14N], digestAlgorithm: SHA256 });
    sig.computeSignature(xml, { prefix: 'ds', location: { reference: `${xpath}/*[local-name(.)='Issuer']`, action: 'after' } });
    return sig.getSignedXml();
  }

  /**
   * The HTTP-Redirect binding's query: the message deflated and base64'd, signed over
   * `SAMLRequest=…&RelayState=…&SigAlg=…` as sent (SAML bindings §3.4.4.1).
   */
  redirectQuery(param: 'SAMLRequest' | 'SAMLResponse', xml: string, relayState?: string, opts: { sign?: boolean; signer?: SamlIdp } = {}): string {
    const parts = [`${param}=${encodeURIComponent(deflateRawSync(Buffer.from(xml)).toString('base64'))}`];
    if (relayState) parts.push(`RelayState=${encodeURIComponent(relayState)}`);
    if (opts.sign === false) return parts.join('&');
    parts.push(`SigAlg=${encodeURIComponent(RSA_SHA256)}`);
    const signature = createSign('RSA-SHA256')
      .update(parts.join('&'))
      .sign((opts.signer ?? this).privateKey, 'base64');
    return `${parts.join('&')}&Signature=${encodeURIComponent(signature)}`;
  }
}

/** The base64 a POST binding form carries. */
export const encoded = (xml: string) => Buffer.from(xml).toString('base64');
