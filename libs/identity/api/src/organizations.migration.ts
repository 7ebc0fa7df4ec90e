import { Migration } from '@mikro-orm/migrations';
import { tenantForeignKey, tenantTable } from '@bulwark/platform-api';

/**
 * Organizations (issue 20): requesters' companies, with the email domains that place a new
 * requester in one. A domain belongs to one organization per tenant: the service checks it under
 * a per-tenant lock (an array column has no unique index of its elements). People point at their
 * organization through a key with tenant_id; deleting an organization lets go of its people in
 * code first (no ON DELETE SET NULL: it would null tenant_id as well, and Citus cannot re-create
 * the column-list form).
 */
export class Migration20261207001310Organizations extends Migration {
  override async up(): Promise<void> {
    for (const sql of tenantTable('organizations', [
      'name text not null check (length(name) between 1 and 120)',
      // Lower-case names, checked in full by the service; here: lower-case, bounded, no empty ones.
      "domains text[] not null default '{}' check (cardinality(domains) <= 50 and array_to_string(domains, ',') = lower(array_to_string(domains, ',')) and not ('' = any (domains)))",
      'created_at timestamptz not null default now()',
      'unique (tenant_id, name)',
    ])) {
      this.addSql(sql);
    }
    // The domain lookup of a new requester (domains @> array[...]).
    this.addSql(`create index organizations_domains_idx on organizations using gin (domains)`);
    this.addSql(`alter table users add column organization_id uuid`);
    this.addSql(tenantForeignKey('users', ['organization_id'], 'organizations'));
    // Members of an organization (its member count, the people filter, letting go on delete).
    this.addSql(`create index users_organization_idx on users (tenant_id, organization_id) where organization_id is not null`);
  }
}
