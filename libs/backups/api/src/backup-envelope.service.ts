import type { AppServices } from '@bulwark/platform-api';
import { PassThrough, type Readable } from 'node:stream';
import { createBrotliDecompress } from 'node:zlib';
import { readArchive, type ArchiveHeader, type Manifest } from './archive';
import type { BackupDeps, ReadOptions } from './backup.deps';
import { decompressor, digestOf, teeTo } from './backup.streams';
import { asArchiveError, BackupError } from './backups.errors';
import { decryptStream, encryptStream } from './envelope';
import { BackupKeyError, encryptToKey, keyIdsOf, readBackupKey, recipientsOf, type BackupKey } from './openpgp';

/**
 * The envelope of a backup file (issue 5 §4; SECURITY.md G1, G3): which encryption a backup gets,
 * applying it on the way to storage, checking what storage then holds, and taking it off again to
 * read an archive. The primitives are envelope.ts (AES-256-GCM under the master key) and
 * openpgp.ts (to the workspace's own public key).
 */

/** How one backup is encrypted, decided when its run starts. */
export type Envelope = { kind: 'aes-256-gcm' } | { kind: 'openpgp'; key: BackupKey };

/**
 * The envelope for a run: AES-256-GCM, or OpenPGP to the workspace's stored key (`publicKey`),
 * checked again now: it may have expired or been revoked since it was uploaded.
 */
export async function envelopeFor(publicKey: string | null, now: Date): Promise<Envelope> {
  if (publicKey === null) return { kind: 'aes-256-gcm' };
  try {
    return { kind: 'openpgp', key: await readBackupKey(publicKey, now) };
  } catch (e) {
    if (e instanceof BackupKeyError) throw new BackupError('KEY_UNUSABLE', `the workspace's OpenPGP backup key cannot be used: ${e.message}; upload a new one`);
    throw e;
  }
}

/** The current master key, then the previous one (files written before a rotation). */
function masterKeys(app: AppServices): string[] {
  return [app.config.masterKey, ...(app.config.masterKeyPrevious ? [app.config.masterKeyPrevious] : [])];
}

/** For OpenPGP: the archive as it went into the encryption, read and checked (see checkStored). */
export interface PlaintextCheck {
  verified: Promise<{ manifest: Manifest }>;
  sha256: () => string;
}

/**
 * Encrypts the compressed archive `zip`: the stream to store (once the encryption has started), and
 * for OpenPGP the check of the plaintext. `fail` is told when that check fails, to stop the writing.
 */
export function seal(envelope: Envelope, app: AppServices, schemas: string[], zip: Readable, fail: (e: Error) => void): { sealed: Promise<Readable>; plaintext: PlaintextCheck | null } {
  if (envelope.kind === 'aes-256-gcm') {
    const enc = encryptStream(app.config.masterKey);
    zip.on('error', (e) => enc.destroy(e));
    return { sealed: Promise.resolve(zip.pipe(enc)), plaintext: null };
  }
  // G1 for OpenPGP (see checkStored): the compressed bytes are teed, on their way into the
  // encryption, through decompression and readArchive, which checks them against the manifest as
  // they pass. The verifier and the encryption read the same chunks at the same pace.
  const toVerifier = new PassThrough();
  const unzip = createBrotliDecompress();
  toVerifier.on('error', (e) => unzip.destroy(e));
  const verified = readArchive(toVerifier.pipe(unzip), { knownSchemas: schemas }).catch((e: Error) => {
    throw new BackupError('BACKUP_UNVERIFIED', `the archive did not verify on its way into the encryption: ${e.message}`);
  });
  const tee = teeTo(toVerifier);
  zip.on('error', (e) => tee.destroy(e));
  tee.on('error', (e) => toVerifier.destroy(e));
  verified.catch((e: Error) => {
    toVerifier.destroy(e);
    fail(e);
  });
  return { sealed: encryptToKey(zip.pipe(tee), envelope.key.key, app.now()), plaintext: { verified, sha256: tee.sha256 } };
}

/** The session key packets sit at the start of the message; this much always holds them. */
const OPENPGP_HEAD = 64 * 1024;

