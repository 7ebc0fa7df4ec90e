import { Migration } from '@mikro-orm/migrations';
import { RUNTIME_ROLE } from './rls';

/**
 * Roles, the tenant registry and the one way into a tenant. Runs as the owner (the DATABASE_URL
 * user). The runtime role owns nothing, cannot log in and cannot bypass RLS; the server's pool
 * switches to it on every connection.
 */
export class Migration20261207000000Platform extends Migration {
  override async up(): Promise<void> {
    this.addSql(`do $$ begin
      if not exists (select 1 from pg_roles where rolname = '${RUNTIME_ROLE}') then
        create role ${RUNTIME_ROLE} nologin nosuperuser nocreatedb nocreaterole nobypassrls noinherit;
      end if;
    end $$`);
    // The connecting owner must be able to SET ROLE to it; superusers can anyway.
    this.addSql(`do $$ begin
      if not (select rolsuper from pg_roles where rolname = current_user) then
        execute format('grant ${RUNTIME_ROLE} to %I', current_user);
      end if;
    end $$`);
    this.addSql(`grant usage on schema public to ${RUNTIME_ROLE}`);
    this.addSql(`grant select on mikro_orm_migrations to ${RUNTIME_ROLE}`);
    // The transaction-local tenant; '' after a commit on a pooled connection reads as NULL (D7).
    // Parallel safe: it only reads the setting, and a parallel worker starts with its leader's
    // settings, transaction-local ones included (a large tenant's backup reads in parallel).
    this.addSql(`create function bulwark_tenant_id() returns uuid language sql stable parallel safe
      as $$ select nullif(current_setting('app.tenant_id', true), '')::uuid $$`);
    // The one way in (or, with null, out) for requests, jobs, the CLI, backups and the SQL
    // functions alike. SET LOCAL rather than set_config: on Citus only a SET command reaches the
    // workers, and only when citus.propagate_set_commands is 'local', which is set here for this
    // transaction alone (database-wide it breaks pg-boss's installation). Where the extension is
    // absent the setting is left alone. Security invoker: it only sets what the caller could.
    this.addSql(`create function bulwark_enter_tenant(p_tenant uuid) returns uuid
      language plpgsql volatile security invoker as $$
      begin
        if exists (select 1 from pg_extension where extname = 'citus') then
          set local citus.propagate_set_commands = 'local';
        end if;
        execute format('set local app.tenant_id = %L', coalesce(p_tenant::text, ''));
        return p_tenant;
      end $$`);
    this.addSql(`grant execute on function bulwark_enter_tenant(uuid) to ${RUNTIME_ROLE}`);

    // The registry of tenants: a reference table on Citus (a copy on every node), so it has no
    // trigger and nothing but its own keys.
    this.addSql(`create table tenants (
      id uuid primary key,
      slug text not null unique check (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
      name text not null check (length(name) between 1 and 200),
      created_at timestamptz not null default now()
    )`);
    // Enabled, not forced: the owner-run lookup function below must find a tenant by slug before a
    // tenant is set. The runtime role sees only the current tenant, and may create it.
    this.addSql(`alter table tenants enable row level security`);
    this.addSql(`create policy tenant_self on tenants using (id = bulwark_tenant_id()) with check (id = bulwark_tenant_id())`);
    this.addSql(`grant select, insert, update on tenants to ${RUNTIME_ROLE}`);
    this.addSql(`create function bulwark_tenant_by_slug(p_slug text) returns uuid
      language sql stable security definer set search_path = public, pg_temp
      as $$ select id from tenants where slug = lower(p_slug) $$`);
    this.addSql(`revoke all on function bulwark_tenant_by_slug(text) from public`);
    this.addSql(`grant execute on function bulwark_tenant_by_slug(text) to ${RUNTIME_ROLE}`);
  }
}
