import HistoryIcon from '@mui/icons-material/History';
import NotificationsActiveIcon from '@mui/icons-material/NotificationsActive';
import { defineConsolePlugin } from '@bulwark/platform-console';
import { SecurityAlertsPage } from './alerts.page';
import { AuditActivityCard } from './audit.card';
import { auditData } from './audit.data';
import { AuditList } from './audit.list';
import { AuditShow } from './audit.show';

export const auditConsolePlugin = defineConsolePlugin({
  name: 'audit',
  resources: [
    {
      name: 'audit',
      label: 'Audit log',
      icon: HistoryIcon,
      list: AuditList,
      show: AuditShow,
      recordRepresentation: (r) => `#${r.seq} ${r.actionDescription}`,
      access: { list: 'AUDIT_READ', show: 'AUDIT_READ' },
      data: auditData,
    },
  ],
  pages: [
    { path: 'security-alerts', component: SecurityAlertsPage, menu: { label: 'Security alerts', icon: NotificationsActiveIcon, permission: 'AUDIT_READ' } },
  ],
  dashboardCards: [{ key: 'audit-activity', permission: 'AUDIT_READ', component: AuditActivityCard }],
});
