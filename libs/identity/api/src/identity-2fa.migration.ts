import { Migration } from '@mikro-orm/migrations';
import { tenantTable } from '@bulwark/platform-api';

/** Two-factor sign-in (TOTP, RFC 6238): per-user secret, recovery codes, the pending second step, and the tenant's required roles. */
export class Migration20261121000500IdentityTwoFactor extends Migration {
  override async up(): Promise<void> {
    // The secret is stored encrypted (AES-256-GCM, key derived from the server pepper); it exists
    // without totp_enabled_at while an enrolment waits for its first code.
    this.addSql(`alter table users
      add column totp_secret_enc text,
      add column totp_enabled_at timestamptz,
      add column totp_last_step bigint,
      add constraint users_totp_check check (totp_enabled_at is null or totp_secret_enc is not null)`);

    this.addSql(`create table recovery_codes (
      id uuid primary key,
      tenant_id uuid not null references tenants (id) on delete cascade,
      user_id uuid not null,
      code_hash bytea not null check (length(code_hash) = 32),
      used_at timestamptz,
      created_at timestamptz not null,
      foreign key (tenant_id, user_id) references users (tenant_id, id) on delete cascade
    )`);
    this.addSql(`create index recovery_codes_user_idx on recovery_codes (tenant_id, user_id)`);
    for (const sql of tenantTable('recovery_codes')) this.addSql(sql);

    this.addSql(`alter table identity_settings add column twofa_required_roles text[] not null default '{}'`);

    this.addSql(`create table login_challenges (
      id uuid primary key,
      tenant_id uuid not null references tenants (id) on delete cascade,
      user_id uuid not null,
      token_hash bytea not null check (length(token_hash) = 32),
      created_at timestamptz not null,
      expires_at timestamptz not null,
      attempts int not null default 0 check (attempts >= 0),
      unique (tenant_id, token_hash),
      foreign key (tenant_id, user_id) references users (tenant_id, id) on delete cascade
    )`);
    this.addSql(`create index login_challenges_user_idx on login_challenges (tenant_id, user_id)`);
    for (const sql of tenantTable('login_challenges')) this.addSql(sql);
  }
}
