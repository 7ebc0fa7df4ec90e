import { Migration20261121000000Platform } from './db/platform.migration';
import { Migration20261121001700PlatformParallelSafe } from './db/parallel-safe.migration';
import { Tenant } from './db/tenant.entity';
import { defineApiPlugin } from './plugin';
import { PlatformAudit } from './audit';

/** The kernel's own tables (roles, tenants). Listed first by every app. */
export const platformPlugin = defineApiPlugin({
  name: 'platform',
  entities: [Tenant],
  migrations: [
    { name: 'Migration20261121000000Platform', class: Migration20261121000000Platform },
    { name: 'Migration20261121001700PlatformParallelSafe', class: Migration20261121001700PlatformParallelSafe },
  ],
  auditActions: [PlatformAudit],
});
