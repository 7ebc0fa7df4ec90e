import { Migration } from '@mikro-orm/migrations';
import { RUNTIME_ROLE, tenantTable } from '@bulwark/platform-api';

export class Migration20261121000100Identity extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table users (
      id uuid primary key,
      tenant_id uuid not null references tenants (id) on delete cascade,
      email text not null check (email = lower(email) and length(email) between 3 and 254),
      name text not null check (length(name) between 1 and 200),
      role text not null,
      password_hash text,
      status text not null default 'active' check (status in ('active', 'suspended')),
      created_at timestamptz not null default now(),
      -- D8: unique keys include tenant_id, and (tenant_id, id) lets other tables' foreign keys
      -- pin a reference to the same tenant.
      unique (tenant_id, email),
      unique (tenant_id, id)
    )`);
    for (const sql of tenantTable('users')) this.addSql(sql);

    this.addSql(`create table sessions (
      id uuid primary key,
      tenant_id uuid not null references tenants (id) on delete cascade,
      user_id uuid not null,
      token_hash bytea not null check (length(token_hash) = 32),
      created_at timestamptz not null,
      last_seen_at timestamptz not null,
      expires_at timestamptz not null,
      ip text not null default '',
      user_agent text not null default '',
      unique (tenant_id, token_hash),
      foreign key (tenant_id, user_id) references users (tenant_id, id) on delete cascade
    )`);
    this.addSql(`create index sessions_user_idx on sessions (tenant_id, user_id)`);
    for (const sql of tenantTable('sessions')) this.addSql(sql);

    // Resolves a session in one round trip. It runs as the caller (the runtime role, under RLS):
    // it sets the tenant the token names, looks the session up inside that tenant only, and
    // clears the tenant again when nothing matched, so a bad token leaves an anonymous request.
    this.addSql(`create function bulwark_session_principal(p_tenant uuid, p_hash bytea, p_now timestamptz, p_idle_cutoff timestamptz)
      returns table (session_id uuid, user_id uuid, role text, last_seen_at timestamptz)
      language plpgsql volatile security invoker as $$
      begin
        perform set_config('app.tenant_id', p_tenant::text, true);
        return query
          select s.id, s.user_id, u.role, s.last_seen_at
          from sessions s join users u on u.tenant_id = s.tenant_id and u.id = s.user_id
          where s.token_hash = p_hash and s.expires_at > p_now and s.last_seen_at > p_idle_cutoff
            and u.status = 'active';
        if not found then
          perform set_config('app.tenant_id', '', true);
        end if;
      end $$`);
    this.addSql(`grant execute on function bulwark_session_principal(uuid, bytea, timestamptz, timestamptz) to ${RUNTIME_ROLE}`);
  }
}
