import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Secrets Bulwark must read back to use (webhook signing secrets, SSO client secrets and shared
 * keys) are sealed with AES-256-GCM under a key derived from the master key for one purpose
 * (HKDF info), so a value sealed for one use never opens as another's. `v1.` names the scheme;
 * `context` (say, a connection's tenant and id) is authenticated too, so a sealed value copied to
 * another row does not open.
 */
function sealingKey(masterKey: string, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', masterKey, 'bulwark', purpose, 32));
}

export function sealSecret(masterKey: string, purpose: string, plain: string, context = ''): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', sealingKey(masterKey, purpose), iv);
  if (context) cipher.setAAD(Buffer.from(context));
  const ct = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return `v1.${Buffer.concat([iv, cipher.getAuthTag(), ct]).toString('base64url')}`;
}

export function unsealSecret(masterKey: string, purpose: string, sealed: string, context = ''): string {
  if (!sealed.startsWith('v1.')) throw new Error('unknown sealing scheme');
  const raw = Buffer.from(sealed.slice(3), 'base64url');
  const decipher = createDecipheriv('aes-256-gcm', sealingKey(masterKey, purpose), raw.subarray(0, 12));
  if (context) decipher.setAAD(Buffer.from(context));
  decipher.setAuthTag(raw.subarray(12, 28));
  return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
}

/** Tries each key: the master key, then the one before a rotation (BULWARK_MASTER_KEY_PREVIOUS). */
export function unsealWithKeys(keys: (string | undefined | null)[], purpose: string, sealed: string, context = ''): string {
  let last: unknown;
  for (const k of keys) {
    if (!k) continue;
    try {
      return unsealSecret(k, purpose, sealed, context);
    } catch (e) {
      last = e;
    }
  }
  throw last ?? new Error('no key to unseal with');
}
