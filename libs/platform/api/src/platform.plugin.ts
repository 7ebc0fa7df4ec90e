import { Migration20261207000000Platform } from './db/platform.migration';
import { Tenant } from './db/tenant.entity';
import { OutboxMessage } from './db/outbox.entity';
import { defineApiPlugin } from './plugin';
import { PlatformAudit } from './audit';
import { Migration20261207001150Outbox } from './db/outbox.migration';
import { mailDelivery, outboxConfig, outboxDeliverJob, outboxSweepJob } from './outbox';

/** The kernel's own tables (roles, tenants, the outbox) and jobs. Listed first by every app. */
export const platformPlugin = defineApiPlugin({
  name: 'platform',
  entities: [Tenant, OutboxMessage],
  migrations: [
    { name: 'Migration20261207000000Platform', class: Migration20261207000000Platform },
    { name: 'Migration20261207001150Outbox', class: Migration20261207001150Outbox },
  ],
  auditActions: [PlatformAudit],
  jobs: [outboxDeliverJob, outboxSweepJob],
  deliveries: [mailDelivery],
  config: outboxConfig,
});
