import { defineAuditActions } from '@bulwark/platform-api';

/** Ticket changes are captured at flush (the audited entities in index.ts), field by field. */
export const TicketAudit = defineAuditActions('tickets', {
  ticketCreated: { description: 'Created a ticket', target: 'Ticket' },
  ticketUpdated: { description: 'Changed a ticket', target: 'Ticket' },
  ticketDeleted: { description: 'Deleted a ticket', target: 'Ticket' },
  groupCreated: { description: 'Created a group', target: 'TicketGroup', config: true },
  groupUpdated: { description: "Renamed a group or changed who is in it", target: 'TicketGroup', config: true },
  groupDeleted: { description: 'Deleted a group', target: 'TicketGroup', config: true },
  commentAdded: { description: 'Added a comment or internal note', target: 'Comment' },
  exported: { description: 'Exported tickets (a one-time link to the file was made)', target: null, export: 'Tickets exported' },
});
