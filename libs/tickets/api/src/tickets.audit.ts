import { defineAuditActions } from '@bulwark/platform-api';

/** Ticket changes are captured at flush (the audited entities in index.ts), field by field. */
export const TicketAudit = defineAuditActions('tickets', {
  ticketCreated: { description: 'Created a ticket', target: 'Ticket' },
  ticketUpdated: { description: 'Changed a ticket', target: 'Ticket' },
  ticketDeleted: { description: 'Deleted a ticket', target: 'Ticket' },
  commentAdded: { description: 'Added a comment or internal note', target: 'Comment' },
});
