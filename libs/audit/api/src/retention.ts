import { inTenantTransaction, type BackgroundTask, type RequestContext } from '@bulwark/platform-api';
import type { MikroORM } from '@mikro-orm/core';
import { auditConfig } from './audit.config';

/**
 * Retention (issue 4 §5): the only way events leave the log is bulwark_audit_prune, which cuts a
 * prefix older than the tenant's retention, checkpoints the hash at the cut and records an
 * `audit.pruned` event, so the chain stays verifiable from the checkpoint on.
 */
export async function pruneTenant(ctx: RequestContext): Promise<number> {
  const row = await ctx.em.getConnection().execute<{ n: string }>('select bulwark_audit_prune() as n', [], 'get', ctx.em.getTransactionContext());
  return Number(row.n);
}

/** Every tenant with a log, each in its own transaction (its chain lock held only for its own cut). */
export async function pruneAll(orm: MikroORM): Promise<number> {
  const tenants = await orm.em.getConnection().execute<{ id: string }[]>('select bulwark_audit_tenants() as id');
  let total = 0;
  for (const { id } of tenants) {
    total += await inTenantTransaction(orm, id, async (em) =>
      Number((await em.getConnection().execute<{ n: string }>('select bulwark_audit_prune() as n', [], 'get', em.getTransactionContext())).n),
    );
  }
  return total;
}

export const retentionTask: BackgroundTask = {
  name: 'audit retention',
  intervalMs: (config) => auditConfig.of(config).pruneIntervalMinutes * 60_000,
  async run({ orm, log }) {
    const deleted = await pruneAll(orm);
    if (deleted) log.info('audit retention deleted old events', { deleted });
  },
};
