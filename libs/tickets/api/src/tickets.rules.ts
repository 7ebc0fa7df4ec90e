import { can, reachable } from '@bulwark/platform-api';
import { TicketPermission as P } from './tickets.permissions';

/** Root fields name their permission; the object types are reachable only through them. */
export const ticketRules = {
  Query: { tickets: can(P.read), ticket: can(P.read) },
  Mutation: {
    createTicket: can(P.create),
    updateTicket: can(P.update),
    deleteTicket: can(P.delete),
    addComment: can(P.comment),
  },
  Ticket: reachable,
  TicketPage: reachable,
  TicketComment: reachable,
};
