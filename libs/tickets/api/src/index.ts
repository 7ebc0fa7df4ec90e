import { defineApiPlugin } from '@bulwark/platform-api';
import { seedDemoTickets } from './demo.seed';
import { Comment, Ticket } from './ticket.entity';
import { Migration20261121000200Tickets } from './tickets.migration';
import { TicketPermission } from './tickets.permissions';
import { CommentResolver, TicketPageResolver, TicketResolver } from './tickets.resolver';
import { ticketRules } from './tickets.rules';

export const ticketsPlugin = defineApiPlugin({
  name: 'tickets',
  permissions: [TicketPermission],
  entities: [Ticket, Comment],
  resolvers: [TicketResolver, TicketPageResolver, CommentResolver],
  rules: ticketRules,
  migrations: [{ name: 'Migration20261121000200Tickets', class: Migration20261121000200Tickets }],
  seedDemo: seedDemoTickets,
});

export { Ticket, Comment } from './ticket.entity';
export { TicketPermission } from './tickets.permissions';
