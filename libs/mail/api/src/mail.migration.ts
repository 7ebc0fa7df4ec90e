import { Migration } from '@mikro-orm/migrations';
import { tenantForeignKey, tenantTable } from '@bulwark/platform-api';

/**
 * The email channel's inbound half and the threading index both halves share (issue 19): the
 * workspace's mail settings, every message in and out (what it became, why it was held or
 * ignored), and each ticket's mail thread (copied addresses, first Message-ID).
 */
export class Migration20261207001200Mail extends Migration {
  override async up(): Promise<void> {
    const tables: [string, string[], { primaryKey?: string[] }?][] = [
      [
        'mail_settings',
        [
          "sender_policy text not null default 'hold' check (sender_policy in ('hold', 'unverified'))",
          "forwarding_addresses text[] not null default '{}' check (cardinality(forwarding_addresses) <= 50)",
          'inbound_secret_hash text',
          'updated_at timestamptz not null default now()',
          'unique (tenant_id)',
        ],
      ],
      [
        'mail_messages',
        [
          "direction text not null check (direction in ('in', 'out'))",
          'message_id text not null check (length(message_id) between 1 and 998)',
          'ticket_id uuid',
          'comment_id uuid',
          'from_address text not null check (length(from_address) <= 320)',
          "to_addresses text[] not null default '{}'",
          "subject text not null default ''",
          "status text not null check (status in ('ticket', 'reply', 'held', 'ignored', 'released', 'discarded', 'queued'))",
          'reason text',
          'authentication jsonb',
          'raw bytea',
          'outbox_id uuid',
          'created_at timestamptz not null default now()',
        ],
      ],
      [
        'mail_threads',
        ['ticket_id uuid not null', "cc_addresses text[] not null default '{}'", 'root_message_id text'],
        { primaryKey: ['tenant_id', 'ticket_id'] },
      ],
    ];
    for (const [table, columns, opts] of tables) for (const sql of tenantTable(table, columns, opts)) this.addSql(sql);
    // Threading looks a Message-ID up within the tenant; so does the duplicate check.
    this.addSql(`create index mail_messages_message_id_idx on mail_messages (tenant_id, message_id)`);
    // The held queue, newest first.
    this.addSql(`create index mail_messages_held_idx on mail_messages (tenant_id, created_at desc) where status = 'held'`);
    this.addSql(`create index mail_messages_ticket_idx on mail_messages (tenant_id, ticket_id) where ticket_id is not null`);
    this.addSql(tenantForeignKey('mail_messages', ['ticket_id'], 'tickets', 'cascade'));
    this.addSql(tenantForeignKey('mail_threads', ['ticket_id'], 'tickets', 'cascade'));
  }
}
