import { createHash, randomBytes } from 'node:crypto';

/**
 * Secrets that name their tenant and carry 256 random bits: `<prefix><tenant><secret>`.
 * `bws_` sessions, `bwr_` password resets, `bwi_` invitations, `bwc_` the second step of a
 * two-factor sign-in, `bwx_` one-time audit export links, `bwe_` one-time ticket export links,
 * `bwd_` one-time backup download links, `bwt_` API tokens, `bwo_` vendor support operators'
 * sessions (the support feature). The tenant part only says where to
 * look: the secret is found by the SHA-256 of the whole token under that tenant's RLS scope, so a
 * token edited to name another tenant finds nothing (D4). Only the hash is stored (B1, A13).
 */
export type TokenPrefix = 'bws_' | 'bwr_' | 'bwi_' | 'bwc_' | 'bwx_' | 'bwe_' | 'bwd_' | 'bwt_' | 'bwo_';
const UUID_HEX = /^([0-9a-f]{8})([0-9a-f]{4})([0-9a-f]{4})([0-9a-f]{4})([0-9a-f]{12})$/;

export function newTenantToken(prefix: TokenPrefix, tenantId: string): { token: string; hash: Buffer } {
  const tenant = Buffer.from(tenantId.replace(/-/g, ''), 'hex').toString('base64url');
  const token = `${prefix}${tenant}${randomBytes(32).toString('base64url')}`;
  return { token, hash: hashToken(token) };
}

export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

export function parseTenantToken(prefix: TokenPrefix, token: string): { tenantId: string; hash: Buffer } | null {
  if (typeof token !== 'string' || !token.startsWith(prefix) || token.length !== prefix.length + 22 + 43) return null;
  const hex = Buffer.from(token.slice(prefix.length, prefix.length + 22), 'base64url').toString('hex');
  const m = UUID_HEX.exec(hex);
  if (!m) return null;
  return { tenantId: m.slice(1).join('-'), hash: hashToken(token) };
}

export const newSessionToken = (tenantId: string) => newTenantToken('bws_', tenantId);
export const parseSessionToken = (token: string) => parseTenantToken('bws_', token);
