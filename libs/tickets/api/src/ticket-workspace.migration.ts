import { Migration } from '@mikro-orm/migrations';
import { tenantForeignKey, tenantTable } from '@bulwark/platform-api';

/**
 * The agent's workspace (issue 20):
 * - Ticket numbers per tenant (#1001, #1002, ...) from one counter row per tenant. The row lock
 *   orders one tenant's new tickets (numbers have no gaps; a rolled-back ticket gives its number
 *   back) and never touches another tenant's. A trigger numbers every insert that names no
 *   number, so every way a ticket is inserted gets one (the service asks first, to know it
 *   without a reload).
 * - Tags (lower-case words) and copied addresses, as arrays on the ticket.
 * - Rich text: `body_html` is the sanitized HTML a person wrote, `body` its plain text (search,
 *   mail, exports and older clients read `body`).
 * - Full-text search: a generated tsvector on tickets and on comments, each with a GIN index. The
 *   'simple' configuration (no stemming, no stop words) serves desks in any language; queries
 *   match word prefixes instead (ticket-list.query).
 * - Saved views: a person's named filters.
 */
export class Migration20261207001300TicketWorkspace extends Migration {
  override async up(): Promise<void> {
    for (const sql of tenantTable('ticket_counters', ['last_number int not null check (last_number >= 1000)'], { primaryKey: ['tenant_id'] })) this.addSql(sql);
    this.addSql(`
      create function bulwark_next_ticket_number() returns int language sql volatile as $$
        insert into ticket_counters as c (tenant_id, last_number) values (bulwark_tenant_id(), 1001)
        on conflict (tenant_id) do update set last_number = c.last_number + 1
        returning last_number
      $$`);
    this.addSql(`alter table tickets add column number int`);
    // Existing tickets are numbered in the order they were filed, tenant by tenant (RLS shows one
    // tenant at a time, whoever runs the migration).
    this.addSql(`
      do $$
      declare t uuid;
      begin
        for t in select id from tenants loop
          perform bulwark_enter_tenant(t);
          update tickets k set number = 1000 + n.rn
            from (select id, row_number() over (order by created_at, id) as rn from tickets where tenant_id = t) n
           where k.tenant_id = t and k.id = n.id;
          insert into ticket_counters (tenant_id, last_number)
            select t, 1000 + count(*) from tickets where tenant_id = t having count(*) > 0;
        end loop;
      end $$`);
    // Every insert that names no number gets the next one of its row's tenant (raw inserts, the
    // bench's seed); the service draws it first (bulwark_next_ticket_number) and names it.
    this.addSql(`
      create function bulwark_ticket_number() returns trigger language plpgsql as $$
      begin
        if new.number is null then
          insert into ticket_counters as c (tenant_id, last_number) values (new.tenant_id, 1001)
          on conflict (tenant_id) do update set last_number = c.last_number + 1
          returning last_number into new.number;
        end if;
        return new;
      end $$`);
    this.addSql(`create trigger ticket_number before insert on tickets for each row execute function bulwark_ticket_number()`);
    this.addSql(`alter table tickets alter column number set not null`);
    this.addSql(`alter table tickets add constraint tickets_number_key unique (tenant_id, number)`);

    this.addSql(`alter table tickets add column tags text[] not null default '{}' check (cardinality(tags) <= 20)`);
    this.addSql(`alter table tickets add column cc_emails text[] not null default '{}' check (cardinality(cc_emails) <= 10)`);
    this.addSql(`create index tickets_tags on tickets using gin (tags)`);

    this.addSql(`alter table tickets add column body_html text check (length(body_html) <= 100000)`);
    this.addSql(`alter table ticket_comments add column body_html text check (length(body_html) <= 100000)`);
    this.addSql(`alter table tickets add column search_vector tsvector generated always as (to_tsvector('simple'::regconfig, subject || ' ' || body)) stored`);
    this.addSql(`alter table ticket_comments add column search_vector tsvector generated always as (to_tsvector('simple'::regconfig, body)) stored`);
    this.addSql(`create index tickets_search on tickets using gin (search_vector)`);
    this.addSql(`create index ticket_comments_search on ticket_comments using gin (search_vector)`);

    for (const sql of tenantTable('ticket_saved_views', [
      'user_id uuid not null',
      'name text not null check (length(name) between 1 and 60)',
      'filter jsonb not null',
      'created_at timestamptz not null',
      'unique (tenant_id, user_id, name)',
    ])) {
      this.addSql(sql);
    }
    this.addSql(tenantForeignKey('ticket_saved_views', ['user_id'], 'users', 'cascade'));
  }
}
