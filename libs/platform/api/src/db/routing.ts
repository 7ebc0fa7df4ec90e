import { Utils, type DeleteOptions, type EntityDictionary, type FilterQuery, type NativeInsertUpdateManyOptions, type NativeInsertUpdateOptions, type UpsertManyOptions, type UpsertOptions } from '@mikro-orm/core';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';

/**
 * Every statement on tenant data names `tenant_id`, so that on Citus it routes to the one shard
 * that holds the tenant (docs/scale-out.md) instead of fanning out to all of them. RLS would still
 * filter such a statement, so a miss is slow rather than a leak; the test harness watches every
 * statement the server sends and fails the suite on one (testing/index.ts).
 */
const TABLE_REFERENCE = /\b(?:from|join|update|into)\s+"?([a-z_][a-z0-9_]*)"?/gi;

/** The tenant tables a statement reads or writes without naming tenant_id ([] when it routes). */
export function unroutedTables(sql: string, tenantTables: ReadonlySet<string>): string[] {
  if (/\btenant_id\b/.test(sql)) return [];
  return [...new Set([...sql.matchAll(TABLE_REFERENCE)].map((m) => m[1]).filter((t) => tenantTables.has(t)))];
}

/**
 * The tenant each open transaction entered (tenancy.ts records it), so that the driver below can
 * name it in the ORM's own statements. Keyed by the transaction object: it goes with it.
 */
const tenantOfTransaction = new WeakMap<object, string>();

/** knex's transaction objects are functions (a query builder you can call). */
const isTransaction = (t: unknown): t is object => !!t && (typeof t === 'object' || typeof t === 'function');

export function recordTenant(transaction: unknown, tenantId: string | null): void {
  if (!isTransaction(transaction)) return;
  if (tenantId) tenantOfTransaction.set(transaction, tenantId);
  else tenantOfTransaction.delete(transaction);
}

/**
 * The ORM's driver, with `tenant_id` added to the updates and deletes a flush sends by primary
 * key (`where id = ?`), so they route like every other statement. Finds already name it (the
 * tenant filter), inserts carry it, and `em.nativeUpdate`/`nativeDelete` apply the filter.
 */
export class TenantRoutedDriver extends PostgreSqlDriver {
  private routed<T extends object>(entityName: string, where: FilterQuery<T>, ctx: unknown): FilterQuery<T> {
    const tenantId = isTransaction(ctx) ? tenantOfTransaction.get(ctx) : undefined;
    const meta = this.metadata.find(entityName);
    if (!tenantId || !meta?.properties['tenantId' as keyof typeof meta.properties]) return where;
    const cond = Utils.isPrimaryKey(where) ? { [meta.primaryKeys[0]]: where } : where;
    return { ...(cond as object), tenantId } as FilterQuery<T>;
  }

  override nativeUpdate<T extends object>(entityName: string, where: FilterQuery<T>, data: EntityDictionary<T>, options: NativeInsertUpdateOptions<T> & UpsertOptions<T> = {}) {
    return super.nativeUpdate(entityName, this.routed(entityName, where, options.ctx), data, options);
  }

  override nativeUpdateMany<T extends object>(entityName: string, where: FilterQuery<T>[], data: EntityDictionary<T>[], options: NativeInsertUpdateManyOptions<T> & UpsertManyOptions<T> = {}) {
    return super.nativeUpdateMany(entityName, where.map((w) => this.routed(entityName, w, options.ctx)), data, options);
  }

  override nativeDelete<T extends object>(entityName: string, where: FilterQuery<T>, options: DeleteOptions<T> = {}) {
    return super.nativeDelete(entityName, this.routed(entityName, where, options.ctx), options);
  }
}
