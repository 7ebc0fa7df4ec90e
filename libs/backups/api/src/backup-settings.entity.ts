import { Entity, PrimaryKey, Property, type Opt } from '@mikro-orm/core';
import { TenantScoped } from '@bulwark/platform-api';
import { randomUUID } from 'node:crypto';

export type BackupEncryption = 'aes-256-gcm' | 'openpgp';
export const BACKUP_ENCRYPTIONS: readonly BackupEncryption[] = ['aes-256-gcm', 'openpgp'];

/**
 * How a tenant's backups are encrypted (issue 5 §4; SECURITY.md G3): the default AES-256-GCM
 * envelope under the platform master key, or OpenPGP to the tenant's own public key (the server
 * then cannot read them). One row per tenant, made on first change; no row means the default.
 */
@Entity({ tableName: 'backup_settings' })
export class BackupSettings extends TenantScoped {
  @PrimaryKey({ type: 'uuid' }) id: string = randomUUID();
  @Property({ type: 'text' }) encryption: Opt<BackupEncryption> = 'aes-256-gcm';
  /** The armored public key, as parsed and re-armored (never a private key). */
  @Property({ type: 'text', nullable: true }) openpgpPublicKey?: string | null;
  /** Upper-case hex, as gpg prints it. */
  @Property({ type: 'text', nullable: true }) openpgpFingerprint?: string | null;
  @Property({ type: 'timestamptz' }) updatedAt: Opt<Date> = new Date();
}
