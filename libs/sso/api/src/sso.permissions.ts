import { definePermissions } from '@bulwark/platform-api';

export const SsoPermission = definePermissions('sso', {
  manage: { description: 'Set up single sign-on: connections, role mapping, who must use it', roles: ['admin'] },
});
