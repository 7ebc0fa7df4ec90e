import { Migration } from '@mikro-orm/migrations';
import { tenantTable } from '@bulwark/platform-api';

/**
 * How each tenant's backups are encrypted (issue 5 §4; SECURITY.md G3): the AES-256-GCM envelope
 * (the default, also when a tenant has no row) or OpenPGP to the tenant's uploaded public key.
 * A key is stored only with the openpgp mode, and only with its fingerprint.
 */
export class Migration20261121001500BackupKeys extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table backup_settings (
      id uuid primary key,
      tenant_id uuid not null unique references tenants (id) on delete cascade,
      encryption text not null default 'aes-256-gcm' check (encryption in ('aes-256-gcm', 'openpgp')),
      openpgp_public_key text,
      openpgp_fingerprint text,
      updated_at timestamptz not null default now(),
      check (encryption <> 'openpgp' or (openpgp_public_key is not null and openpgp_fingerprint is not null))
    )`);
    for (const sql of tenantTable('backup_settings')) this.addSql(sql);
  }
}
