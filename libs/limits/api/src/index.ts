import { defineApiPlugin } from '@bulwark/platform-api';
import { LimitsAudit } from './limits.audit';
import { limitsConfig } from './limits.config';
import { RateLimitSettings } from './limits.entities';
import { closeStore, limitsMeter } from './limits.meter';
import { Migration20261207001100RateLimits } from './limits.migration';
import { LimitsPermission } from './limits.permissions';
import { LimitsResolver } from './limits.resolver';
import { limitsRules } from './limits.rules';

/**
 * Rate limits (issue 18, SECURITY.md H4, D9): every GraphQL operation is charged its estimated
 * cost per person, per API token and per tenant, or per address when anonymous, on counters every
 * API process shares (PostgreSQL, or Redis with BULWARK_REDIS_URL). Budgets are tenant settings
 * within the platform's maximums.
 */
export const limitsPlugin = defineApiPlugin({
  name: 'limits',
  permissions: [LimitsPermission],
  entities: [RateLimitSettings],
  resolvers: [LimitsResolver],
  rules: limitsRules,
  auditActions: [LimitsAudit],
  audited: [{ entity: RateLimitSettings, type: 'RateLimitSettings', create: LimitsAudit.settingsChanged, update: LimitsAudit.settingsChanged, ignore: ['updatedAt'] }],
  migrations: [{ name: 'Migration20261207001100RateLimits', class: Migration20261207001100RateLimits }],
  meters: [limitsMeter],
  closed: closeStore,
  config: limitsConfig,
});

export { LimitsPermission } from './limits.permissions';
export { LimitsAudit } from './limits.audit';
export { operationCost } from './cost';
