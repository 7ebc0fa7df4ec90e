import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { HOTP, Secret, TOTP } from 'otpauth';

/**
 * TOTP (RFC 6238) as authenticator apps implement it: SHA-1, 6 digits, 30-second steps. A code
 * is accepted for the current step or one step either side (clock drift), and each step only
 * once per user (`lastStep`, RFC 6238 section 5.2: no second use of a code).
 */
export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_DIGITS = 6;
export const TOTP_WINDOW = 1;
const ISSUER = 'Bulwark';

export const RECOVERY_CODE_COUNT = 10;
/** No 0/o, 1/l/i: codes are read off paper. 31 symbols, 10 of them: about 49 bits per code. */
const RECOVERY_ALPHABET = '23456789abcdefghjkmnpqrstuvwxyz';
const RECOVERY_LENGTH = 10;

/** A new 160-bit secret (RFC 4226's recommended size), base32 as apps expect. */
export const newTotpSecret = (): string => new Secret({ size: 20 }).base32;

export function otpauthUrl(secret: string, label: string): string {
  return new TOTP({ issuer: ISSUER, label, secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: TOTP_DIGITS, period: TOTP_PERIOD_SECONDS }).toString();
}

export const totpStep = (now: Date): number => Math.floor(now.getTime() / 1000 / TOTP_PERIOD_SECONDS);

/**
 * The time step `code` belongs to, if it is valid at `now` and newer than `lastStep`; else null.
 * Every candidate step is compared (constant-time), so timing does not tell which one matched.
 */
export function matchTotp(secret: string, code: string, now: Date, lastStep: number | null): number | null {
  const given = Buffer.from(code);
  if (!/^\d{6}$/.test(code)) return null;
  const key = Secret.fromBase32(secret);
  const current = totpStep(now);
  let matched: number | null = null;
  for (let step = current - TOTP_WINDOW; step <= current + TOTP_WINDOW; step++) {
    const expected = Buffer.from(HOTP.generate({ secret: key, algorithm: 'SHA1', digits: TOTP_DIGITS, counter: step }));
    const same = timingSafeEqual(expected, given);
    if (same && matched === null && (lastStep === null || step > lastStep)) matched = step;
  }
  return matched;
}

/** What a person types: 6 digits (authenticator) or a recovery code, spaces and dashes ignored. */
export const normalizeCode = (code: string): string => code.replace(/[\s-]/g, '').toLowerCase();

export const looksLikeTotp = (normalized: string) => /^\d{6}$/.test(normalized);

export function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    const chars = Array.from({ length: RECOVERY_LENGTH }, () => RECOVERY_ALPHABET[randomInt(RECOVERY_ALPHABET.length)]).join('');
    return `${chars.slice(0, 5)}-${chars.slice(5)}`;
  });
}

export const isRecoveryCodeShape = (normalized: string) => new RegExp(`^[${RECOVERY_ALPHABET}]{${RECOVERY_LENGTH}}$`).test(normalized);

/** Separate keys for separate uses, all derived from the server pepper (never the pepper itself). */
const keys = new Map<string, Buffer>();
function derivedKey(pepper: string, info: string): Buffer {
  const id = `${info}\u0000${pepper}`;
  let key = keys.get(id);
  if (!key) {
    key = Buffer.from(hkdfSync('sha256', pepper, Buffer.alloc(0), info, 32));
    keys.set(id, key);
  }
  return key;
}

/** Recovery codes are stored as HMAC-SHA-256 under a pepper-derived key: a database leak alone reveals none. */
export function hashRecoveryCode(pepper: string, normalized: string): Buffer {
  return createHmac('sha256', derivedKey(pepper, 'bulwark recovery codes v1')).update(normalized).digest();
}

/**
 * The TOTP secret at rest: AES-256-GCM under a key derived from the pepper (HKDF, info
 * 'bulwark totp v1'), bound to its tenant and user (additional data), so a ciphertext copied to
 * another account does not decrypt. Format `v1.<base64url(iv | tag | ciphertext)>`.
 */
export function encryptTotpSecret(pepper: string, secret: string, owner: { tenantId: string; userId: string }): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', derivedKey(pepper, 'bulwark totp v1'), iv);
  cipher.setAAD(Buffer.from(`${owner.tenantId}:${owner.userId}`));
  const enc = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return `v1.${Buffer.concat([iv, cipher.getAuthTag(), enc]).toString('base64url')}`;
}

export function decryptTotpSecret(pepper: string, stored: string, owner: { tenantId: string; userId: string }): string {
  if (!stored.startsWith('v1.')) throw new Error('unknown TOTP secret format');
  const raw = Buffer.from(stored.slice(3), 'base64url');
  const decipher = createDecipheriv('aes-256-gcm', derivedKey(pepper, 'bulwark totp v1'), raw.subarray(0, 12));
  decipher.setAAD(Buffer.from(`${owner.tenantId}:${owner.userId}`));
  decipher.setAuthTag(raw.subarray(12, 28));
  return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
}

/**
 * The same secret sealed for another owner: a restore into a new tenant gives every user a new id
 * in a new tenant, which the old ciphertext is bound to (see encryptTotpSecret).
 */
export function rebindTotpSecret(pepper: string, stored: string, from: { tenantId: string; userId: string }, to: { tenantId: string; userId: string }): string {
  return encryptTotpSecret(pepper, decryptTotpSecret(pepper, stored, from), to);
}
