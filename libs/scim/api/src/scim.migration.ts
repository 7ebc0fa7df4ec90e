import { Migration } from '@mikro-orm/migrations';
import { tenantForeignKey, tenantTable } from '@bulwark/platform-api';

/** SCIM 2.0 provisioning (issue 17): the identity provider's identifiers of people and groups. */
export class Migration20261207000800Scim extends Migration {
  override async up(): Promise<void> {
    const columns = [
      "resource_type text not null check (resource_type in ('User', 'Group'))",
      'user_id uuid',
      'group_id uuid',
      'external_id text check (length(external_id) between 1 and 512)',
      'user_name text check (length(user_name) between 1 and 512)',
      // The lower case JavaScript computes, not PostgreSQL's lower(): they differ outside ASCII
      // under some collations (a Greek or Turkish userName answered 500 with a check here).
      'user_name_key text',
      "profile jsonb not null default '{}'",
      'created_at timestamptz not null',
      'updated_at timestamptz not null',
      `check ((resource_type = 'User' and user_id is not null and group_id is null and user_name is not null)
           or (resource_type = 'Group' and group_id is not null and user_id is null and user_name is null))`,
      // One row per resource; an externalId names one resource of its type; a userName one person.
      'unique (tenant_id, user_id)',
      'unique (tenant_id, group_id)',
      'unique (tenant_id, resource_type, external_id)',
      'unique (tenant_id, user_name_key)',
    ];
    for (const sql of tenantTable('scim_resources', columns)) this.addSql(sql);
    this.addSql(tenantForeignKey('scim_resources', ['user_id'], 'users', 'cascade'));
    this.addSql(tenantForeignKey('scim_resources', ['group_id'], 'ticket_groups', 'cascade'));
  }
}
