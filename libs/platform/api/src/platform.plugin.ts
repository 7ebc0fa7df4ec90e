import { Migration20261207000000Platform } from './db/platform.migration';
import { Tenant } from './db/tenant.entity';
import { defineApiPlugin } from './plugin';
import { PlatformAudit } from './audit';

/** The kernel's own tables (roles, tenants). Listed first by every app. */
export const platformPlugin = defineApiPlugin({
  name: 'platform',
  entities: [Tenant],
  migrations: [{ name: 'Migration20261207000000Platform', class: Migration20261207000000Platform }],
  auditActions: [PlatformAudit],
});
