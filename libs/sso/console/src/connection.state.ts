import type { Api } from '@bulwark/platform-console';
import type { FieldErrors } from './form-errors';
import type { SsoConnection, SsoKind } from './sso.data';

/**
 * The connection form's state and what it sends, apart from its components: the API's input
 * (only the kind's own settings; an empty secret keeps the stored one), the form's own checks and
 * words, and the shared secret a JWT connection can be given, made in the browser.
 */

export interface MappingState {
  roleClaim: string;
  roles: { value: string; role: string }[];
  groupClaim: string;
  groups: { value: string; groupId: string }[];
}

/** The mapping as the API takes it: blank rules left out. */
export function mappingInput(m: MappingState): Api.SsoMappingInput {
  return {
    roleClaim: m.roleClaim.trim() || null,
    roles: m.roles.filter((r) => r.value.trim() && r.role).map((r) => ({ value: r.value.trim(), role: r.role })),
    groupClaim: m.groupClaim.trim() || null,
    groups: m.groups.filter((g) => g.value.trim() && g.groupId).map((g) => ({ value: g.value.trim(), groupId: g.groupId })),
  };
}

export interface ConnectionState {
  kind: SsoKind;
  name: string;
  enabled: boolean;
  showButton: boolean;
  domains: string;
  provisionUsers: boolean;
  defaultRole: string;
  linkByEmail: boolean;
  mapping: MappingState;
  oidc: { issuer: string; clientId: string; clientSecret: string; scopes: string };
  saml: { source: 'file' | 'url'; metadataXml: string | null; fileName: string; metadataUrl: string; allowIdpInitiated: boolean };
  jwt: { remoteLoginUrl: string; remoteLogoutUrl: string; sharedSecret: string; generated: boolean };
}

export function initialState(kind: SsoKind, c?: SsoConnection): ConnectionState {
  return {
    kind,
    name: c?.name ?? '',
    enabled: c?.enabled ?? true,
    showButton: c?.showButton ?? true,
    domains: (c?.domains ?? []).join(', '),
    provisionUsers: c?.provisionUsers ?? true,
    defaultRole: c?.defaultRole ?? 'requester',
    linkByEmail: c?.linkByEmail ?? false,
    mapping: {
      roleClaim: c?.mapping.roleClaim ?? '',
      roles: c?.mapping.roles.map((r) => ({ value: r.value, role: r.role })) ?? [],
      groupClaim: c?.mapping.groupClaim ?? '',
      groups: c?.mapping.groups.map((g) => ({ value: g.value, groupId: g.groupId })) ?? [],
    },
    oidc: { issuer: c?.oidc?.issuer ?? '', clientId: c?.oidc?.clientId ?? '', clientSecret: '', scopes: (c?.oidc?.scopes ?? []).join(' ') },
    saml: { source: c?.saml?.metadataUrl ? 'url' : 'file', metadataXml: null, fileName: '', metadataUrl: c?.saml?.metadataUrl ?? '', allowIdpInitiated: c?.saml?.allowIdpInitiated ?? false },
    jwt: { remoteLoginUrl: c?.jwt?.remoteLoginUrl ?? '', remoteLogoutUrl: c?.jwt?.remoteLogoutUrl ?? '', sharedSecret: '', generated: false },
  };
}

const splitList = (s: string) =>
  s
    .split(/[\s,;]+/)
    .map((x) => x.trim())
    .filter(Boolean);

/** The form as the API takes it: only the kind's own settings; empty secrets keep the stored ones. */
export function toInput(s: ConnectionState): Api.SsoConnectionInput {
  return {
    name: s.name.trim(),
    kind: s.kind,
    enabled: s.enabled,
    showButton: s.showButton,
    domains: splitList(s.domains).map((d) => d.toLowerCase().replace(/^@/, '')),
    provisionUsers: s.provisionUsers,
    defaultRole: s.defaultRole,
    linkByEmail: s.linkByEmail,
    mapping: mappingInput(s.mapping),
    oidc: s.kind === 'oidc' ? { issuer: s.oidc.issuer.trim(), clientId: s.oidc.clientId.trim(), clientSecret: s.oidc.clientSecret || null, scopes: splitList(s.oidc.scopes) } : null,
    saml:
      s.kind === 'saml'
        ? {
            metadataXml: s.saml.source === 'file' ? s.saml.metadataXml : null,
            metadataUrl: s.saml.source === 'url' ? s.saml.metadataUrl.trim() || null : null,
            allowIdpInitiated: s.saml.allowIdpInitiated,
          }
        : null,
    jwt: s.kind === 'jwt' ? { remoteLoginUrl: s.jwt.remoteLoginUrl.trim(), remoteLogoutUrl: s.jwt.remoteLogoutUrl.trim() || null, sharedSecret: s.jwt.sharedSecret || null } : null,
  };
}

