import { RUNTIME_ROLE } from './rls';

/** Runs one catalog query (as the owner, on a migrated database). */
export type CatalogQuery = <T extends object>(sql: string) => Promise<T[]>;

export interface CitusPlan {
  /** Tables the tenant tables point at (tenants): a copy on every node. */
  reference: string[];
  /** Tenant tables by colocation group, each list parents first. */
  groups: { name: 'tenant' | 'audit'; tables: string[] }[];
  /** Other tables, left on the coordinator (migrations, throttling, platform switches). */
  local: string[];
  /** Keys between tenant tables: dropped before distributing, added again after. */
  foreignKeys: { table: string; name: string; definition: string }[];
  /** The plan as SQL, one statement per entry (comments are entries of their own). */
  statements: string[];
}

/** Table and key names come from the catalog; the plan only prints plain ones. */
function plain(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`the table or key name ${JSON.stringify(name)} needs quoting; rename it`);
  return name;
}
const q = plain;
const lit = (name: string) => `'${plain(name)}'`;

/**
 * How to distribute a freshly migrated Bulwark database on Citus (docs/scale-out.md), read from
 * the catalog so a feature's new table is planned without anyone listing it:
 *
 * - a table without `tenant_id` that tenant tables point at is a reference table;
 * - tenant tables are distributed by `tenant_id`, colocated, parents before children. Those the
 *   runtime role cannot insert into are written only by owner-run functions (the audit chain) in
 *   the same transaction as the runtime role's own statements: on Citus the two users need
 *   different connections to a shard group, so those tables get a colocation group of their own;
 * - keys between tenant tables are dropped first and added back once every table is distributed
 *   (one constraint per statement), which is the order Citus can create them in;
 * - the runtime role opens connections to the workers, so it must be able to log in there.
 */
export async function citusPlan(query: CatalogQuery): Promise<CitusPlan> {
  const tables = await query<{ name: string; tenant: boolean; writable: boolean }>(
    `select c.relname as name,
            exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped) as tenant,
            has_table_privilege('${RUNTIME_ROLE}', c.oid, 'insert') as writable
       from pg_class c where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p') order by c.relname`,
  );
  const keys = await query<{ child: string; parent: string; name: string; definition: string }>(
    `select cl.relname as child, pl.relname as parent, k.conname as name, pg_get_constraintdef(k.oid) as definition
       from pg_constraint k join pg_class cl on cl.oid = k.conrelid join pg_class pl on pl.oid = k.confrelid
      where k.contype = 'f' and k.connamespace = 'public'::regnamespace order by cl.relname, k.conname`,
  );
  const tenant = new Set(tables.filter((t) => t.tenant).map((t) => t.name));
  const reference = [...new Set(keys.filter((k) => tenant.has(k.child) && !tenant.has(k.parent)).map((k) => k.parent))].sort();
  const local = tables.filter((t) => !t.tenant && !reference.includes(t.name)).map((t) => t.name);
  const between = keys.filter((k) => tenant.has(k.child) && tenant.has(k.parent));
  const audit = new Set(tables.filter((t) => t.tenant && !t.writable).map((t) => t.name));
  for (const k of between) {
    if (audit.has(k.child) !== audit.has(k.parent)) throw new Error(`the key ${k.name} joins ${k.child} and ${k.parent}, which cannot be colocated`);
  }

  const ordered = parentsFirst([...tenant].sort(), between);
  const groups = [
    { name: 'tenant' as const, tables: ordered.filter((t) => !audit.has(t)) },
    { name: 'audit' as const, tables: ordered.filter((t) => audit.has(t)) },
  ].filter((g) => g.tables.length);
  const foreignKeys = between.map((k) => ({ table: k.child, name: k.name, definition: k.definition }));

  const statements = [
    '-- Bulwark on Citus: run once, in order, on the coordinator as the database owner, on a freshly',
    '-- migrated database (`npm run cli -- migrate`) with the citus extension created. docs/scale-out.md.',
    '-- 1. Reference tables: a copy on every node.',
    ...reference.map((t) => `select create_reference_table(${lit(t)});`),
    '-- 2. Keys between tenant tables come off while the tables are distributed.',
    ...foreignKeys.map((k) => `alter table ${q(k.table)} drop constraint ${q(k.name)};`),
    '-- 3. Tenant tables, distributed by tenant_id, parents first, in their colocation groups.',
    ...groups.flatMap((g) =>
      g.tables.map((t, i) => `select create_distributed_table(${lit(t)}, 'tenant_id', colocate_with => ${i === 0 ? "'none'" : lit(g.tables[0])}); -- ${g.name} group`),
    ),
    '-- 4. The keys again, one constraint per statement.',
    ...foreignKeys.map((k) => `alter table ${q(k.table)} add constraint ${q(k.name)} ${k.definition};`),
    '-- 5. The runtime role connects to the workers: let it log in there (pg_hba.conf: from the coordinators only).',
    `select run_command_on_workers($$alter role ${RUNTIME_ROLE} login$$);`,
    ...(local.length ? [`-- Left on the coordinator: ${local.join(', ')}.`] : []),
  ];
  return { reference, groups, local, foreignKeys, statements };
}

/**
 * `tables` in an order where every key between them points backwards (keys to other tables are
 * ignored); a cycle is an error, not a guess. Backups restore in this order too.
 */
export function parentsFirst(tables: string[], keys: { child: string; parent: string }[]): string[] {
  const parents = new Map(tables.map((t) => [t, new Set<string>()]));
  for (const k of keys) if (k.child !== k.parent && parents.has(k.parent)) parents.get(k.child)?.add(k.parent);
  const out: string[] = [];
  const done = new Set<string>();
  const visit = (t: string, path: Set<string>) => {
    if (done.has(t)) return;
    if (path.has(t)) throw new Error(`foreign keys form a cycle through ${t}`);
    path.add(t);
    for (const p of parents.get(t) ?? []) visit(p, path);
    path.delete(t);
    done.add(t);
    out.push(t);
  };
  for (const t of tables) visit(t, new Set());
  return out;
}
