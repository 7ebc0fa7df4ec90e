import { can, reachable } from '@bulwark/platform-api';
import { UserPermission } from '@bulwark/identity-api';
import { TicketPermission as P } from './tickets.permissions';

/** Root fields name their permission; the object types are reachable only through them. */
export const ticketRules = {
  // Staff see the groups (to pick one); the group list shows no ticket data.
  Query: {
    tickets: can(P.read),
    ticket: can(P.read),
    // Views are one's own filters of the tickets one can see, so reading tickets is enough.
    views: can(P.read),
    // Tags are the desk's notes: the resolver also asks for staff (tickets.update or viewAll).
    ticketTags: can(P.read),
    ticketGroups: can(UserPermission.read),
    // The spam watcher (H3): its rules and its queue are one job, the moderator's.
    spamSettings: can(P.moderate),
    spamQuarantines: can(P.moderate),
  },
  Mutation: {
    createTicket: can(P.create),
    updateTicket: can(P.update),
    deleteTicket: can(P.delete),
    addComment: can(P.comment),
    createView: can(P.read),
    deleteView: can(P.read),
    // D12: a file of every ticket in one's scope; the service also asks for a recent password.
    exportTickets: can(P.export),
    createTicketGroup: can(P.manageGroups),
    updateTicketGroup: can(P.manageGroups),
    deleteTicketGroup: can(P.manageGroups),
    updateSpamSettings: can(P.moderate),
    releaseQuarantine: can(P.moderate),
    blockQuarantine: can(P.moderate),
    deleteQuarantinedTickets: can(P.moderate),
  },
  TicketGroup: reachable,
  Ticket: reachable,
  TicketPage: reachable,
  TicketComment: reachable,
  TicketHistoryEntry: reachable,
  View: reachable,
  TagCount: reachable,
  TicketExportLink: reachable,
  SpamSettings: reachable,
  SpamRules: reachable,
  Quarantine: reachable,
  QuarantinePage: reachable,
  HeldTicket: reachable,
};
