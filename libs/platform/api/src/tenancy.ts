import { TransactionEventBroadcaster, type IsolationLevel, type MikroORM } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { RequestContext } from './context';
import { TENANT_FILTER } from './db/tenant-scoped';
import { recordTenant } from './db/routing';
import { writeAudit } from './audit';

/**
 * The one way into a tenant, for requests, jobs, the CLI and backups alike (the SQL functions call
 * `bulwark_enter_tenant` themselves). The setting is transaction-local, so it ends with the commit
 * and never leaks to the next user of a pooled connection (SECURITY.md D7); on Citus the same call
 * carries it to the workers (docs/scale-out.md). `null` leaves the tenant.
 */
export async function setTenant(em: EntityManager, tenantId: string | null): Promise<void> {
  if (!em.isInTransaction()) throw new Error('a tenant is entered inside a transaction only');
  await em.getConnection().execute('select bulwark_enter_tenant(?)', [tenantId], 'get', em.getTransactionContext());
  recordTenant(em.getTransactionContext(), tenantId);
}

/**
 * Enters a tenant for both walls at once, inside the operation's transaction: RLS (setTenant) and
 * the ORM's tenant filter.
 */
export async function enterTenant(
  ctx: RequestContext,
  tenantId: string,
  opts: {
    /** The caller's SQL already entered it in this transaction (one round trip saved). */
    alreadySetInTransaction?: boolean;
    /** Sign-in may move an operation to the tenant its credential names; nothing else may. */
    replacePrincipal?: boolean;
  } = {},
): Promise<void> {
  if (ctx.tenantId === tenantId) return;
  if (ctx.tenantId && !opts.replacePrincipal) throw new Error('one operation cannot act in two tenants');
  if (!opts.alreadySetInTransaction) await setTenant(ctx.em, tenantId);
  else recordTenant(ctx.em.getTransactionContext(), tenantId);
  if (opts.replacePrincipal) {
    ctx.principal = null;
    ctx.em.clear();
  }
  ctx.em.setFilterParams(TENANT_FILTER, { id: tenantId });
  ctx.tenantId = tenantId;
}

/**
 * A transaction in one tenant for work below the request context (a backup's snapshot, the
 * retention job's SQL): the tenant is entered first, and the transaction commits only if `fn`
 * succeeds. Work with a context uses withSystemContext, which is built on the same call.
 */
export async function inTenantTransaction<T>(
  source: MikroORM | EntityManager,
  tenantId: string,
  fn: (em: EntityManager) => Promise<T>,
  opts: { isolationLevel?: IsolationLevel; readOnly?: boolean } = {},
): Promise<T> {
  const em = ('em' in source ? source.em : source).fork({ clear: true }) as EntityManager;
  await em.begin(opts);
  try {
    await setTenant(em, tenantId);
    em.setFilterParams(TENANT_FILTER, { id: tenantId });
    const result = await fn(em);
    await em.commit();
    return result;
  } catch (e) {
    await em.rollback().catch(() => undefined);
    throw e;
  }
}

/**
 * The end of every unit of work, a request's or not (withSystemContext): flush, so that every
 * change of an audited entity is captured; append the events; commit. `beforeCommit` may still
 * refuse (the operation's deadline). After-commit work is the caller's (runAfterCommit).
 */
export async function commitOperation(ctx: RequestContext, beforeCommit: () => void = () => undefined): Promise<void> {
  await ctx.em.flush();
  await writeAudit(ctx);
  beforeCommit();
  await commitFlushed(ctx.em);
}

/**
 * em.commit() would flush once more before COMMIT: a second change-set pass over every entity
 * the operation loaded, on every request. commitOperation has just flushed and writeAudit only
 * runs SQL, so the transaction commits as it stands. Should anything still be queued for the
 * database, the ORM's own commit (flush included) runs instead, so nothing is ever dropped.
 */
async function commitFlushed(em: RequestContext['em']): Promise<void> {
  const uow = em.getUnitOfWork();
  const trx = em.getTransactionContext();
  if (!trx || uow.getPersistStack().size || uow.getRemoveStack().size) return em.commit();
  await em.getConnection('write').commit(trx, new TransactionEventBroadcaster(em));
  em.resetTransactionContext();
}
