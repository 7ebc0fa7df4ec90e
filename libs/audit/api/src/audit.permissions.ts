import { defineAuditActions, definePermissions } from '@bulwark/platform-api';

export const AuditPermission = definePermissions('audit', {
  read: { description: 'Read the audit log, verify its chain and see alerts', roles: ['admin', 'auditor'] },
  export: { description: 'Export the audit log (with a recent password confirmation)', roles: ['admin', 'auditor'] },
  manage: { description: 'Change audit retention and alert rules', roles: ['admin'] },
  // Its own permission: the log names who was mailed what (addresses, reset and invitation mail)
  // and the workspace's receivers' errors, which is neither the audit log nor rule editing.
  deliveries: { description: 'See the delivery log (mail and webhooks sent, to whom, and why one failed) and send a failed one again', roles: ['admin'] },
});

/** What the audit feature itself records. `pruned` is written by bulwark_audit_prune (SQL). */
export const AuditLogAudit = defineAuditActions('audit', {
  exported: { description: 'The audit log was exported', target: 'AuditLog', export: 'Audit log exported' },
  chainVerified: { description: 'The audit chain was verified', target: 'AuditLog' },
  pruned: { description: 'Events older than the retention period were deleted (chain checkpointed)', target: 'AuditLog' },
  settingsChanged: { description: 'Audit retention changed', target: 'AuditSettings', config: true },
  alertRuleCreated: { description: 'An alert rule was created', target: 'AlertRule', config: true },
  alertRuleUpdated: { description: 'An alert rule was changed', target: 'AlertRule', config: true },
  alertRuleDeleted: { description: 'An alert rule was deleted', target: 'AlertRule', config: true },
  deliveryRetried: { description: 'A failed mail or webhook was sent again', target: 'Delivery' },
});
