import type { BackgroundTask, RequestContext } from '@bulwark/platform-api';
import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * Retention (issue 4 §5): the only way events leave the log is bulwark_audit_prune, which cuts a
 * prefix older than the tenant's retention, checkpoints the hash at the cut and records an
 * `audit.pruned` event, so the chain stays verifiable from the checkpoint on.
 */
export async function pruneTenant(ctx: RequestContext): Promise<number> {
  const row = await ctx.em.getConnection().execute<{ n: string }>('select bulwark_audit_prune() as n', [], 'get', ctx.em.getTransactionContext());
  return Number(row.n);
}

export const retentionTask: BackgroundTask = {
  name: 'audit retention',
  intervalMs: (config) => config.auditPruneIntervalMinutes * 60_000,
  async run({ orm, log }) {
    const em = orm.em.fork() as EntityManager;
    const row = await em.getConnection().execute<{ n: string }>('select bulwark_audit_prune_all() as n', [], 'get');
    if (Number(row.n)) log.info('audit retention deleted old events', { deleted: Number(row.n) });
  },
};
