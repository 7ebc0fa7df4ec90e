import { Migration } from '@mikro-orm/migrations';
import { tenantTable } from '@bulwark/platform-api';

/** Backup runs of each tenant: what was written where, verified or not (SECURITY.md G1). */
export class Migration20261121001400Backups extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table backup_runs (
      id uuid primary key,
      tenant_id uuid not null references tenants (id) on delete cascade,
      status text not null check (status in ('queued', 'running', 'succeeded', 'failed')),
      trigger text not null check (trigger in ('manual', 'schedule', 'cli')),
      encryption text not null check (encryption in ('aes-256-gcm', 'openpgp')),
      storage_key text,
      size_bytes bigint,
      sha256 text,
      counts jsonb,
      error text,
      created_at timestamptz not null,
      started_at timestamptz,
      finished_at timestamptz,
      unique (tenant_id, id)
    )`);
    this.addSql(`create index backup_runs_recent on backup_runs (tenant_id, created_at desc)`);
    for (const sql of tenantTable('backup_runs')) this.addSql(sql);
  }
}
