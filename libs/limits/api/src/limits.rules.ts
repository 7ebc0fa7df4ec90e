import { can, reachable } from '@bulwark/platform-api';
import { LimitsPermission } from './limits.permissions';

export const limitsRules = {
  Query: { rateLimits: can(LimitsPermission.manage) },
  Mutation: { updateRateLimits: can(LimitsPermission.manage) },
  RateLimits: reachable,
  RateLimitBudgets: reachable,
};
