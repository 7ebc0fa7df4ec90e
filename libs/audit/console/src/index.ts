import HistoryIcon from '@mui/icons-material/History';
import NotificationsActiveIcon from '@mui/icons-material/NotificationsActive';
import OutboxIcon from '@mui/icons-material/Outbox';
import { defineConsolePlugin, Permission } from '@bulwark/platform-console';
import { alertRulesData, SecurityAlertsPage, securityAlertsData } from './alerts.page';
import { AuditActivityCard } from './audit.card';
import { auditData } from './audit.data';
import { deliveriesData, DeliveriesList } from './deliveries.page';
import { AuditList } from './audit.list';
import { AuditShow } from './audit.show';

export const auditConsolePlugin = defineConsolePlugin({
  name: 'audit',
  resources: [
    {
      name: 'audit',
      label: 'Audit log',
      labelSingular: 'Audit event',
      icon: HistoryIcon,
      list: AuditList,
      show: AuditShow,
      recordRepresentation: (r) => `#${r.seq} ${r.actionDescription}`,
      access: { list: Permission.AUDIT_READ, show: Permission.AUDIT_READ, export: Permission.AUDIT_EXPORT },
      data: auditData,
    },
    {
      name: 'security-alerts',
      label: 'Security alerts',
      labelSingular: 'Security alert',
      icon: NotificationsActiveIcon,
      list: SecurityAlertsPage,
      access: { list: Permission.AUDIT_READ, manage: Permission.AUDIT_MANAGE },
      data: securityAlertsData,
    },
    {
      name: 'deliveries',
      label: 'Deliveries',
      labelSingular: 'Delivery',
      icon: OutboxIcon,
      list: DeliveriesList,
      access: { list: Permission.AUDIT_DELIVERIES },
      data: deliveriesData,
    },
    // Listed on the Security alerts page; changed there (manage on security-alerts).
    { name: 'alert-rules', label: 'Alert rules', access: { list: Permission.AUDIT_READ }, data: alertRulesData, hideInMenu: true },
  ],
  dashboardCards: [{ key: 'audit-activity', resource: 'audit', component: AuditActivityCard }],
});
