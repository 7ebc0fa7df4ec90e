import { Migration } from '@mikro-orm/migrations';
import { RUNTIME_ROLE, tenantForeignKey, tenantTable } from '@bulwark/platform-api';

/**
 * People, sessions, the tenant's sign-in settings, password history, reset and invitation tokens,
 * two-factor sign-in (TOTP, RFC 6238) and API tokens. Tables first, then the keys between them
 * (docs/scale-out.md says why that order).
 */
export class Migration20261207000100Identity extends Migration {
  override async up(): Promise<void> {
    const tables: [string, string[]][] = [
      [
        'users',
        [
          'email text not null check (email = lower(email) and length(email) between 3 and 254)',
          'name text not null check (length(name) between 1 and 200)',
          'role text not null',
          'password_hash text',
          "status text not null default 'active' check (status in ('active', 'suspended', 'invited', 'deleted'))",
          'created_at timestamptz not null default now()',
          'failed_logins int not null default 0',
          'locked_until timestamptz',
          'password_changed_at timestamptz',
          "phone text check (phone ~ '^[+]?[0-9 ().-]{4,32}$')",
          // The secret is stored encrypted (AES-256-GCM, key derived from the server pepper); it
          // exists without totp_enabled_at while an enrolment waits for its first code.
          'totp_secret_enc text',
          'totp_enabled_at timestamptz',
          'totp_last_step bigint',
          'constraint users_totp_check check (totp_enabled_at is null or totp_secret_enc is not null)',
          // D8: unique keys include tenant_id (no existence oracle across tenants).
          'unique (tenant_id, email)',
        ],
      ],
      [
        'sessions',
        [
          'user_id uuid not null',
          'token_hash bytea not null check (length(token_hash) = 32)',
          'created_at timestamptz not null',
          'last_seen_at timestamptz not null',
          'expires_at timestamptz not null',
          "ip text not null default ''",
          "user_agent text not null default ''",
          // Re-authentication time (B8).
          'reauth_at timestamptz',
          'unique (tenant_id, token_hash)',
        ],
      ],
      [
        'identity_settings',
        [
          'password_min_length int not null default 12 check (password_min_length between 12 and 128)',
          'password_history int not null default 5 check (password_history between 0 and 24)',
          'lockout_threshold int not null default 5 check (lockout_threshold between 3 and 50)',
          'lockout_minutes int not null default 15 check (lockout_minutes between 1 and 1440)',
          'session_idle_minutes int not null default 30 check (session_idle_minutes between 5 and 1440)',
          'session_absolute_hours int not null default 12 check (session_absolute_hours between 1 and 720)',
          'allow_requester_signup boolean not null default false',
          "twofa_required_roles text[] not null default '{}'",
          'password_expiry_days int check (password_expiry_days between 30 and 3650)',
          'updated_at timestamptz not null default now()',
          'unique (tenant_id)',
        ],
      ],
      ['password_history', ['user_id uuid not null', 'password_hash text not null', 'created_at timestamptz not null']],
      [
        'auth_tokens',
        [
          'user_id uuid not null',
          "kind text not null check (kind in ('reset', 'invite'))",
          'token_hash bytea not null check (length(token_hash) = 32)',
          'created_at timestamptz not null',
          'expires_at timestamptz not null',
          'used_at timestamptz',
          'unique (tenant_id, token_hash)',
        ],
      ],
      [
        'recovery_codes',
        ['user_id uuid not null', 'code_hash bytea not null check (length(code_hash) = 32)', 'used_at timestamptz', 'created_at timestamptz not null'],
      ],
      [
        'login_challenges',
        [
          'user_id uuid not null',
          'token_hash bytea not null check (length(token_hash) = 32)',
          'created_at timestamptz not null',
          'expires_at timestamptz not null',
          'attempts int not null default 0 check (attempts >= 0)',
          'unique (tenant_id, token_hash)',
        ],
      ],
      [
        // Partners' and integrations' tokens (`bwt_`): only the SHA-256 is stored.
        'api_tokens',
        [
          'name text not null check (length(name) between 1 and 120)',
          'token_hash bytea not null',
          "permissions text[] not null default '{}'",
          'created_by uuid not null',
          'created_at timestamptz not null',
          'expires_at timestamptz',
          'last_used_at timestamptz',
          'last_used_ip text',
          'revoked_at timestamptz',
          'unique (tenant_id, token_hash)',
        ],
      ],
    ];
    for (const [table, columns] of tables) for (const sql of tenantTable(table, columns)) this.addSql(sql);

    for (const table of ['sessions', 'password_history', 'auth_tokens', 'recovery_codes', 'login_challenges']) {
      this.addSql(tenantForeignKey(table, ['user_id'], 'users', 'cascade'));
    }
    this.addSql(tenantForeignKey('api_tokens', ['created_by'], 'users', 'cascade'));
    this.addSql(`create index sessions_user_idx on sessions (tenant_id, user_id)`);
    this.addSql(`create index password_history_user_idx on password_history (tenant_id, user_id, created_at desc)`);
    this.addSql(`create index recovery_codes_user_idx on recovery_codes (tenant_id, user_id)`);
    this.addSql(`create index login_challenges_user_idx on login_challenges (tenant_id, user_id)`);

    // Failed sign-ins per client address and tenant (A10 per-IP throttling). Holds counts only;
    // keys are `<tenant id or "none">:<ip>` so one tenant's attackers never throttle another's
    // users (D9). Not a tenant table: attempts at unknown tenants are counted too (a reference
    // table on Citus, docs/scale-out.md).
    this.addSql(`create table login_throttle (
      key text primary key check (length(key) <= 120),
      window_start timestamptz not null,
      failures int not null
    )`);
    this.addSql(`grant select, insert, update, delete on login_throttle to ${RUNTIME_ROLE}`);

    // Resolve a session or an API token in one round trip. They run as the caller (the runtime
    // role, under RLS): they enter the tenant the credential names, look it up inside that tenant
    // only, and leave it again when nothing matched, so a bad credential leaves an anonymous
    // request. The person's role and name come along (audit events name their actor as they were,
    // F4), and `restricted` says whether they may only reach their account: their role requires
    // two-factor sign-in they have not set up, or their password is older than the tenant allows.
    const restricted = `(u.totp_enabled_at is null and u.role = any(coalesce(st.twofa_required_roles, '{}')))
                 or (st.password_expiry_days is not null
                     and coalesce(u.password_changed_at, u.created_at) < p_now - make_interval(days => st.password_expiry_days))`;
    this.addSql(`create function bulwark_session_principal(p_tenant uuid, p_hash bytea, p_now timestamptz)
      returns table (session_id uuid, user_id uuid, role text, user_name text, last_seen_at timestamptz, restricted boolean)
      language plpgsql volatile security invoker as $$
      begin
        perform bulwark_enter_tenant(p_tenant);
        return query
          select s.id, s.user_id, u.role, u.name, s.last_seen_at, ${restricted} as restricted
          from sessions s
          join users u on u.tenant_id = s.tenant_id and u.id = s.user_id
          left join identity_settings st on st.tenant_id = s.tenant_id
          where s.tenant_id = p_tenant and s.token_hash = p_hash and s.expires_at > p_now
            and s.last_seen_at > p_now - make_interval(mins => coalesce(st.session_idle_minutes, 30))
            and u.status = 'active';
        if not found then
          perform bulwark_enter_tenant(null);
        end if;
      end $$`);
    this.addSql(`grant execute on function bulwark_session_principal(uuid, bytea, timestamptz) to ${RUNTIME_ROLE}`);
    // A token never holds more than the person who made it holds now, and dies with their account.
    this.addSql(`create function bulwark_token_principal(p_tenant uuid, p_hash bytea, p_now timestamptz)
      returns table (token_id uuid, name text, permissions text[], created_by uuid, creator_role text, last_used_at timestamptz, restricted boolean)
      language plpgsql volatile security invoker as $$
      begin
        perform bulwark_enter_tenant(p_tenant);
        return query
          select t.id, t.name, t.permissions, t.created_by, u.role, t.last_used_at, ${restricted}
          from api_tokens t
          join users u on u.tenant_id = t.tenant_id and u.id = t.created_by
          left join identity_settings st on st.tenant_id = t.tenant_id
          where t.tenant_id = p_tenant and t.token_hash = p_hash and t.revoked_at is null
            and (t.expires_at is null or t.expires_at > p_now)
            and u.status = 'active';
        if not found then
          perform bulwark_enter_tenant(null);
        end if;
      end $$`);
    this.addSql(`grant execute on function bulwark_token_principal(uuid, bytea, timestamptz) to ${RUNTIME_ROLE}`);
  }
}
