import { defineApiPlugin } from '@bulwark/platform-api';
import { seedDemoTickets } from './demo.seed';
import { Comment, Ticket } from './ticket.entity';
import { Migration20261121000200Tickets } from './tickets.migration';
import { TicketPermission } from './tickets.permissions';
import { CommentResolver, TicketPageResolver, TicketResolver } from './tickets.resolver';
import { ticketRules } from './tickets.rules';
import { TicketAudit } from './tickets.audit';

export const ticketsPlugin = defineApiPlugin({
  name: 'tickets',
  permissions: [TicketPermission],
  entities: [Ticket, Comment],
  auditActions: [TicketAudit],
  audited: [
    { entity: Ticket, type: 'Ticket', create: TicketAudit.ticketCreated, update: TicketAudit.ticketUpdated, delete: TicketAudit.ticketDeleted, ignore: ['updatedAt', 'priorityRank'] },
    // A comment's text stays in the ticket; the log says that one was written, not what.
    { entity: Comment, type: 'Comment', create: TicketAudit.commentAdded, secret: ['body'] },
  ],
  resolvers: [TicketResolver, TicketPageResolver, CommentResolver],
  rules: ticketRules,
  migrations: [{ name: 'Migration20261121000200Tickets', class: Migration20261121000200Tickets }],
  seedDemo: seedDemoTickets,
});

export { Ticket, Comment } from './ticket.entity';
export { TicketPermission } from './tickets.permissions';
