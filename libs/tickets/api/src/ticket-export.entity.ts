import { Entity, Property } from '@mikro-orm/core';
import { OneTimeLink, type ExportFormat } from '@bulwark/platform-api';

/** A one-time link to a file of tickets (D12): made by exportTickets, streamed once by the GET. */
@Entity({ tableName: 'ticket_exports' })
export class TicketExport extends OneTimeLink {
  @Property({ type: 'text' }) format!: ExportFormat;
  /** The list filters it was asked with (TicketFilter's fields; a view's resolved when asked). */
  @Property({ type: 'json' }) filter!: Record<string, unknown>;
}
