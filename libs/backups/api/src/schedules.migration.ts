import { Migration } from '@mikro-orm/migrations';
import { RUNTIME_ROLE, tenantTable } from '@bulwark/platform-api';

/**
 * Backup schedules (issue 5 §2): one per tenant, daily at 02:00 UTC and keeping 10 by default.
 * Every tenant has one: existing tenants get it here, new ones from a trigger. Due schedules are
 * claimed with FOR UPDATE SKIP LOCKED, so with several API processes each due run starts once.
 */
export class Migration20261121001600BackupSchedules extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table backup_schedules (
      id uuid primary key default gen_random_uuid(),
      tenant_id uuid not null unique references tenants (id) on delete cascade,
      cron text not null default '0 2 * * *' check (length(cron) between 9 and 100),
      timezone text not null default 'UTC' check (length(timezone) between 1 and 64),
      retention_count int not null default 10 check (retention_count between 1 and 100),
      enabled boolean not null default true,
      next_run_at timestamptz,
      updated_at timestamptz not null default now()
    )`);
    for (const sql of tenantTable('backup_schedules')) this.addSql(sql);
    this.addSql(`create function bulwark_backup_default_schedule() returns trigger
      language plpgsql security definer set search_path = public, pg_temp as $$
      begin
        perform set_config('app.tenant_id', new.id::text, true);
        insert into backup_schedules (tenant_id) values (new.id) on conflict (tenant_id) do nothing;
        return new;
      end $$`);
    this.addSql(`create trigger tenants_default_backup_schedule after insert on tenants
      for each row execute function bulwark_backup_default_schedule()`);
    // Existing tenants (the owner migrates; tenants has RLS forced, so each is set in turn).
    this.addSql(`do $$ declare t uuid; begin
      for t in select id from tenants loop
        perform set_config('app.tenant_id', t::text, true);
        insert into backup_schedules (tenant_id) values (t) on conflict (tenant_id) do nothing;
      end loop;
      perform set_config('app.tenant_id', '', true);
    end $$`);
    // Claims the schedules that are due: each row once, whichever process asks first. The caller
    // computes and stores the next time. Security definer: it must see every tenant's schedule.
    this.addSql(`create function bulwark_backup_claim_due(p_now timestamptz)
      returns table (tenant_id uuid, schedule_id uuid)
      language plpgsql volatile security definer set search_path = public, pg_temp as $$
      declare r record;
      begin
        for r in select s.id, s.tenant_id from backup_schedules s
                   where s.enabled and s.next_run_at <= p_now
                   order by s.next_run_at for update skip locked limit 20 loop
          perform set_config('app.tenant_id', r.tenant_id::text, true);
          update backup_schedules set next_run_at = null where id = r.id;
          tenant_id := r.tenant_id; schedule_id := r.id;
          return next;
        end loop;
        perform set_config('app.tenant_id', '', true);
      end $$`);
    this.addSql(`revoke all on function bulwark_backup_claim_due(timestamptz) from public`);
    this.addSql(`grant execute on function bulwark_backup_claim_due(timestamptz) to ${RUNTIME_ROLE}`);
    // Schedules without a next time (new, or just claimed): listed for the scheduler to fill in.
    this.addSql(`create function bulwark_backup_unplanned() returns table (tenant_id uuid)
      language sql stable security definer set search_path = public, pg_temp as $$
        select s.tenant_id from backup_schedules s where s.enabled and s.next_run_at is null
      $$`);
    this.addSql(`revoke all on function bulwark_backup_unplanned() from public`);
    this.addSql(`grant execute on function bulwark_backup_unplanned() to ${RUNTIME_ROLE}`);
  }
}
