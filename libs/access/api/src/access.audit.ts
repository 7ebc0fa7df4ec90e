import { defineAuditActions } from '@bulwark/platform-api';

export const AccessAudit = defineAuditActions('access', {
  roleCreated: { description: 'Created a custom role', target: 'Role', config: true, alert: 'permissionGranted', alertWhenGrows: 'permissions' },
  roleUpdated: { description: 'Changed a custom role', target: 'Role', config: true, alert: 'permissionGranted', alertWhenGrows: 'permissions' },
  roleDeleted: { description: 'Deleted a custom role', target: 'Role', config: true },
  ipAllowlistChanged: { description: 'Changed the IP allowlist', target: 'AccessSettings', config: true, alert: 'networkChange' },
  lockdownChanged: { description: 'Turned lockdown mode on or off', target: 'AccessSettings', config: true, alert: 'networkChange' },
});
