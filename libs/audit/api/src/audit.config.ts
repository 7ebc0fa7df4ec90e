import { defineConfig, int } from '@bulwark/platform-api';

/** The audit feature's settings (README "Settings"). */
export const auditConfig = defineConfig('audit', (env) => {
  const operatorWebhookUrl = env.BULWARK_OPERATOR_WEBHOOK_URL || undefined;
  const operatorWebhookSecret = env.BULWARK_OPERATOR_WEBHOOK_SECRET || undefined;
  if (operatorWebhookUrl && (operatorWebhookSecret ?? '').length < 32) {
    throw new Error('BULWARK_OPERATOR_WEBHOOK_SECRET must be set (32+ characters) when BULWARK_OPERATOR_WEBHOOK_URL is');
  }
  return {
    /** Where every workspace's security alerts are also sent, for the operators (signed like workspaces' webhooks). */
    operatorWebhookUrl,
    operatorWebhookSecret,
    /** How often the retention job runs; 0 turns it off (run `audit prune` from the CLI instead). */
    pruneIntervalMinutes: int(env, 'BULWARK_AUDIT_PRUNE_INTERVAL_MINUTES', 60, 0, 10080),
  };
});
