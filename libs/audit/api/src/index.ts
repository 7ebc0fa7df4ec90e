import { defineApiPlugin } from '@bulwark/platform-api';
import { auditConfig } from './audit.config';
import { auditCli } from './audit.cli';
import { Alert, AlertRule, AuditExport, AuditSettings } from './audit.entities';
import { Migration20261207000400Audit } from './audit.migration';
import { Migration20261207001160AlertMail } from './alert-mail.migration';
import { AuditLogAudit, AuditPermission } from './audit.permissions';
import { AuditResolver } from './audit.resolver';
import { auditRules } from './audit.rules';
import { exportRoute } from './export.route';
import { retentionTask } from './retention';
import { auditSink } from './sink';
import { alertWebhookDelivery, operatorWebhookDelivery } from './webhook';

/**
 * The audit log: append-only, hash-chained per tenant, written in the changes' own transaction
 * (through the kernel's audit writer), searchable, exportable, with retention and alerts.
 */
export const auditPlugin = defineApiPlugin({
  name: 'audit',
  permissions: [AuditPermission],
  auditActions: [AuditLogAudit],
  entities: [AuditSettings, AlertRule, Alert, AuditExport],
  resolvers: [AuditResolver],
  rules: auditRules,
  migrations: [
    { name: 'Migration20261207000400Audit', class: Migration20261207000400Audit },
    { name: 'Migration20261207001160AlertMail', class: Migration20261207001160AlertMail },
  ],
  auditSink,
  // Alert webhooks leave through the outbox (alerts.ts); alert mail through the platform's.
  deliveries: [alertWebhookDelivery, operatorWebhookDelivery],
  routes: (router) => router.get('/export/:token', exportRoute),
  background: [retentionTask],
  // Checking the log is how an attack is investigated; it writes only its own event.
  // Checking the log is what one does during an attack.
  operations: { verifyAuditChain: { lockdownExempt: true } },
  cli: auditCli,
  config: auditConfig,
});

export { AuditPermission, AuditLogAudit } from './audit.permissions';
export { verifyWebhook, signWebhook } from './webhook';
export { pruneTenant, pruneAll } from './retention';
export { verifyChain } from './audit.query';
