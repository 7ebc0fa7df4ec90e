import { Migration } from '@mikro-orm/migrations';
import { tenantForeignKey, tenantTable } from '@bulwark/platform-api';

/** Single sign-on (issue 17): connections, federated identities, pending sign-ins, the replay cache. */
export class Migration20261207000700Sso extends Migration {
  override async up(): Promise<void> {
    const tables: [string, string[], { primaryKey?: string[] }?][] = [
      [
        'sso_connections',
        [
          'name text not null check (length(name) between 1 and 80)',
          "kind text not null check (kind in ('oidc', 'saml', 'jwt'))",
          'enabled boolean not null default false',
          'show_button boolean not null default true',
          "domains text[] not null default '{}'",
          'settings jsonb not null',
          'secret_sealed text',
          'provision_users boolean not null default true',
          "default_role text not null default 'requester'",
          'link_by_email boolean not null default false',
          `mapping jsonb not null default '{"roles": [], "groups": []}'`,
          "editor_permissions text[] not null default '{}'",
          'editor_role text',
          'created_at timestamptz not null',
          'updated_at timestamptz not null',
          'unique (tenant_id, name)',
        ],
      ],
      [
        'sso_identities',
        [
          'connection_id uuid not null',
          'subject text not null check (length(subject) between 1 and 255)',
          'user_id uuid not null',
          'email text not null',
          'created_at timestamptz not null',
          'last_sign_in_at timestamptz not null',
          // C4: one identity per (connection, subject); a person may hold one per connection.
          'unique (tenant_id, connection_id, subject)',
          'unique (tenant_id, connection_id, user_id)',
        ],
      ],
      [
        'sso_requests',
        [
          'connection_id uuid not null',
          'state_hash bytea not null check (length(state_hash) = 32)',
          'browser_hash bytea check (length(browser_hash) = 32)',
          'nonce text',
          'code_verifier text',
          'saml_request_id text',
          "intent text check (intent in ('reauth'))",
          'return_to text check (length(return_to) <= 500)',
          'created_at timestamptz not null',
          'expires_at timestamptz not null',
          'unique (tenant_id, state_hash)',
          'unique (tenant_id, connection_id, saml_request_id)',
        ],
      ],
      [
        // What a provider may send only once (C2's jti, C3's assertion ids, a logout token's jti),
        // kept until it could no longer be accepted anyway.
        'sso_replay_cache',
        [
          'connection_id uuid not null',
          "kind text not null check (kind in ('jwt', 'saml', 'logout'))",
          'key text not null check (length(key) between 1 and 512)',
          'expires_at timestamptz not null',
        ],
        { primaryKey: ['tenant_id', 'connection_id', 'kind', 'key'] },
      ],
    ];
    for (const [table, columns, opts] of tables) for (const sql of tenantTable(table, columns, opts)) this.addSql(sql);
    this.addSql(tenantForeignKey('sso_identities', ['connection_id'], 'sso_connections', 'cascade'));
    this.addSql(tenantForeignKey('sso_identities', ['user_id'], 'users', 'cascade'));
    this.addSql(tenantForeignKey('sso_requests', ['connection_id'], 'sso_connections', 'cascade'));
    this.addSql(tenantForeignKey('sso_replay_cache', ['connection_id'], 'sso_connections', 'cascade'));
    this.addSql('create index sso_requests_expiry on sso_requests (tenant_id, expires_at)');
    this.addSql('create index sso_replay_cache_expiry on sso_replay_cache (tenant_id, expires_at)');
  }
}
