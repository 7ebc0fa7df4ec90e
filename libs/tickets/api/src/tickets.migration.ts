import { Migration } from '@mikro-orm/migrations';
import { oneTimeLinkTable, tenantForeignKey, tenantTable } from '@bulwark/platform-api';

/**
 * Tickets, their comments, groups of staff, and one-time links to ticket exports. The "group"
 * ticket scope (tickets.viewGroup) lets a role see the tickets of its members' groups, besides
 * their own requests and assignments. Export links (D12): the mutation (tickets.export,
 * re-authenticated, audited) stores the token's hash and the filter; the GET claims it once and
 * streams what its maker may see.
 */
export class Migration20261207000300Tickets extends Migration {
  override async up(): Promise<void> {
    const tables: [string, string[]][] = [
      [
        'tickets',
        [
          'subject text not null check (length(subject) between 1 and 200)',
          'body text not null check (length(body) between 1 and 20000)',
          "status text not null check (status in ('new', 'open', 'pending', 'solved', 'closed'))",
          "priority text not null check (priority in ('low', 'normal', 'high', 'urgent'))",
          "priority_rank smallint generated always as (case priority when 'low' then 1 when 'normal' then 2 when 'high' then 3 else 4 end) stored",
          "channel text not null check (channel in ('email', 'web', 'phone', 'mobile', 'api'))",
          'requester_id uuid not null',
          'assignee_id uuid',
          'group_id uuid',
          'created_at timestamptz not null',
          'updated_at timestamptz not null',
        ],
      ],
      [
        'ticket_comments',
        [
          'ticket_id uuid not null',
          'author_id uuid not null',
          'body text not null check (length(body) between 1 and 20000)',
          'public boolean not null',
          'created_at timestamptz not null',
        ],
      ],
      ['ticket_groups', ['name text not null check (length(name) between 1 and 80)', 'created_at timestamptz not null', 'unique (tenant_id, name)']],
      ['ticket_group_members', ['group_id uuid not null', 'user_id uuid not null', 'unique (tenant_id, group_id, user_id)']],
    ];
    for (const [table, columns] of tables) for (const sql of tenantTable(table, columns)) this.addSql(sql);
    for (const sql of oneTimeLinkTable('ticket_exports', ["format text not null check (format in ('csv', 'ndjson'))", 'filter jsonb not null'])) {
      this.addSql(sql);
    }

    // Composite keys: a ticket can only point at people and groups of its own tenant, whatever the
    // code does. Deleting a group first takes it off its tickets (tickets.service: deleteGroup).
    this.addSql(tenantForeignKey('tickets', ['requester_id'], 'users'));
    this.addSql(tenantForeignKey('tickets', ['assignee_id'], 'users'));
    this.addSql(tenantForeignKey('tickets', ['group_id'], 'ticket_groups'));
    this.addSql(tenantForeignKey('ticket_comments', ['ticket_id'], 'tickets', 'cascade'));
    this.addSql(tenantForeignKey('ticket_comments', ['author_id'], 'users'));
    this.addSql(tenantForeignKey('ticket_group_members', ['group_id'], 'ticket_groups', 'cascade'));
    this.addSql(tenantForeignKey('ticket_group_members', ['user_id'], 'users', 'cascade'));

    this.addSql(`create index tickets_created_idx on tickets (tenant_id, created_at desc, id)`);
    this.addSql(`create index tickets_updated_idx on tickets (tenant_id, updated_at desc, id)`);
    this.addSql(`create index tickets_requester_idx on tickets (tenant_id, requester_id)`);
    this.addSql(`create index tickets_assignee_idx on tickets (tenant_id, assignee_id)`);
    this.addSql(`create index tickets_status_idx on tickets (tenant_id, status)`);
    this.addSql(`create index tickets_group on tickets (tenant_id, group_id)`);
    this.addSql(`create index ticket_comments_ticket_idx on ticket_comments (tenant_id, ticket_id, created_at)`);
    this.addSql(`create index ticket_group_members_user on ticket_group_members (tenant_id, user_id)`);
  }
}
