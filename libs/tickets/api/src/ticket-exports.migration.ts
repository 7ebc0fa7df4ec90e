import { Migration } from '@mikro-orm/migrations';
import { oneTimeLinkTable } from '@bulwark/platform-api';

/**
 * One-time links to ticket exports (issue 15 §3, D12): the mutation (tickets.export,
 * re-authenticated, audited) stores the token's hash and the filter; the GET claims it once and
 * streams what its maker may see.
 */
export class Migration20261121002000TicketExports extends Migration {
  override async up(): Promise<void> {
    const extra = ["format text not null check (format in ('csv', 'ndjson'))", 'filter jsonb not null'];
    for (const sql of oneTimeLinkTable('ticket_exports', extra)) this.addSql(sql);
  }
}
