import { Utils, type QueryResult, type DeleteOptions, type EntityDictionary, type FilterQuery, type NativeInsertUpdateManyOptions, type NativeInsertUpdateOptions, type UpsertManyOptions, type UpsertOptions } from '@mikro-orm/core';
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
  /** The tenant to add to a statement on this entity in this transaction, if any. */
  private tenantFor(entityName: string, ctx: unknown): string | undefined {
    const tenantId = isTransaction(ctx) ? tenantOfTransaction.get(ctx) : undefined;
    return tenantId && this.metadata.find(entityName)?.properties['tenantId' as never] ? tenantId : undefined;
  }

  private routed<T extends object>(entityName: string, where: FilterQuery<T>, ctx: unknown): FilterQuery<T> {
    const tenantId = this.tenantFor(entityName, ctx);
    if (!tenantId) return where;
    const cond = Utils.isPrimaryKey(where) ? { [this.metadata.get(entityName).primaryKeys[0]]: where } : where;
    return { ...(cond as object), tenantId } as FilterQuery<T>;
  }

  override nativeUpdate<T extends object>(entityName: string, where: FilterQuery<T>, data: EntityDictionary<T>, options: NativeInsertUpdateOptions<T> & UpsertOptions<T> = {}) {
    return super.nativeUpdate(entityName, this.routed(entityName, where, options.ctx), data, options);
  }

  /**
   * A flush that changes several rows of one entity: MikroORM's batched statement keys its rows by
   * the primary key alone (a condition with tenant_id in it breaks it), so each row gets its own
   * routed update. Rows the statements return (generated columns) carry their key, as the batch's do.
   */
  override async nativeUpdateMany<T extends object>(
    entityName: string,
    where: FilterQuery<T>[],
    data: EntityDictionary<T>[],
    options: NativeInsertUpdateManyOptions<T> & UpsertManyOptions<T> = {},
  ): Promise<QueryResult<T>> {
    if (!this.tenantFor(entityName, options.ctx) || options.upsert) return super.nativeUpdateMany(entityName, where, data, options);
    const pk = this.metadata.get(entityName).primaryKeys[0];
    let affectedRows = 0;
    const rows: EntityDictionary<T>[] = [];
    for (const [i, w] of where.entries()) {
      const res = await this.nativeUpdate(entityName, w, data[i], options as NativeInsertUpdateOptions<T>);
      affectedRows += res.affectedRows;
      const key = Utils.isPrimaryKey(w) ? w : (w as Record<string, unknown>)[pk];
      for (const row of res.rows ?? []) rows.push({ ...row, [pk]: key } as EntityDictionary<T>);
    }
    return { affectedRows, rows: rows.length ? rows : undefined } as QueryResult<T>;
  }

  override nativeDelete<T extends object>(entityName: string, where: FilterQuery<T>, options: DeleteOptions<T> = {}) {
    return super.nativeDelete(entityName, this.routed(entityName, where, options.ctx), options);
  }
}
