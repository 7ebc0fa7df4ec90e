import { audit, badInput, type RequestContext } from '@bulwark/platform-api';
import { createHash } from 'node:crypto';
import { BackupAudit } from './backups.audit';
import { BACKUP_ENCRYPTIONS, BackupSettings, type BackupEncryption } from './backup-settings.entity';
import { BackupKeyError, readBackupKey, type BackupKey } from './openpgp';

/** The tenant's backup settings (the default when it never changed them). */
export async function backupSettings(ctx: RequestContext): Promise<BackupSettings> {
  return (await ctx.em.findOne(BackupSettings, {})) ?? ctx.em.create(BackupSettings, { updatedAt: ctx.app.now() });
}

/**
 * Chooses how the tenant's backups are encrypted (issue 5 §4; SECURITY.md G3). `openpgp` needs an
 * armored public key, checked here (one key, public, not revoked or expired, able to encrypt) and
 * stored re-armored with its fingerprint; `aes-256-gcm` forgets any stored key. Takes effect from
 * the next backup; earlier ones keep the encryption they were written with. Who may call this is
 * the caller's rule (backups.manage, with a recent password confirmation for people).
 */
export async function setBackupEncryption(ctx: RequestContext, input: { mode: string; publicKeyArmored?: string | null }): Promise<BackupSettings> {
  if (!(BACKUP_ENCRYPTIONS as readonly string[]).includes(input.mode)) {
    throw badInput(`Backups are encrypted with ${BACKUP_ENCRYPTIONS.join(' or ')}`, { mode: 'unknown' });
  }
  const mode = input.mode as BackupEncryption;
  let key: BackupKey | null = null;
  if (mode === 'openpgp') {
    if (!input.publicKeyArmored?.trim()) throw badInput('OpenPGP mode needs the public key to encrypt to', { publicKey: 'missing' });
    try {
      key = await readBackupKey(input.publicKeyArmored, ctx.app.now());
    } catch (e) {
      if (e instanceof BackupKeyError) throw badInput(e.message, { publicKey: 'unusable' });
      throw e;
    }
  } else if (input.publicKeyArmored?.trim()) {
    throw badInput('A public key is only used in OpenPGP mode', { publicKey: 'not used' });
  }
  const s = await backupSettings(ctx);
  // The key itself appears in the event as its SHA-256: the same fingerprint can come with new
  // subkeys or a new expiry, which is a change too.
  const digest = (armored?: string | null) => (armored ? createHash('sha256').update(armored).digest('hex') : null);
  const before = { encryption: s.encryption, openpgpFingerprint: s.openpgpFingerprint ?? null, openpgpPublicKeySha256: digest(s.openpgpPublicKey) };
  const after = { encryption: mode, openpgpFingerprint: key?.fingerprint ?? null, openpgpPublicKeySha256: digest(key?.armored) };
  const changes = Object.fromEntries(
    (Object.keys(after) as (keyof typeof after)[]).filter((k) => before[k] !== after[k]).map((k) => [k, { before: before[k], after: after[k] }]),
  );
  if (Object.keys(changes).length) {
    s.encryption = mode;
    s.openpgpPublicKey = key?.armored ?? null;
    s.openpgpFingerprint = key?.fingerprint ?? null;
    s.updatedAt = ctx.app.now();
    audit(ctx, BackupAudit.encryptionChanged, { targetId: s.id, changes });
  }
  await ctx.em.flush();
  return s;
}
