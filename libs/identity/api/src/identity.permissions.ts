import { definePermissions } from '@bulwark/platform-api';

export const UserPermission = definePermissions('users', {
  read: { description: 'See the people of the tenant (names, emails, roles)', roles: ['admin', 'agent'] },
});
