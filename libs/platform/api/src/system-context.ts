import type { MikroORM } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { randomUUID } from 'node:crypto';
import { runAfterCommit, type AppServices, type RequestContext } from './context';
import { commitOperation, enterTenant } from './tenancy';
import type { Permission } from './permissions';

/**
 * A context for work that no HTTP request carries (CLI, seeds, jobs): explicit about its tenant
 * and its reason (STYLE.md 5), run in one transaction that commits only if `fn` succeeds.
 */
export async function withSystemContext<T>(
  /** The ORM, or any entity manager to fork (work that follows a request's commit). */
  source: MikroORM | EntityManager,
  app: AppServices,
  tenantId: string,
  reason: string,
  fn: (ctx: RequestContext) => Promise<T>,
  /** The HTTP request the work serves, if any (a one-time link): its id, address and agent. */
  request?: Pick<RequestContext, 'requestId' | 'ip' | 'userAgent'>,
): Promise<T> {
  const em = ('em' in source ? source.em : source).fork({ clear: true }) as EntityManager;
  const requestId = request?.requestId ?? randomUUID();
  const all = new Set(app.catalog.definitions.map((d) => d.key)) as ReadonlySet<Permission>;
  const ctx: RequestContext = {
    requestId,
    ip: request?.ip ?? '',
    userAgent: request?.userAgent ?? `system:${reason}`,
    credential: null,
    principal: { kind: 'system', tenantId, reason, permissions: all },
    tenantId: null,
    em,
    app,
    log: app.log.child({ requestId, system: reason }),
    loaders: new Map(),
  };
  await em.begin();
  try {
    await enterTenant(ctx, tenantId);
    const result = await fn(ctx);
    await commitOperation(ctx);
    await runAfterCommit(ctx);
    return result;
  } catch (e) {
    await em.rollback().catch(() => undefined);
    throw e;
  }
}
