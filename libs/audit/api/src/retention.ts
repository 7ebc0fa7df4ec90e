import type { BackgroundTask, RequestContext } from '@bulwark/platform-api';
import type { MikroORM } from '@mikro-orm/core';
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

/** Every tenant with a log, each in its own transaction (its chain lock held only for its own cut). */
export async function pruneAll(orm: MikroORM): Promise<number> {
  const em = orm.em.fork() as EntityManager;
  const conn = em.getConnection();
  const tenants = await conn.execute<{ id: string }[]>('select bulwark_audit_tenants() as id');
  let total = 0;
  for (const { id } of tenants) {
    await em.transactional(async (tx) => {
      const trx = tx.getTransactionContext();
      await conn.execute(`select set_config('app.tenant_id', ?, true)`, [id], 'get', trx);
      const row = await conn.execute<{ n: string }>('select bulwark_audit_prune() as n', [], 'get', trx);
      total += Number(row.n);
    });
  }
  return total;
}

export const retentionTask: BackgroundTask = {
  name: 'audit retention',
  intervalMs: (config) => config.auditPruneIntervalMinutes * 60_000,
  async run({ orm, log }) {
    const deleted = await pruneAll(orm);
    if (deleted) log.info('audit retention deleted old events', { deleted });
  },
};
