import { definePermissions } from '@bulwark/platform-api';

export const SupportPermission = definePermissions('support', {
  read: { description: "See vendor support access: who holds it, until when, and what they did", roles: ['admin', 'auditor'] },
  manage: { description: 'Grant vendor support access to this workspace, and revoke it', roles: ['admin'] },
});
