import { Migration } from '@mikro-orm/migrations';
import { tenantTable } from '@bulwark/platform-api';

export class Migration20261121000200Tickets extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table tickets (
      id uuid primary key,
      tenant_id uuid not null references tenants (id) on delete cascade,
      subject text not null check (length(subject) between 1 and 200),
      body text not null check (length(body) between 1 and 20000),
      status text not null check (status in ('new', 'open', 'pending', 'solved', 'closed')),
      priority text not null check (priority in ('low', 'normal', 'high', 'urgent')),
      priority_rank smallint generated always as (
        case priority when 'low' then 1 when 'normal' then 2 when 'high' then 3 else 4 end) stored,
      channel text not null check (channel in ('email', 'web', 'phone', 'mobile', 'api')),
      requester_id uuid not null,
      assignee_id uuid,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      unique (tenant_id, id),
      -- Composite keys: a ticket can only point at people of its own tenant, whatever the code does.
      foreign key (tenant_id, requester_id) references users (tenant_id, id),
      foreign key (tenant_id, assignee_id) references users (tenant_id, id)
    )`);
    this.addSql(`create index tickets_created_idx on tickets (tenant_id, created_at desc, id)`);
    this.addSql(`create index tickets_updated_idx on tickets (tenant_id, updated_at desc, id)`);
    this.addSql(`create index tickets_requester_idx on tickets (tenant_id, requester_id)`);
    this.addSql(`create index tickets_assignee_idx on tickets (tenant_id, assignee_id)`);
    this.addSql(`create index tickets_status_idx on tickets (tenant_id, status)`);
    for (const sql of tenantTable('tickets')) this.addSql(sql);

    this.addSql(`create table ticket_comments (
      id uuid primary key,
      tenant_id uuid not null references tenants (id) on delete cascade,
      ticket_id uuid not null,
      author_id uuid not null,
      body text not null check (length(body) between 1 and 20000),
      public boolean not null,
      created_at timestamptz not null,
      foreign key (tenant_id, ticket_id) references tickets (tenant_id, id) on delete cascade,
      foreign key (tenant_id, author_id) references users (tenant_id, id)
    )`);
    this.addSql(`create index ticket_comments_ticket_idx on ticket_comments (tenant_id, ticket_id, created_at)`);
    for (const sql of tenantTable('ticket_comments')) this.addSql(sql);
  }
}
