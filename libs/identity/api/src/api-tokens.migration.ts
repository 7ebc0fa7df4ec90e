import { Migration } from '@mikro-orm/migrations';
import { RUNTIME_ROLE, tenantTable } from '@bulwark/platform-api';

/**
 * API tokens for partners and integrations (`bwt_`): a name, a permission scope, an optional
 * expiry; only the SHA-256 is stored. The lookup returns the scope and the creator's role, so a
 * token never holds more than the person who made it holds now, and dies with their account.
 */
export class Migration20261121001100IdentityApiTokens extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table api_tokens (
      id uuid primary key,
      tenant_id uuid not null references tenants (id) on delete cascade,
      name text not null check (length(name) between 1 and 120),
      token_hash bytea not null,
      permissions text[] not null default '{}',
      created_by uuid not null,
      created_at timestamptz not null,
      expires_at timestamptz,
      last_used_at timestamptz,
      last_used_ip text,
      revoked_at timestamptz,
      unique (tenant_id, token_hash),
      unique (tenant_id, id),
      foreign key (tenant_id, created_by) references users (tenant_id, id) on delete cascade
    )`);
    for (const sql of tenantTable('api_tokens')) this.addSql(sql);
    this.addSql(`create function bulwark_token_principal(p_tenant uuid, p_hash bytea, p_now timestamptz)
      returns table (token_id uuid, name text, permissions text[], created_by uuid, creator_role text, last_used_at timestamptz, restricted boolean)
      language plpgsql volatile security invoker as $$
      begin
        perform set_config('app.tenant_id', p_tenant::text, true);
        return query
          select t.id, t.name, t.permissions, t.created_by, u.role, t.last_used_at,
                 -- as for sessions: a creator who must enrol in 2FA, or whose password expired, holds nothing
                 (u.totp_enabled_at is null and u.role = any(coalesce(st.twofa_required_roles, '{}')))
                 or (st.password_expiry_days is not null
                     and coalesce(u.password_changed_at, u.created_at) < p_now - make_interval(days => st.password_expiry_days))
          from api_tokens t
          join users u on u.tenant_id = t.tenant_id and u.id = t.created_by
          left join identity_settings st on st.tenant_id = t.tenant_id
          where t.token_hash = p_hash and t.revoked_at is null
            and (t.expires_at is null or t.expires_at > p_now)
            and u.status = 'active';
        if not found then
          perform set_config('app.tenant_id', '', true);
        end if;
      end $$`);
    this.addSql(`grant execute on function bulwark_token_principal(uuid, bytea, timestamptz) to ${RUNTIME_ROLE}`);
  }
}
