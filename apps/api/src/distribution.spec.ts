/**
 * The schema rules of a database distributed by tenant (Citus; docs/scale-out.md), checked on the
 * composed app's real catalog and on the migrations' own statements, whoever wrote them. Citus
 * cannot be installed here: these are the rules a real cluster was found to need (issue 16).
 */
import { startTestServer, type TestServer } from '@bulwark/platform-api/testing';
import { citusPlan, composeApi, createLogger, migrateDatabase, withSystemContext } from '@bulwark/platform-api';
import { apiPlugins } from '@bulwark/composition-api';
import { createPersonas } from '@bulwark/identity-api/testing';
import { Ticket } from '@bulwark/tickets-api';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer(apiPlugins, { BULWARK_BACKUP_SCHEDULER_SECONDS: '0' });
});
afterAll(() => t?.close());

/** Every public table with a tenant_id column (the audit chain's private tables included). */
const tenantTables = async () =>
  (
    await t.ownerSql<{ name: string }>(
      `select c.relname as name from pg_class c join pg_attribute a on a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped
        where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p') order by 1`,
    )
  ).map((r) => r.name);

/** The unique indexes (primary keys included) and foreign keys of those tables, with their columns. */
const keysOf = (tables: string[]) =>
  t.ownerSql<{ table: string; name: string; kind: 'p' | 'u' | 'f'; columns: string[]; parent: string | null; parentColumns: string[] | null; onDelete: string; setColumns: number }>(
    `select cl.relname as table, k.conname as name, k.contype as kind,
            array(select a.attname from unnest(k.conkey) with ordinality u(n, i) join pg_attribute a on a.attrelid = k.conrelid and a.attnum = u.n order by u.i)::text[] as columns,
            pl.relname as parent,
            case when k.contype = 'f' then array(select a.attname from unnest(k.confkey) with ordinality u(n, i) join pg_attribute a on a.attrelid = k.confrelid and a.attnum = u.n order by u.i)::text[] end as "parentColumns",
            k.confdeltype::text as "onDelete", coalesce(array_length(k.confdelsetcols, 1), 0) as "setColumns"
       from pg_constraint k join pg_class cl on cl.oid = k.conrelid left join pg_class pl on pl.oid = k.confrelid
      where k.connamespace = 'public'::regnamespace and k.contype in ('p', 'u', 'f') and cl.relname = any($1)
     union all
     -- unique indexes that are not constraints (CREATE UNIQUE INDEX)
     select tbl.relname, idx.relname, 'u',
            array(select a.attname from unnest(i.indkey) k join pg_attribute a on a.attrelid = tbl.oid and a.attnum = k)::text[], null, null, '', 0
       from pg_index i join pg_class tbl on tbl.oid = i.indrelid join pg_class idx on idx.oid = i.indexrelid
      where i.indisunique and tbl.relname = any($1) and not exists (select 1 from pg_constraint k where k.conindid = i.indexrelid)`,
    [tables],
  );

/** Every statement of every migration, as the migrator would run it. */
function migrationStatements(): { migration: string; sql: string }[] {
  return composeApi(apiPlugins).migrations.flatMap(({ name, class: M }) => {
    const m = new M(undefined as never, undefined as never);
    void m.up();
    return m.getQueries().map((q) => ({ migration: name, sql: typeof q === 'string' ? q : String(q) }));
  });
}

