import { Migration } from '@mikro-orm/migrations';
import { tenantTable } from '@bulwark/platform-api';

/**
 * Groups of staff, and a ticket's group: the "group" ticket scope (tickets.viewGroup) lets a role
 * see the tickets of its members' groups, besides their own requests and assignments.
 */
export class Migration20261121001200TicketGroups extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table ticket_groups (
      id uuid primary key,
      tenant_id uuid not null references tenants (id) on delete cascade,
      name text not null check (length(name) between 1 and 80),
      created_at timestamptz not null,
      unique (tenant_id, name),
      unique (tenant_id, id)
    )`);
    for (const sql of tenantTable('ticket_groups')) this.addSql(sql);
    this.addSql(`create table ticket_group_members (
      id uuid primary key,
      tenant_id uuid not null references tenants (id) on delete cascade,
      group_id uuid not null,
      user_id uuid not null,
      unique (tenant_id, group_id, user_id),
      foreign key (tenant_id, group_id) references ticket_groups (tenant_id, id) on delete cascade,
      foreign key (tenant_id, user_id) references users (tenant_id, id) on delete cascade
    )`);
    this.addSql(`create index ticket_group_members_user on ticket_group_members (tenant_id, user_id)`);
    for (const sql of tenantTable('ticket_group_members')) this.addSql(sql);
    this.addSql(`alter table tickets add column group_id uuid`);
    this.addSql(`alter table tickets add constraint tickets_group_fk foreign key (tenant_id, group_id)
      references ticket_groups (tenant_id, id) on delete set null (group_id)`);
    this.addSql(`create index tickets_group on tickets (tenant_id, group_id)`);
  }
}
