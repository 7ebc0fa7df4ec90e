import { Migration } from '@mikro-orm/migrations';
import { RUNTIME_ROLE, tenantTable } from '@bulwark/platform-api';

/** Custom roles, network allowlists and lockdown (tenant and platform-wide). */
export class Migration20261121000600Access extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table roles (
      id uuid primary key,
      tenant_id uuid not null references tenants (id) on delete cascade,
      name text not null check (length(name) between 1 and 80),
      description text not null default '' check (length(description) <= 500),
      permissions text[] not null default '{}',
      created_at timestamptz not null,
      updated_at timestamptz not null,
      unique (tenant_id, name),
      unique (tenant_id, id)
    )`);
    for (const sql of tenantTable('roles')) this.addSql(sql);

    this.addSql(`create table access_settings (
      id uuid primary key,
      tenant_id uuid not null unique references tenants (id) on delete cascade,
      ip_mode text not null default 'off' check (ip_mode in ('off', 'report', 'enforce')),
      ip_includes_requesters boolean not null default false,
      lockdown boolean not null default false,
      lockdown_changed_at timestamptz,
      updated_at timestamptz not null default now()
    )`);
    for (const sql of tenantTable('access_settings')) this.addSql(sql);

    this.addSql(`create table ip_rules (
      id uuid primary key,
      tenant_id uuid not null references tenants (id) on delete cascade,
      cidr cidr not null,
      label text not null default '' check (length(label) <= 120),
      created_at timestamptz not null,
      unique (tenant_id, cidr)
    )`);
    for (const sql of tenantTable('ip_rules')) this.addSql(sql);

    // Platform-wide switches, set by operators from the CLI (as the owner); the runtime role reads.
    this.addSql(`create table platform_settings (
      key text primary key check (key in ('lockdown')),
      value jsonb not null,
      updated_at timestamptz not null default now()
    )`);
    this.addSql(`grant select on platform_settings to ${RUNTIME_ROLE}`);
  }
}