/**
 * Reads the stored object back and checks it is the backup that was written (G1); throws
 * STORED_FILE_MISMATCH or BACKUP_UNVERIFIED otherwise.
 *
 * AES envelope: the manifest was computed from the very bytes written, and the GCM tag seals them;
 * what remains is that storage holds exactly those bytes, whole: the object's size and SHA-256 are
 * compared with what was written (a full decrypt-and-parse would double the run's time and prove
 * nothing more).
 *
 * OpenPGP: the server has no private key, so it cannot decrypt what it stored and read it back.
 * Instead it checks what it can, on both sides of the encryption:
 *  - before: the compressed bytes handed to openpgp.encrypt were teed, as they went in, through
 *    decompression and readArchive (format, version, schema, every stream's count and SHA-256
 *    against the manifest); that reading must match the manifest writeArchive produced. So the
 *    bytes that were encrypted are exactly a valid archive — not a re-reading of the database.
 *  - after: the stored object is read back whole; its size and SHA-256 must equal what the
 *    encryption produced (storage holds exactly that output, untruncated), and it must be an
 *    OpenPGP message encrypted to the workspace's key (no other key, not plaintext).
 * What is left unproven (that the workspace's private key decrypts it) is the workspace's to
 * check, with gpg; the plaintext's SHA-256 in the audit event lets them compare.
 */
export async function checkStored(
  envelope: Envelope,
  stored: Readable,
  written: { size: number; sha256: string; manifest: Manifest; plaintext: { manifest: Manifest } | null },
): Promise<void> {
  if (envelope.kind === 'openpgp' && JSON.stringify(written.plaintext?.manifest) !== JSON.stringify(written.manifest)) {
    throw new BackupError('BACKUP_UNVERIFIED', 'the archive does not read back as written');
  }
  const read = await digestOf(stored, envelope.kind === 'openpgp' ? OPENPGP_HEAD : 0);
  if (read.size !== written.size || read.sha256 !== written.sha256) throw new BackupError('STORED_FILE_MISMATCH', 'the stored backup is not what was written (size or SHA-256 differs)');
  if (envelope.kind === 'aes-256-gcm') return;
  let recipients: string[];
  try {
    recipients = await recipientsOf(read.head);
  } catch {
    throw new BackupError('STORED_FILE_MISMATCH', 'the stored backup is not an OpenPGP message');
  }
  const ours = new Set(keyIdsOf(envelope.key.key));
  if (!recipients.length || !recipients.every((id) => ours.has(id))) throw new BackupError('STORED_FILE_MISMATCH', "the stored backup is not encrypted to the workspace's key alone");
}

/** Decrypts (unless told the input is already decrypted) and decompresses a backup file. */
export function openArchive(app: AppServices, input: Readable, opts: ReadOptions = {}): Readable {
  if (opts.encrypted === false) return decompressor(input);
  const plain = input.pipe(decryptStream(masterKeys(app)));
  input.on('error', (e) => plain.destroy(e));
  return decompressor(plain);
}

/**
 * Opens and reads a backup file, checking it against its manifest (archive.ts readArchive); what
 * fails is a BackupError (a damaged file included) unless it came from the callbacks.
 */
export async function readBackupFile(deps: Pick<BackupDeps, 'app' | 'schemas'>, input: Readable, opts: ReadOptions & Omit<Parameters<typeof readArchive>[1], 'knownSchemas'> = {}) {
  try {
    return await readArchive(openArchive(deps.app, input, opts), { knownSchemas: deps.schemas, onHeader: opts.onHeader, onRows: opts.onRows, onFile: opts.onFile });
  } catch (e) {
    throw asArchiveError(e);
  }
}

/** Reads a whole archive and checks it against its manifest: the header and manifest, or an error. */
export function verifyArchive(deps: Pick<BackupDeps, 'app' | 'schemas'>, input: Readable, opts: ReadOptions = {}): Promise<{ header: ArchiveHeader; manifest: Manifest }> {
  return readBackupFile(deps, input, { encrypted: opts.encrypted });
}
