import { Migration } from '@mikro-orm/migrations';
import { RUNTIME_ROLE, tenantTable } from '@bulwark/platform-api';

/** Password policy, lockout, resets and invitations, and session timeouts as tenant settings. */
export class Migration20261121000300IdentitySecurity extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table identity_settings (
      id uuid primary key,
      tenant_id uuid not null unique references tenants (id) on delete cascade,
      password_min_length int not null default 12 check (password_min_length between 12 and 128),
      password_history int not null default 5 check (password_history between 0 and 24),
      lockout_threshold int not null default 5 check (lockout_threshold between 3 and 50),
      lockout_minutes int not null default 15 check (lockout_minutes between 1 and 1440),
      session_idle_minutes int not null default 30 check (session_idle_minutes between 5 and 1440),
      session_absolute_hours int not null default 12 check (session_absolute_hours between 1 and 720),
      allow_requester_signup boolean not null default false,
      updated_at timestamptz not null default now()
    )`);
    for (const sql of tenantTable('identity_settings')) this.addSql(sql);
    // Tenants that exist already get the defaults.
    this.addSql(`insert into identity_settings (id, tenant_id) select gen_random_uuid(), id from tenants on conflict do nothing`);

    this.addSql(`alter table users
      add column failed_logins int not null default 0,
      add column locked_until timestamptz,
      add column password_changed_at timestamptz`);
    this.addSql(`alter table users drop constraint users_status_check`);
    this.addSql(`alter table users add constraint users_status_check check (status in ('active', 'suspended', 'invited'))`);

    this.addSql(`create table password_history (
      id uuid primary key,
      tenant_id uuid not null references tenants (id) on delete cascade,
      user_id uuid not null,
      password_hash text not null,
      created_at timestamptz not null,
      foreign key (tenant_id, user_id) references users (tenant_id, id) on delete cascade
    )`);
    this.addSql(`create index password_history_user_idx on password_history (tenant_id, user_id, created_at desc)`);
    for (const sql of tenantTable('password_history')) this.addSql(sql);

    this.addSql(`create table auth_tokens (
      id uuid primary key,
      tenant_id uuid not null references tenants (id) on delete cascade,
      user_id uuid not null,
      kind text not null check (kind in ('reset', 'invite')),
      token_hash bytea not null check (length(token_hash) = 32),
      created_at timestamptz not null,
      expires_at timestamptz not null,
      used_at timestamptz,
      unique (tenant_id, token_hash),
      foreign key (tenant_id, user_id) references users (tenant_id, id) on delete cascade
    )`);
    for (const sql of tenantTable('auth_tokens')) this.addSql(sql);

    // Failed sign-ins per client address and tenant (A10 per-IP throttling). Holds counts only;
    // keys are `<tenant id or "none">:<ip>` so one tenant's attackers never throttle another's
    // users (D9). No tenant_id column: attempts at unknown tenants are counted too.
    this.addSql(`create table login_throttle (
      key text primary key check (length(key) <= 120),
      window_start timestamptz not null,
      failures int not null
    )`);
    this.addSql(`grant select, insert, update, delete on login_throttle to ${RUNTIME_ROLE}`);

    // Timeouts now come from the tenant's settings.
    this.addSql(`drop function bulwark_session_principal(uuid, bytea, timestamptz, timestamptz)`);
    this.addSql(`create function bulwark_session_principal(p_tenant uuid, p_hash bytea, p_now timestamptz)
      returns table (session_id uuid, user_id uuid, role text, last_seen_at timestamptz)
      language plpgsql volatile security invoker as $$
      begin
        perform set_config('app.tenant_id', p_tenant::text, true);
        return query
          select s.id, s.user_id, u.role, s.last_seen_at
          from sessions s
          join users u on u.tenant_id = s.tenant_id and u.id = s.user_id
          left join identity_settings st on st.tenant_id = s.tenant_id
          where s.token_hash = p_hash and s.expires_at > p_now
            and s.last_seen_at > p_now - make_interval(mins => coalesce(st.session_idle_minutes, 30))
            and u.status = 'active';
        if not found then
          perform set_config('app.tenant_id', '', true);
        end if;
      end $$`);
    this.addSql(`grant execute on function bulwark_session_principal(uuid, bytea, timestamptz) to ${RUNTIME_ROLE}`);
  }
}
