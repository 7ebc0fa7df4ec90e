import { Property, type EntityManager, type Opt } from '@mikro-orm/core';

export const TENANT_FILTER = 'tenant';

/** The tenant the ORM filter is set to, or an error: there is no "all tenants" mode. */
export function currentTenant(em: EntityManager): string {
  const id = (em.getFilterParams(TENANT_FILTER) as { id?: string } | undefined)?.id;
  if (!id) throw new Error('no tenant is set on this EntityManager (tenant-scoped data needs a tenant context)');
  return id;
}

/**
 * Wall 1 of tenant isolation (DESIGN.md §2): every tenant-owned entity extends this. The
 * `tenant` filter (registered in orm.ts, default on, strict) adds `tenant_id = :tenant` to every
 * find, and `tenantId` is filled from the EntityManager's tenant on create, never from input.
 * RLS (wall 2) catches what the filter cannot: query builders, raw SQL, upserts.
 */
export abstract class TenantScoped {
  @Property({ type: 'uuid', fieldName: 'tenant_id', onCreate: (_e: unknown, em: EntityManager) => currentTenant(em) })
  tenantId!: Opt<string>;
}

export const tenantFilter = {
  name: TENANT_FILTER,
  default: true,
  // `cond` throws rather than matching nothing, so a missing tenant is a loud bug, not an empty page.
  cond: (args: { id?: string } | undefined) => {
    if (!args?.id) throw new Error('tenant filter: no tenant set');
    return { tenantId: args.id };
  },
};
