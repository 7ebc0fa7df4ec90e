import { can, reachable } from '@bulwark/platform-api';
import { AuditPermission } from './audit.permissions';

export const auditRules = {
  Query: {
    auditEvents: can(AuditPermission.read),
    auditEvent: can(AuditPermission.read),
    auditActions: can(AuditPermission.read),
    auditActivity: can(AuditPermission.read),
    auditSettings: can(AuditPermission.read),
    alertKinds: can(AuditPermission.read),
    alertRules: can(AuditPermission.read),
    securityAlerts: can(AuditPermission.read),
    deliveries: can(AuditPermission.deliveries),
  },
  Mutation: {
    verifyAuditChain: can(AuditPermission.read),
    exportAuditLog: can(AuditPermission.export),
    setAuditRetention: can(AuditPermission.manage),
    createAlertRule: can(AuditPermission.manage),
    updateAlertRule: can(AuditPermission.manage),
    deleteAlertRule: can(AuditPermission.manage),
  },
  AuditEvent: reachable,
  AuditChange: reachable,
  AuditEventPage: reachable,
  AuditActionInfo: reachable,
  AuditVerification: reachable,
  AuditDay: reachable,
  AuditSettings: reachable,
  AlertKindInfo: reachable,
  AlertRule: reachable,
  AlertEmail: reachable,
  AlertRuleResult: reachable,
  SecurityAlert: reachable,
  AuditExportLink: reachable,
  Delivery: reachable,
  DeliveryPage: reachable,
};
