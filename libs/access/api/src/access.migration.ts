import { Migration } from '@mikro-orm/migrations';
import { RUNTIME_ROLE, tenantTable } from '@bulwark/platform-api';

/** Custom roles, network allowlists and lockdown (tenant and platform-wide). */
export class Migration20261207000200Access extends Migration {
  override async up(): Promise<void> {
    const tables: [string, string[]][] = [
      [
        'roles',
        [
          'name text not null check (length(name) between 1 and 80)',
          "description text not null default '' check (length(description) <= 500)",
          "permissions text[] not null default '{}'",
          'created_at timestamptz not null',
          'updated_at timestamptz not null',
          'unique (tenant_id, name)',
        ],
      ],
      [
        'access_settings',
        [
          "ip_mode text not null default 'off' check (ip_mode in ('off', 'report', 'enforce'))",
          'ip_includes_requesters boolean not null default false',
          'lockdown boolean not null default false',
          'lockdown_changed_at timestamptz',
          'updated_at timestamptz not null default now()',
          'unique (tenant_id)',
        ],
      ],
      [
        'ip_rules',
        [
          'cidr cidr not null',
          "label text not null default '' check (length(label) <= 120)",
          'created_at timestamptz not null',
          'unique (tenant_id, cidr)',
        ],
      ],
    ];
    for (const [table, columns] of tables) for (const sql of tenantTable(table, columns)) this.addSql(sql);

    // Platform-wide switches, set by operators from the CLI (as the owner); the runtime role reads.
    // Not tenant data: a reference table on Citus.
    this.addSql(`create table platform_settings (
      key text primary key check (key in ('lockdown')),
      value jsonb not null,
      updated_at timestamptz not null default now()
    )`);
    this.addSql(`grant select on platform_settings to ${RUNTIME_ROLE}`);
  }
}
