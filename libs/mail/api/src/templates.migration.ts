import { Migration } from '@mikro-orm/migrations';
import { tenantTable } from '@bulwark/platform-api';

/** Each tenant's wording of the mail it sends (templates.ts): one row per kind it changed. */
export class Migration20261207001250MailTemplates extends Migration {
  override async up(): Promise<void> {
    for (const sql of tenantTable('mail_templates', [
      `kind text not null check (kind in ('acknowledgement', 'reply', 'assignment'))`,
      'subject text not null',
      'text text not null',
      'html text',
      'updated_at timestamptz not null',
      'unique (tenant_id, kind)',
    ])) {
      this.addSql(sql);
    }
    // Outbound mail threads on a ticket's first and latest messages (notifications.ts): both ends
    // of its conversation by index, however long it grows.
    this.addSql(`create index mail_messages_conversation_idx on mail_messages (tenant_id, ticket_id, created_at) where ticket_id is not null`);
  }
}
