import { definePermissions } from '@bulwark/platform-api';

export const LimitsPermission = definePermissions('limits', {
  manage: { description: 'See and change the workspace’s rate limits', roles: ['admin'] },
});
