/**
 * SQL for migrations: the shape every tenant table has, so that the schema both isolates tenants
 * (wall 2, RLS) and distributes by tenant on Citus (docs/scale-out.md). Catalog tests in
 * apps/api/src/tenant-isolation.spec.ts (D5, D8, D13) check every table, whoever wrote it.
 */
export const RUNTIME_ROLE = 'bulwark_app';

/**
 * A tenant table: `id`, then `tenant_id` (a key to `tenants`, the reference table), the feature's
 * columns and checks, and the primary key `(tenant_id, id)`: Citus needs the distribution column
 * in every primary and unique key. RLS is enabled and forced (so even the owner is filtered), one
 * policy on the transaction-local tenant, and the runtime role's grants.
 *
 * Keys to other tenant tables are not declared here but with `tenantForeignKey` once all tables
 * exist: that is the order in which Citus can create them (docs/scale-out.md).
 */
export function tenantTable(table: string, columns: string[], opts: { primaryKey?: string[]; grants?: string } = {}): string[] {
  const key = opts.primaryKey ?? ['tenant_id', 'id'];
  const head = key.includes('id') ? ['id uuid not null'] : [];
  const all = [...head, 'tenant_id uuid not null references tenants (id) on delete cascade', ...columns, `primary key (${key.join(', ')})`];
  return [`create table "${table}" (\n  ${all.join(',\n  ')}\n)`, ...tenantPolicy(table, opts.grants)];
}

/** RLS enabled and forced, the one policy, and the runtime role's grants (all four by default). */
export function tenantPolicy(table: string, grants = 'select, insert, update, delete'): string[] {
  const t = `"${table}"`;
  return [
    `alter table ${t} enable row level security`,
    `alter table ${t} force row level security`,
    `create policy tenant_isolation on ${t} using (tenant_id = bulwark_tenant_id()) with check (tenant_id = bulwark_tenant_id())`,
    `grant ${grants} on ${t} to ${RUNTIME_ROLE}`,
  ];
}

/**
 * A key from one tenant table to another, through `tenant_id` too, so a row can only point at a
 * row of its own tenant (on Citus: on the same shard). One constraint per statement, added after
 * the tables. No `ON DELETE SET NULL`: it would null `tenant_id` as well (and Citus cannot
 * re-create the column-list form), so whatever must let go of a deleted parent does it in code.
 */
export function tenantForeignKey(table: string, columns: string[], parent: string, onDelete: 'cascade' | 'no action' = 'no action'): string {
  const name = `${table}_${columns.join('_')}_fkey`;
  return (
    `alter table "${table}" add constraint "${name}" foreign key (tenant_id, ${columns.join(', ')}) ` +
    `references "${parent}" (tenant_id, id) on delete ${onDelete}`
  );
}
