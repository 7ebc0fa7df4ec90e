import { defineAuditActions } from '@bulwark/platform-api';

export const LimitsAudit = defineAuditActions('limits', {
  settingsChanged: { description: 'Changed the rate limits', target: 'RateLimitSettings', config: true },
});