describe('D8 keys on tenant data include tenant_id: the schema distributes by tenant', () => {
  it('gives every tenant table the primary key (tenant_id, id), or one that begins with tenant_id where there is no id', async () => {
    const tables = await tenantTables();
    expect(tables.length).toBeGreaterThanOrEqual(26);
    const withId = new Set(
      (await t.ownerSql<{ name: string }>(`select c.relname as name from pg_class c join pg_attribute a on a.attrelid = c.oid and a.attname = 'id' where c.relname = any($1)`, [tables])).map((r) => r.name),
    );
    const primary = new Map((await keysOf(tables)).filter((k) => k.kind === 'p').map((k) => [k.table, k.columns]));
    const wrong = tables
      .map((table) => ({ table, key: primary.get(table) ?? null }))
      .filter(({ table, key }) => !key || (withId.has(table) ? key.join() !== 'tenant_id,id' : key[0] !== 'tenant_id'));
    expect(wrong).toEqual([]);
  });

  it('has no unique key or unique index on a tenant table without tenant_id (no exemptions)', async () => {
    const keys = (await keysOf(await tenantTables())).filter((k) => k.kind !== 'f');
    expect(keys.filter((k) => !k.columns.includes('tenant_id'))).toEqual([]);
    expect(keys.length).toBeGreaterThan(26);
  });

  it('makes every foreign key between tenant tables go through tenant_id on both sides', async () => {
    const tables = await tenantTables();
    const fks = (await keysOf(tables)).filter((k) => k.kind === 'f' && tables.includes(k.parent as string));
    expect(fks.length).toBeGreaterThan(10);
    const wrong = fks.filter((k) => k.columns[0] !== 'tenant_id' || k.parentColumns?.[0] !== 'tenant_id');
    expect(wrong).toEqual([]);
  });

  it('has no ON DELETE SET NULL or SET DEFAULT key on tenant data (it would clear tenant_id; Citus cannot re-create the column-list form)', async () => {
    const fks = (await keysOf(await tenantTables())).filter((k) => k.kind === 'f');
    expect(fks.filter((k) => ['n', 'd'].includes(k.onDelete) || k.setColumns > 0).map((k) => k.name)).toEqual([]);
  });

  it('has no trigger on tenants (it must stay a plain reference table)', async () => {
    const triggers = await t.ownerSql(`select tgname from pg_trigger where tgrelid = 'tenants'::regclass and not tgisinternal`);
    expect(triggers).toEqual([]);
  });

  it('adds foreign keys between tenant tables after the tables, one constraint per ALTER TABLE', async () => {
    const tables = new Set(await tenantTables());
    const statements = migrationStatements();
    expect(statements.length).toBeGreaterThan(50);
    const inlineKeys = statements.filter(({ sql }) => {
      const create = /^\s*create table\s+"?(\w+)"?/i.exec(sql);
      return create && [...sql.matchAll(/references\s+"?(\w+)"?/gi)].some((m) => tables.has(m[1]));
    });
    expect(inlineKeys.map((s) => s.migration + ': ' + s.sql.slice(0, 60))).toEqual([]);
    const crowded = statements.filter(({ sql }) => /^\s*alter table/i.test(sql) && (sql.match(/\badd\s+(constraint|primary key|unique|foreign key|check)\b/gi)?.length ?? 0) > 0 && sql.split(/,\s*(add|drop|alter)\s/i).length > 1);
    expect(crowded.map((s) => s.migration + ': ' + s.sql.slice(0, 80))).toEqual([]);
  });

  it('enters a tenant with SET LOCAL through bulwark_enter_tenant everywhere, never set_config on app.tenant_id', async () => {
    const fns = await t.ownerSql<{ name: string; body: string }>(
      `select p.proname as name, p.prosrc as body from pg_proc p where p.pronamespace = 'public'::regnamespace and p.proname like 'bulwark_%'`,
    );
    expect(fns.filter((f) => /set_config\s*\(\s*'app\.tenant_id'/i.test(f.body)).map((f) => f.name)).toEqual([]);
    expect(migrationStatements().filter(({ sql }) => /set_config\s*\(\s*'app\.tenant_id'/i.test(sql)).map((s) => s.migration)).toEqual([]);
  });
});

describe('every statement names tenant_id, so that it routes to one shard', () => {
  it('routes a flush that changes several rows of one entity, and keeps what the database computed', async () => {
    const p = await createPersonas(t, 'routing');
    const ids = await withSystemContext(t.server.orm, t.server.app, p.tenantId, 'test', async (ctx) => {
      const made = ['one', 'two', 'three'].map((subject) =>
        ctx.em.create(Ticket, { subject, body: 'b', status: 'new', priority: 'low', channel: 'api', requester: p.requester.id, createdAt: new Date(), updatedAt: new Date() } as never),
      );
      return made.map((x) => (x as Ticket).id);
    });
    const { result: ranks, statements } = await t.countStatements(() =>
      withSystemContext(t.server.orm, t.server.app, p.tenantId, 'test', async (ctx) => {
        const tickets = await ctx.em.find(Ticket, { id: { $in: ids } });
        for (const x of tickets) x.priority = 'urgent';
        await ctx.em.flush(); // one flush, three rows of one entity
        return tickets.map((x) => x.priorityRank);
      }),
    );
    expect(ranks).toEqual([4, 4, 4]);
    expect(await t.ownerSql(`select distinct priority from tickets where id = any($1)`, [ids])).toEqual([{ priority: 'urgent' }]);
    const updates = statements.filter((s) => /^update "tickets"/.test(s));
    expect(updates.length).toBe(3);
    for (const s of updates) expect(s).toMatch(/"tenant_id" = /);
  });
});

describe('the distribution plan (npm run cli -- citus plan)', () => {
  const plan = () => citusPlan((sql) => t.ownerSql(sql));

  it('distributes every tenant table once, colocated by tenant, the owner-written audit tables in a group of their own', async () => {
    const p = await plan();
    const tables = await tenantTables();
    const distributed = p.statements.flatMap((s) => [...s.matchAll(/create_distributed_table\('(\w+)', 'tenant_id', colocate_with => '(\w+)'\)/g)].map((m) => ({ table: m[1], with: m[2] })));
    expect(distributed.map((d) => d.table).sort()).toEqual([...tables].sort());
    expect(p.groups.find((g) => g.name === 'audit')?.tables.sort()).toEqual(['audit_chain', 'audit_checkpoints', 'audit_events']);
    for (const g of p.groups) {
      const [first, ...rest] = g.tables;
      expect(distributed.find((d) => d.table === first)?.with).toBe('none');
      for (const table of rest) expect(distributed.find((d) => d.table === table)?.with).toBe(first);
    }
    // Vendor support operators are the platform's, pointed at by tenants' support sessions.
    expect(p.reference).toEqual(['support_operators', 'tenants']);
    expect(p.local).toEqual(expect.arrayContaining(['mikro_orm_migrations', 'login_throttle', 'platform_settings']));
  });

  it('orders reference tables, then keys off, parents before children, then every key back', async () => {
    const p = await plan();
    const at = (pattern: RegExp) => p.statements.findIndex((s) => pattern.test(s));
    const position = (table: string) => at(new RegExp(`create_distributed_table\\('${table}'`));
    const firstDistribute = at(/create_distributed_table/);
    expect(at(/create_reference_table\('tenants'\)/)).toBeGreaterThan(-1);
    expect(at(/create_reference_table\('tenants'\)/)).toBeLessThan(firstDistribute);
    const lastDistribute = p.statements.length - 1 - [...p.statements].reverse().findIndex((s) => /create_distributed_table/.test(s));
    // Every key between tenant tables in the catalog: dropped before, added after, parent first.
    const tables = await tenantTables();
    const fks = (await keysOf(tables)).filter((k) => k.kind === 'f' && tables.includes(k.parent as string));
    expect(p.foreignKeys.map((k) => k.name).sort()).toEqual(fks.map((k) => k.name).sort());
    for (const k of fks) {
      expect({ key: k.name, parentFirst: position(k.parent as string) < position(k.table) }).toEqual({ key: k.name, parentFirst: true });
      expect(at(new RegExp(`alter table ${k.table} drop constraint ${k.name};`))).toBeLessThan(firstDistribute);
      const add = at(new RegExp(`alter table ${k.table} add constraint ${k.name} FOREIGN KEY \\(tenant_id,`));
      expect(add).toBeGreaterThan(lastDistribute);
    }
    expect(at(/run_command_on_workers\(\$\$alter role bulwark_app login\$\$\)/)).toBeGreaterThan(lastDistribute);
  });
});

describe('the squashed migrations', () => {
  const quiet = createLogger({ service: 'test' }, () => undefined, 'error');
  const migrateAll = () => migrateDatabase(t.databaseUrl, composeApi(apiPlugins), quiet);

  it('refuses, with a sentence, to migrate a database made by another build instead of failing halfway', async () => {
    // Another build's migration applied, and one of ours pending (as on a database made before the squash).
    await t.ownerSql(`insert into mikro_orm_migrations (name, executed_at) values ('Migration20261121000100Identity', now())`);
    await t.ownerSql(`delete from mikro_orm_migrations where name = 'Migration20261207000500Backups'`);
    try {
      await expect(migrateAll()).rejects.toThrow(/migrated by another build of Bulwark \(1 migration\(s\) this one does not know, e\.g\. Migration20261121000100Identity\)/);
    } finally {
      await t.ownerSql(`insert into mikro_orm_migrations (name, executed_at) values ('Migration20261207000500Backups', now())`);
    }
    // With nothing of ours pending, an extra migration is a plugin this composition leaves out
    // (a server without a feature on a shared database): no refusal.
    try {
      expect((await migrateAll()).applied).toEqual([]);
    } finally {
      await t.ownerSql(`delete from mikro_orm_migrations where name = 'Migration20261121000100Identity'`);
    }
  });
});
