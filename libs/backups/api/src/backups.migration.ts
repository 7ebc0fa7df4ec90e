import { Migration } from '@mikro-orm/migrations';
import { oneTimeLinkTable, RUNTIME_ROLE, tenantForeignKey, tenantTable } from '@bulwark/platform-api';

/**
 * Backups: each tenant's runs (what was written where, verified or not; SECURITY.md G1), how its
 * backups are encrypted (G3), its schedule, and one-time links to download a stored file.
 */
export class Migration20261207000500Backups extends Migration {
  override async up(): Promise<void> {
    const runs = [
      "status text not null check (status in ('queued', 'running', 'succeeded', 'failed'))",
      "trigger text not null check (trigger in ('manual', 'schedule', 'cli'))",
      "encryption text not null check (encryption in ('aes-256-gcm', 'openpgp'))",
      'storage_key text',
      'size_bytes bigint',
      'sha256 text',
      'counts jsonb',
      'error text',
      'created_at timestamptz not null',
      'started_at timestamptz',
      'finished_at timestamptz',
    ];
    for (const sql of tenantTable('backup_runs', runs)) this.addSql(sql);
    this.addSql(`create index backup_runs_recent on backup_runs (tenant_id, created_at desc)`);

    // The AES-256-GCM envelope (the default, also when a tenant has no row) or OpenPGP to the
    // tenant's uploaded public key, stored only with that mode and only with its fingerprint.
    const settings = [
      "encryption text not null default 'aes-256-gcm' check (encryption in ('aes-256-gcm', 'openpgp'))",
      'openpgp_public_key text',
      'openpgp_fingerprint text',
      'updated_at timestamptz not null default now()',
      "check (encryption <> 'openpgp' or (openpgp_public_key is not null and openpgp_fingerprint is not null))",
      'unique (tenant_id)',
    ];
    for (const sql of tenantTable('backup_settings', settings)) this.addSql(sql);

    // One schedule per tenant, daily at 02:00 UTC and keeping 10 by default. A tenant without a row
    // gets one from the scheduler (bulwark_backup_unplanned): no trigger on tenants, which must stay
    // a plain reference table on Citus.
    const schedules = [
      "cron text not null default '0 2 * * *' check (length(cron) between 9 and 100)",
      "timezone text not null default 'UTC' check (length(timezone) between 1 and 64)",
      'retention_count int not null default 10 check (retention_count between 1 and 100)',
      'enabled boolean not null default true',
      'next_run_at timestamptz',
      'updated_at timestamptz not null default now()',
      'unique (tenant_id)',
    ];
    for (const sql of tenantTable('backup_schedules', schedules)) this.addSql(sql);
    // The scheduler's lists below run as the owner with no workspace entered. Forced RLS applies
    // to an owner that is not a superuser (DATABASE_URL may be one with CREATEROLE) and would hide
    // every schedule from them: the owner, who owns the table anyway, may read them all. The
    // runtime role's policy is unchanged.
    this.addSql(`create policy owner_lists on backup_schedules for select to current_user using (true)`);

    // A link goes with its run when the run is rotated out.
    for (const sql of oneTimeLinkTable('backup_downloads', ['run_id uuid not null'])) this.addSql(sql);
    this.addSql(tenantForeignKey('backup_downloads', ['run_id'], 'backup_runs', 'cascade'));

    // The scheduler's two lists, read across tenants without locking anything (security definer:
    // no tenant is set). Each entry is then planned or claimed inside its own tenant, by a
    // statement that names it (schedules.ts), so several API processes start each run once.
    this.addSql(`create function bulwark_backup_unplanned() returns table (tenant_id uuid)
      language sql stable security definer set search_path = public, pg_temp as $$
        select t.id from tenants t where not exists (select 1 from backup_schedules s where s.tenant_id = t.id)
        union all
        select s.tenant_id from backup_schedules s where s.enabled and s.next_run_at is null
      $$`);
    this.addSql(`create function bulwark_backup_due(p_now timestamptz) returns table (tenant_id uuid, next_run_at timestamptz)
      language sql stable security definer set search_path = public, pg_temp as $$
        select s.tenant_id, s.next_run_at from backup_schedules s
         where s.enabled and s.next_run_at <= p_now order by s.next_run_at limit 100
      $$`);
    for (const fn of ['bulwark_backup_unplanned()', 'bulwark_backup_due(timestamptz)']) {
      this.addSql(`revoke all on function ${fn} from public`);
      this.addSql(`grant execute on function ${fn} to ${RUNTIME_ROLE}`);
    }
  }
}
