import { definePermissions } from '@bulwark/platform-api';

export const MailPermission = definePermissions('mail', {
  manage: { description: 'See and change the workspace’s mail settings, and decide on held mail', roles: ['admin'] },
});
