import { Migration } from '@mikro-orm/migrations';
import { RUNTIME_ROLE, tenantForeignKey, tenantTable } from '@bulwark/platform-api';

/**
 * Attachments (issue 20 §5). A file is uploaded first (owned by its uploader, on no ticket), then
 * linked to a ticket, or to a comment of that ticket, by the mutation that writes the message; an
 * upload not linked within a day is swept. The content lives in the file store (backups'
 * storage driver, encrypted at rest) under `storage_key`, generated as `<tenant_id>/<id>` so a
 * backup carries the file with its row and a restored row (a copy's new ids too) names where it
 * goes back (see the backups' file-store.ts). Limits per workspace in attachment_settings.
 */
export class Migration20261207001320Attachments extends Migration {
  override async up(): Promise<void> {
    const tables: [string, string[]][] = [
      [
        'ticket_attachments',
        [
          'ticket_id uuid',
          'comment_id uuid',
          'filename text not null check (length(filename) between 1 and 255)',
          'content_type text not null check (length(content_type) between 1 and 100)',
          'size_bytes bigint not null check (size_bytes >= 0)',
          'sha256 bytea not null check (length(sha256) = 32)',
          "storage_key text generated always as (tenant_id::text || '/' || id::text) stored",
          'uploaded_by_id uuid not null',
          'created_at timestamptz not null',
          'linked_at timestamptz',
          // A comment's attachment names its ticket too (one query per ticket's files); none before linking.
          'check (comment_id is null or ticket_id is not null)',
          'check ((ticket_id is null) = (linked_at is null))',
        ],
      ],
      [
        'attachment_settings',
        [
          'max_bytes integer not null check (max_bytes between 1024 and 26214400)',
          'allowed_types text[] not null',
          'updated_at timestamptz not null',
          'unique (tenant_id)',
        ],
      ],
    ];
    for (const [table, columns] of tables) for (const sql of tenantTable(table, columns)) this.addSql(sql);
    this.addSql(tenantForeignKey('ticket_attachments', ['ticket_id'], 'tickets', 'cascade'));
    this.addSql(tenantForeignKey('ticket_attachments', ['comment_id'], 'ticket_comments', 'cascade'));
    this.addSql(tenantForeignKey('ticket_attachments', ['uploaded_by_id'], 'users'));
    this.addSql(`create index ticket_attachments_ticket on ticket_attachments (tenant_id, ticket_id) where ticket_id is not null`);
    this.addSql(`create index ticket_attachments_comment on ticket_attachments (tenant_id, comment_id) where comment_id is not null`);
    this.addSql(`create index ticket_attachments_unlinked on ticket_attachments (created_at) where ticket_id is null`);

    // The sweeper's list across tenants (security definer, ids only): uploads never linked.
    this.addSql(`create function bulwark_attachments_to_sweep(p_before timestamptz)
      returns table (tenant_id uuid, id uuid)
      language sql stable security definer set search_path = public, pg_temp as $$
        select tenant_id, id from ticket_attachments where ticket_id is null and created_at < p_before
        order by tenant_id limit 500
      $$`);
    this.addSql(`revoke all on function bulwark_attachments_to_sweep(timestamptz) from public`);
    this.addSql(`grant execute on function bulwark_attachments_to_sweep(timestamptz) to ${RUNTIME_ROLE}`);
  }
}
