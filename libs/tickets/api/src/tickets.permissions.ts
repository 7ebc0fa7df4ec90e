import { definePermissions } from '@bulwark/platform-api';

export const TicketPermission = definePermissions('tickets', {
  read: { description: 'Open tickets one can see', roles: ['admin', 'agent', 'light_agent', 'auditor', 'requester'] },
  viewAll: {
    description: "See every ticket of the workspace; without it, one's own requests and assignments only",
    roles: ['admin', 'agent', 'light_agent', 'auditor'],
  },
  viewGroup: {
    description: "See the tickets of one's groups too; with \"see every ticket\" it adds nothing",
    // Admins hold it (redundantly, with viewAll) so that they can grant it in custom roles.
    roles: ['admin'],
  },
  manageGroups: { description: 'Create groups of staff and change who is in them', roles: ['admin'] },
  create: { description: 'Create tickets', roles: ['admin', 'agent', 'light_agent', 'requester'] },
  update: { description: 'Change subject, status, priority, requester and assignee', roles: ['admin', 'agent'] },
  delete: { description: 'Delete tickets and their comments', roles: ['admin'] },
  comment: { description: 'Reply on tickets one can see', roles: ['admin', 'agent', 'light_agent', 'requester'] },
  internalNotes: { description: 'Read and write internal notes', roles: ['admin', 'agent'] },
  export: { description: 'Export the tickets one can see to a file, with a recent password confirmation', roles: ['admin'] },
  moderate: {
    description: "Set the spam watcher's rules, see the quarantine (held tickets) and release, block or delete them",
    roles: ['admin'],
  },
});
