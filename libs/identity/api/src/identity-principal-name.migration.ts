import { Migration } from '@mikro-orm/migrations';
import { RUNTIME_ROLE } from '@bulwark/platform-api';

/**
 * The session lookup also returns the person's name, so audit events name their actor as they
 * were at the time without another query (SECURITY.md F4).
 */
export class Migration20261121000900IdentityPrincipalName extends Migration {
  override async up(): Promise<void> {
    this.addSql(`drop function bulwark_session_principal(uuid, bytea, timestamptz)`);
    this.addSql(`create function bulwark_session_principal(p_tenant uuid, p_hash bytea, p_now timestamptz)
      returns table (session_id uuid, user_id uuid, role text, user_name text, last_seen_at timestamptz, restricted boolean)
      language plpgsql volatile security invoker as $$
      begin
        perform set_config('app.tenant_id', p_tenant::text, true);
        return query
          select s.id, s.user_id, u.role, u.name, s.last_seen_at,
                 (u.totp_enabled_at is null and u.role = any(coalesce(st.twofa_required_roles, '{}')))
                 or (st.password_expiry_days is not null
                     and coalesce(u.password_changed_at, u.created_at) < p_now - make_interval(days => st.password_expiry_days)) as restricted
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
