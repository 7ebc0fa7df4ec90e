import { createHash, randomBytes } from 'node:crypto';

/**
 * A session token names its tenant and carries 256 random bits: `bws_<tenant><secret>`. The
 * tenant part only says where to look; the session is found by the SHA-256 of the whole token
 * under that tenant's RLS scope, so a token edited to name another tenant finds nothing (D4).
 */
const PREFIX = 'bws_';
const UUID_HEX = /^([0-9a-f]{8})([0-9a-f]{4})([0-9a-f]{4})([0-9a-f]{4})([0-9a-f]{12})$/;

export function newSessionToken(tenantId: string): { token: string; hash: Buffer } {
  const tenant = Buffer.from(tenantId.replace(/-/g, ''), 'hex').toString('base64url');
  const token = `${PREFIX}${tenant}${randomBytes(32).toString('base64url')}`;
  return { token, hash: hashToken(token) };
}

export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

export function parseSessionToken(token: string): { tenantId: string; hash: Buffer } | null {
  if (!token.startsWith(PREFIX) || token.length !== PREFIX.length + 22 + 43) return null;
  const hex = Buffer.from(token.slice(PREFIX.length, PREFIX.length + 22), 'base64url').toString('hex');
  const m = UUID_HEX.exec(hex);
  if (!m) return null;
  return { tenantId: m.slice(1).join('-'), hash: hashToken(token) };
}