const URL_PATTERN = /^https?:\/\/[^\s/]+[^\s]*$/;
const DOMAIN_PATTERN = /^([a-z0-9-]+\.)+[a-z0-9-]{2,}$/i;

/**
 * The form's own words for each field, used before saving and when the server's input validation
 * refuses a value (it names the field, not why in words people read).
 */
export const HINTS: Record<string, string> = {
  name: 'Give the connection a name of up to 80 characters',
  domains: 'Enter domains like example.com, separated by commas',
  defaultRole: 'Choose the role new accounts get',
  'oidc.issuer': 'Enter the issuer URL, like https://login.example.com',
  'oidc.clientId': 'Enter the client ID the provider gave you',
  'oidc.clientSecret': 'The client secret is up to 1000 characters',
  'oidc.scopes': 'Scopes are single words separated by spaces, like groups offline_access',
  'saml.metadataXml': 'Choose the metadata file your provider gives (XML, up to 200 KB)',
  'saml.metadataUrl': 'Enter the metadata URL, like https://idp.example.com/metadata',
  'jwt.remoteLoginUrl': 'Enter the URL of your sign-in page, like https://example.com/sso/login',
  'jwt.remoteLogoutUrl': 'Enter a full URL, like https://example.com/sso/logout, or leave it empty',
  'jwt.sharedSecret': 'The shared secret is 32 to 200 characters: use Generate for a strong one',
  'mapping.roleClaim': 'The claim name is up to 200 characters',
  'mapping.groupClaim': 'The claim name is up to 200 characters',
  'mapping.roles': 'Each rule needs a value (up to 200 characters) and a role',
  'mapping.groups': 'Each rule needs a value (up to 200 characters) and a group',
};

/** What the form can tell before asking the server; `creating`: secrets and metadata are required. */
export function validate(s: ConnectionState, creating: boolean, stored: { secret: boolean }): FieldErrors {
  const e: FieldErrors = {};
  if (!s.name.trim() || s.name.trim().length > 80) e.name = HINTS.name;
  const bad = splitList(s.domains).find((d) => !DOMAIN_PATTERN.test(d.replace(/^@/, '')));
  if (bad) e.domains = `${bad} is not a domain: enter domains like example.com, separated by commas`;
  if (s.kind === 'oidc') {
    if (!URL_PATTERN.test(s.oidc.issuer.trim())) e['oidc.issuer'] = HINTS['oidc.issuer'];
    if (!s.oidc.clientId.trim()) e['oidc.clientId'] = HINTS['oidc.clientId'];
    if (creating && !s.oidc.clientSecret) e['oidc.clientSecret'] = 'Enter the client secret the provider gave you';
  }
  if (s.kind === 'saml') {
    if (s.saml.source === 'url' && !URL_PATTERN.test(s.saml.metadataUrl.trim())) e['saml.metadataUrl'] = HINTS['saml.metadataUrl'];
    if (s.saml.source === 'file' && creating && !s.saml.metadataXml) e['saml.metadataXml'] = 'Choose the metadata file your provider gives (XML)';
  }
  if (s.kind === 'jwt') {
    if (!URL_PATTERN.test(s.jwt.remoteLoginUrl.trim())) e['jwt.remoteLoginUrl'] = HINTS['jwt.remoteLoginUrl'];
    if (s.jwt.remoteLogoutUrl.trim() && !URL_PATTERN.test(s.jwt.remoteLogoutUrl.trim())) e['jwt.remoteLogoutUrl'] = HINTS['jwt.remoteLogoutUrl'];
    if (s.jwt.sharedSecret && (s.jwt.sharedSecret.length < 32 || s.jwt.sharedSecret.length > 200)) e['jwt.sharedSecret'] = HINTS['jwt.sharedSecret'];
    if (!s.jwt.sharedSecret && !stored.secret) e['jwt.sharedSecret'] = 'Enter the shared secret, or use Generate';
  }
  return e;
}

/** The fields the form shows a message on; a refusal naming another goes beside the save button. */
const PLACED = ['name', 'domains', 'defaultRole', 'oidc.', 'saml.', 'jwt.', 'mapping.'];
export const placed = (key: string) => PLACED.some((p) => (p.endsWith('.') ? key.startsWith(p) : key === p || key.startsWith(`${p}.`)));

const SECRET_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** 48 characters from the browser's CSPRNG (rejection sampling, so every character is equally likely). */
export function generateSecret(length = 48): string {
  const out: string[] = [];
  const limit = 256 - (256 % SECRET_ALPHABET.length);
  while (out.length < length) {
    for (const b of crypto.getRandomValues(new Uint8Array(length * 2))) {
      if (b < limit && out.length < length) out.push(SECRET_ALPHABET[b % SECRET_ALPHABET.length]);
    }
  }
  return out.join('');
}

