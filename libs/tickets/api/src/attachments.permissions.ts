import { defineAuditActions, definePermissions } from '@bulwark/platform-api';

export const AttachmentPermission = definePermissions('attachments', {
  manage: { description: 'Set the largest attachment and the kinds of file the workspace accepts', roles: ['admin'] },
});

export const AttachmentAudit = defineAuditActions('attachments', {
  settingsChanged: { description: 'Changed the attachment limits (size, kinds of file)', target: 'AttachmentSettings', config: true },
});
