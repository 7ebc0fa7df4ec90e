import { Migration } from '@mikro-orm/migrations';

/** Ticket kinds (issue 18): a vendor support request is a ticket of the workspace's own desk. */
export class Migration20261207000850TicketKind extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table tickets add column kind text not null default 'request' check (kind in ('request', 'vendor_support'))`);
  }
}
