import { definePermissions } from '@bulwark/platform-api';

export const UserPermission = definePermissions('users', {
  read: { description: 'See the people of the workspace (names, emails, roles)', roles: ['admin', 'agent', 'light_agent', 'auditor'] },
  manage: { description: 'Invite people, unlock accounts and change roles', roles: ['admin'] },
  viewPii: { description: "See people's email addresses (masked otherwise)", roles: ['admin', 'agent', 'auditor'] },
});

export const SecurityPermission = definePermissions('security', {
  manage: { description: 'Change the sign-in and session policy of the workspace', roles: ['admin'] },
});

export const TokenPermission = definePermissions('tokens', {
  manage: { description: 'Create and revoke API tokens for integrations (scoped to permissions one holds)', roles: ['admin'] },
});

export const OrganizationPermission = definePermissions('organizations', {
  read: { description: "See the requesters' organizations (names, domains, members)", roles: ['admin', 'agent', 'light_agent', 'auditor'] },
  manage: { description: 'Create, change and delete organizations, and move people between them', roles: ['admin'] },
});
