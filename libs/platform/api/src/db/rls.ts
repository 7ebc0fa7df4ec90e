/**
 * SQL for migrations. Wall 2 of tenant isolation: every table with tenant_id gets RLS enabled
 * AND forced (so even the owner is filtered), one policy on the transaction-local tenant setting,
 * and grants for the runtime role. A catalog test (D5) checks every such table.
 */
export const RUNTIME_ROLE = 'bulwark_app';

export function tenantTable(table: string): string[] {
  const t = `"${table}"`;
  return [
    `alter table ${t} enable row level security`,
    `alter table ${t} force row level security`,
    `create policy tenant_isolation on ${t} using (tenant_id = bulwark_tenant_id()) with check (tenant_id = bulwark_tenant_id())`,
    `grant select, insert, update, delete on ${t} to ${RUNTIME_ROLE}`,
  ];
}
