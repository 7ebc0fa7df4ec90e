import { Migration } from '@mikro-orm/migrations';
import { tenantForeignKey, tenantTable } from '@bulwark/platform-api';

/**
 * The spam watcher (issue 18, H3). It counts from the tickets table itself, so every API process
 * shares one count with no other store: an index per subject it counts by. Held tickets stay in
 * `tickets` (quarantine_id set) so a release keeps their place in time. `sender_address` and
 * `client_ip` are for anonymous channels (inbound email comes in a later issue) and counted only
 * when present.
 */
export class Migration20261207001000SpamWatcher extends Migration {
  override async up(): Promise<void> {
    const tables: [string, string[]][] = [
      [
        'spam_settings',
        [
          'enabled boolean not null default true',
          'ticket_limit integer not null default 50 check (ticket_limit between 1 and 1000)',
          'window_minutes integer not null default 30 check (window_minutes between 1 and 1440)',
          'updated_at timestamptz not null default now()',
          'unique (tenant_id)',
        ],
      ],
      [
        'spam_quarantines',
        [
          "subject_kind text not null check (subject_kind in ('requester', 'sender', 'address'))",
          'subject_key text not null check (length(subject_key) between 1 and 320)',
          'requester_id uuid',
          'ticket_count integer not null',
          'ticket_limit integer not null',
          'window_minutes integer not null',
          'since timestamptz not null',
          'last_held_at timestamptz not null',
          "status text not null check (status in ('active', 'blocked', 'released', 'deleted'))",
          'decided_by_id uuid',
          'decided_at timestamptz',
        ],
      ],
    ];
    for (const [table, columns] of tables) for (const sql of tenantTable(table, columns)) this.addSql(sql);
    // One open quarantine per subject: a second request over the limit joins it (under the lock).
    this.addSql(`create unique index spam_quarantines_open on spam_quarantines (tenant_id, subject_kind, subject_key) where status in ('active', 'blocked')`);
    this.addSql(`create index spam_quarantines_status on spam_quarantines (tenant_id, status, since desc)`);

    this.addSql(`alter table tickets add column quarantine_id uuid`);
    this.addSql(`alter table tickets add column sender_address text check (length(sender_address) <= 320)`);
    this.addSql(`alter table tickets add column client_ip inet`);
    this.addSql(tenantForeignKey('tickets', ['quarantine_id'], 'spam_quarantines'));
    this.addSql(tenantForeignKey('spam_quarantines', ['requester_id'], 'users'));
    this.addSql(tenantForeignKey('spam_quarantines', ['decided_by_id'], 'users'));

    // What the watcher counts: a subject's tickets in the window, newest last.
    this.addSql(`create index tickets_requester_created_idx on tickets (tenant_id, requester_id, created_at)`);
    this.addSql(`drop index tickets_requester_idx`); // its prefix serves the requester filter as well
    this.addSql(`create index tickets_sender_created_idx on tickets (tenant_id, sender_address, created_at) where sender_address is not null`);
    this.addSql(`create index tickets_client_ip_created_idx on tickets (tenant_id, client_ip, created_at) where client_ip is not null`);
    this.addSql(`create index tickets_quarantine_idx on tickets (tenant_id, quarantine_id, created_at) where quarantine_id is not null`);
  }
}
