import { definePermissions } from '@bulwark/platform-api';

export const RolePermission = definePermissions('roles', {
  read: { description: 'See roles and what they allow', roles: ['admin', 'auditor'] },
  manage: { description: 'Create, change and delete custom roles', roles: ['admin'] },
});

export const NetworkPermission = definePermissions('network', {
  manage: { description: 'Change the IP allowlist and switch lockdown mode', roles: ['admin'] },
});
