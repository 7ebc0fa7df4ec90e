import { createMessage, encrypt, enums, readKeys, readMessage, type PartialConfig, type PublicKey } from 'openpgp';
import { Readable } from 'node:stream';
import { BackupError } from './backups.errors';

/**
 * OpenPGP mode for backups (issue 5 §4; SECURITY.md G3): a tenant uploads a public key and its
 * archives are encrypted to it, so only the holder of the private key can read them — the server
 * included. For a v4 key (what GnuPG makes) the output is a plain binary OpenPGP message that
 * `gpg --decrypt` (2.2 and later) reads: a public-key encrypted session key packet and a SEIPD v1
 * packet (CFB with MDC; a changed byte makes gpg fail). openpgp.js 6 writes exactly that with its default settings; the
 * two settings that would make the file unreadable to gpg 2.2 (`aeadProtect`, `v6Keys`) are pinned
 * off here so a change to the library's global config cannot switch them on. (A key that itself
 * advertises SEIPD v2 — made by openpgp.js 6 or Sequoia, never by GnuPG — is answered with SEIPD v2
 * as RFC 9580 requires: its holder's tool reads that.) No compression: the archive is already compressed.
 */
export const OPENPGP_CONFIG: PartialConfig = {
  aeadProtect: false,
  v6Keys: false,
  preferredCompressionAlgorithm: enums.compression.uncompressed,
};

/** Why a key cannot be used; the message is meant for the person who uploaded it. */
export class BackupKeyError extends BackupError {
  constructor(message: string) {
    super('KEY_UNUSABLE', message);
  }
}

export interface BackupKey {
  key: PublicKey;
  /** Upper-case hex, as gpg prints it. */
  fingerprint: string;
  /** The public key as parsed and re-armored: nothing else of what was uploaded is kept. */
  armored: string;
}

/**
 * Reads and checks a tenant's armored public key: exactly one key, public, not revoked, not
 * expired at `now`, and able to encrypt then (a valid encryption-capable key or subkey). Used when
 * the key is uploaded and again before every backup (a key can expire or be found revoked later).
 */
export async function readBackupKey(armoredKey: string, now: Date): Promise<BackupKey> {
  if (typeof armoredKey !== 'string' || !armoredKey.includes('-----BEGIN PGP')) {
    throw new BackupKeyError('Paste an ASCII-armored OpenPGP public key (gpg --armor --export <fingerprint>)');
  }
  if (armoredKey.includes('-----BEGIN PGP PRIVATE KEY BLOCK-----')) {
    throw new BackupKeyError('This is a private key: upload only the public key (gpg --armor --export <fingerprint>); the private key must never leave its holder');
  }
  const blocks = armoredKey.match(/-----BEGIN PGP [A-Z ]+-----/g) ?? [];
  if (blocks.length !== 1) throw new BackupKeyError(`Upload exactly one public key (this has ${blocks.length} armored blocks)`);
  let keys;
  try {
    keys = await readKeys({ armoredKeys: armoredKey });
  } catch {
    throw new BackupKeyError('This is not a readable OpenPGP public key');
  }
  if (keys.length !== 1) throw new BackupKeyError(`Upload exactly one public key (this has ${keys.length})`);
  const [key] = keys;
  if (key.isPrivate()) {
    throw new BackupKeyError('This is a private key: upload only the public key (gpg --armor --export <fingerprint>); the private key must never leave its holder');
  }
  const publicKey = key as PublicKey;
  if (await publicKey.isRevoked(undefined, undefined, now)) throw new BackupKeyError('This key is revoked');
  const expires = await publicKey.getExpirationTime();
  if (expires instanceof Date && expires.getTime() <= now.getTime()) throw new BackupKeyError(`This key expired on ${expires.toISOString().slice(0, 10)}`);
  try {
    if (expires === null) throw new Error('no valid self-signature');
    await publicKey.verifyPrimaryKey(now);
  } catch (e) {
    throw new BackupKeyError(`This key is not valid (${(e as Error).message})`);
  }
  try {
    await publicKey.getEncryptionKey(undefined, now);
  } catch {
    throw new BackupKeyError('This key cannot encrypt: it has no valid (unexpired, unrevoked, strong enough) encryption subkey');
  }
  return { key: publicKey, fingerprint: publicKey.getFingerprint().toUpperCase(), armored: publicKey.armor() };
}

/**
 * Encrypts a byte stream to the key, streamed: openpgp.js reads the input as a web stream and
 * writes the message as one, chunk by chunk, so memory stays flat whatever the archive's size.
 * Errors of the input (or of the encryption) come out as errors of the returned stream.
 */
export async function encryptToKey(input: Readable, key: PublicKey, now: Date): Promise<Readable> {
  const message = await createMessage({ binary: Readable.toWeb(input), format: 'binary', date: now });
  const out = await encrypt({ message, encryptionKeys: key, format: 'binary', date: now, config: OPENPGP_CONFIG });
  return Readable.fromWeb(out);
}

/**
 * The ids of the keys an OpenPGP message is encrypted to, from its first bytes (the session key
 * packets come first; the rest is never read). Throws if the bytes do not start an OpenPGP message.
 */
export async function recipientsOf(head: Buffer): Promise<string[]> {
  const message = await readMessage({ binaryMessage: Readable.toWeb(Readable.from([head])) });
  return message.getEncryptionKeyIDs().map((id) => id.toHex().toUpperCase());
}

/** Every key id of the key (primary and subkeys), upper-case hex. */
export const keyIdsOf = (key: PublicKey): string[] => key.getKeyIDs().map((id) => id.toHex().toUpperCase());

