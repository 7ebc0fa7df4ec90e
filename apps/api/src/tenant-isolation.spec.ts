/**
 * The three walls of tenant isolation (DESIGN.md §2), checked on the composed app's real schema.
 * Names follow SECURITY.md.
 */
import { startTestServer, type TestServer } from '@bulwark/platform-api/testing';
import { createPersonas, type TenantPersonas } from '@bulwark/identity-api/testing';
import { withSystemContext } from '@bulwark/platform-api';
import { Ticket } from '@bulwark/tickets-api';
import { apiPlugins } from './plugins';

let t: TestServer;
let a: TenantPersonas;
let b: TenantPersonas;
let bTicket: string;

const CREATE = `mutation($input: CreateTicketInput!) { createTicket(input: $input) { id } }`;

beforeAll(async () => {
  t = await startTestServer(apiPlugins);
  a = await createPersonas(t, 'tenant-a');
  b = await createPersonas(t, 'tenant-b');
  const res = await t.gql<{ createTicket: { id: string } }>(CREATE, { input: { subject: 'B secret', body: 'only B' } }, { token: b.requester.token });
  bTicket = res.data!.createTicket.id;
  await t.gql(CREATE, { input: { subject: 'A ticket', body: 'only A' } }, { token: a.requester.token });
});
afterAll(() => t?.close());

/**
 * Tables with a tenant_id that the runtime role cannot touch at all: only SECURITY DEFINER
 * functions reach them, each for the tenant set in the transaction (the audit chain's heads and
 * retention checkpoints). Listed by name so that a new table cannot skip RLS unnoticed.
 */
const PRIVATE_TABLES = ['audit_chain', 'audit_checkpoints'];

const tenantTables = () =>
  t.ownerSql<{ table_name: string }>(
    `select c.table_name from information_schema.columns c join information_schema.tables tb using (table_schema, table_name)
     where c.table_schema = 'public' and c.column_name = 'tenant_id' and tb.table_type = 'BASE TABLE'
       and not (c.table_name = any($1)) order by 1`,
    [PRIVATE_TABLES],
  );

describe('D5 every tenant table has RLS enabled, forced and a policy; the runtime role cannot bypass it', () => {
  it('covers each table with a tenant_id column', async () => {
    const tables = (await tenantTables()).map((r) => r.table_name);
    expect(tables).toEqual(expect.arrayContaining(['users', 'sessions', 'tickets', 'ticket_comments']));
    const rls = await t.ownerSql<{ relname: string; relrowsecurity: boolean; relforcerowsecurity: boolean; policies: string }>(
      `select c.relname, c.relrowsecurity, c.relforcerowsecurity,
              (select count(*) from pg_policy p where p.polrelid = c.oid)::text as policies
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = 'public' and c.relname = any($1)`,
      [tables],
    );
    expect(rls).toHaveLength(tables.length);
    for (const r of rls) {
      expect({ table: r.relname, enabled: r.relrowsecurity, forced: r.relforcerowsecurity, hasPolicy: Number(r.policies) > 0 }).toEqual({
        table: r.relname,
        enabled: true,
        forced: true,
        hasPolicy: true,
      });
    }
  });

  it('leaves the runtime role no privilege at all on the private tables', async () => {
    const rows = await t.ownerSql<{ table_name: string; any: boolean }>(
      `select table_name, has_table_privilege('bulwark_app', table_name, 'select, insert, update, delete, truncate, references, trigger') as any
       from unnest($1::text[]) as table_name`,
      [PRIVATE_TABLES],
    );
    expect(rows).toEqual(PRIVATE_TABLES.map((table_name) => ({ table_name, any: false })));
    const c = await t.runtimeClient();
    for (const table of PRIVATE_TABLES) await expect(c.query(`select * from ${table}`)).rejects.toThrow(/permission denied/);
  });

  it('runs as a role that is no superuser, owns nothing and has no BYPASSRLS', async () => {
    const [role] = await t.ownerSql<{ rolsuper: boolean; rolbypassrls: boolean; rolcanlogin: boolean; owned: string }>(
      `select rolsuper, rolbypassrls, rolcanlogin,
              (select count(*) from pg_class c where c.relowner = r.oid)::text as owned
       from pg_roles r where rolname = 'bulwark_app'`,
    );
    expect(role).toEqual({ rolsuper: false, rolbypassrls: false, rolcanlogin: false, owned: '0' });
    // And the server's own pool really is that role.
    const [who] = (await t.server.orm.em.getConnection().execute<{ current_user: string }[]>('select current_user'));
    expect(who.current_user).toBe('bulwark_app');
  });
});

describe('D6 with no tenant set, tenant tables return no rows', () => {
  it('returns nothing from any tenant table to the runtime role', async () => {
    const c = await t.runtimeClient();
    for (const { table_name } of await tenantTables()) {
      const { rows } = await c.query(`select count(*)::int as n from "${table_name}"`);
      expect({ table_name, n: rows[0].n }).toEqual({ table_name, n: 0 });
    }
    // while the owner sees that rows exist
    const [{ n }] = await t.ownerSql<{ n: number }>('select count(*)::int as n from tickets');
    expect(n).toBeGreaterThan(1);
  });

  it('makes the ORM filter throw rather than read without a tenant (wall 1)', async () => {
    const em = t.server.orm.em.fork();
    await expect(em.find(Ticket, {})).rejects.toThrow(/tenant/);
  });
});

describe('D7 the tenant setting is transaction-local', () => {
  it('is gone after commit on the same pooled connection', async () => {
    const c = await t.runtimeClient();
    await c.query('begin');
    await c.query(`select set_config('app.tenant_id', $1, true)`, [a.tenantId]);
    const inside = await c.query('select count(*)::int as n from tickets');
    expect(inside.rows[0].n).toBe(1);
    await c.query('commit');
    const after = await c.query(`select current_setting('app.tenant_id', true) as v, (select count(*)::int from tickets) as n`);
    expect(after.rows[0]).toEqual({ v: '', n: 0 });
  });

  it('does not leak between requests of different tenants on the server pool', async () => {
    // Alternate tenants many times over the pool: every answer must be the caller's own tenant.
    const q = `{ tickets { totalCount nodes { subject } } }`;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => t.gql<{ tickets: { nodes: { subject: string }[] } }>(q, {}, { token: (i % 2 ? a : b).agent.token })),
    );
    results.forEach((r, i) => expect(r.data!.tickets.nodes.map((n) => n.subject)).toEqual([i % 2 ? 'A ticket' : 'B secret']));
  });
});

describe('raw SQL as the runtime role cannot touch another tenant', () => {
  it('updates and deletes nothing of tenant B while set to tenant A', async () => {
    const c = await t.runtimeClient();
    await c.query('begin');
    await c.query(`select set_config('app.tenant_id', $1, true)`, [a.tenantId]);
    const upd = await c.query(`update tickets set subject = 'pwned' where id = $1`, [bTicket]);
    const del = await c.query(`delete from tickets where id = $1`, [bTicket]);
    expect([upd.rowCount, del.rowCount]).toEqual([0, 0]);
    // moving a row of A into B is refused by the policy's WITH CHECK
    await expect(c.query(`update tickets set tenant_id = $1`, [b.tenantId])).rejects.toThrow(/row-level security/);
    await c.query('rollback');
    await c.query('begin');
    await c.query(`select set_config('app.tenant_id', $1, true)`, [a.tenantId]);
    await expect(
      c.query(
        `insert into tickets (id, tenant_id, subject, body, status, priority, channel, requester_id, created_at, updated_at)
         values (gen_random_uuid(), $1, 's', 'b', 'new', 'normal', 'api', $2, now(), now())`,
        [b.tenantId, b.requester.id],
      ),
    ).rejects.toThrow(/row-level security/);
    await c.query('rollback');
    const [row] = await t.ownerSql<{ subject: string }>('select subject from tickets where id = $1', [bTicket]);
    expect(row.subject).toBe('B secret');
  });

  it('reads only the tenant of the transaction in a parallel plan too (workers inherit it)', async () => {
    // bulwark_tenant_id() is parallel safe (platform migration 001700) so that large reads, such
    // as a backup's, can use parallel workers. Each worker must still see the leader's tenant.
    const c = await t.runtimeClient();
    const force = async () => {
      for (const [k, v] of [['max_parallel_workers_per_gather', '2'], ['parallel_setup_cost', '0'], ['parallel_tuple_cost', '0'], ['min_parallel_table_scan_size', '0']]) {
        await c.query(`select set_config($1, $2, true)`, [k, v]);
      }
      // force_parallel_mode was renamed debug_parallel_query in PostgreSQL 16.
      await c.query(`select set_config(name, 'on', true) from pg_settings where name in ('force_parallel_mode', 'debug_parallel_query')`);
    };
    await c.query('begin');
    await c.query(`select set_config('app.tenant_id', $1, true)`, [a.tenantId]);
    await force();
    const plan = (await c.query(`explain select id, tenant_id from tickets`)).rows.map((r) => r['QUERY PLAN']).join('\n');
    expect(plan).toMatch(/Gather/);
    const seen = await c.query<{ tenant_id: string }>(`select id, tenant_id from tickets`);
    await c.query('rollback');
    const [own] = await t.ownerSql<{ n: string }>(`select count(*) as n from tickets where tenant_id = $1`, [a.tenantId]);
    expect(seen.rows.length).toBe(Number(own.n));
    expect(new Set(seen.rows.map((r) => r.tenant_id))).toEqual(new Set([a.tenantId]));
    // And with no tenant set, a parallel plan returns nothing either.
    await c.query('begin');
    await force();
    expect((await c.query(`select id from tickets`)).rows).toEqual([]);
    await c.query('rollback');
  });

  it('keeps cross-tenant references out through composite foreign keys', async () => {
    // Even the owner (no RLS for superusers) cannot point A's ticket at B's user.
    await expect(
      t.ownerSql(
        `insert into tickets (id, tenant_id, subject, body, status, priority, channel, requester_id, created_at, updated_at)
         values (gen_random_uuid(), $1, 's', 'b', 'new', 'normal', 'api', $2, now(), now())`,
        [a.tenantId, b.requester.id],
      ),
    ).rejects.toThrow(/foreign key/);
  });

  it('refuses a row whose tenant_id names another tenant (RLS WITH CHECK under the ORM)', async () => {
    await expect(
      withSystemContext(t.server.orm, t.server.app, a.tenantId, 'test', async (ctx) => {
        const ticket = ctx.em.create(Ticket, { subject: 's', body: 'b', requester: b.requester.id, tenantId: b.tenantId } as never);
        await ctx.em.flush();
        return ticket;
      }),
    ).rejects.toThrow(/row-level security|foreign key/);
  });
});

describe('D8 every unique key on tenant data includes tenant_id', () => {
  it('has no unique constraint or index on a tenant table without tenant_id (random uuid primary keys aside)', async () => {
    const rows = await t.ownerSql<{ table: string; index: string; columns: string[]; primary: boolean }>(
      `select tbl.relname as table, idx.relname as index, i.indisprimary as primary,
              array(select a.attname from unnest(i.indkey) k join pg_attribute a on a.attrelid = tbl.oid and a.attnum = k)::text[] as columns
       from pg_index i join pg_class tbl on tbl.oid = i.indrelid join pg_class idx on idx.oid = i.indexrelid
       join pg_namespace n on n.oid = tbl.relnamespace
       where n.nspname = 'public' and i.indisunique and tbl.relname = any($1)`,
      [(await tenantTables()).map((r) => r.table_name)],
    );
    const offenders = rows.filter((r) => !r.columns.includes('tenant_id') && !(r.primary && r.columns.join() === 'id'));
    expect(offenders).toEqual([]);
    expect(rows.length).toBeGreaterThan(4);
  });
});

describe('D4 the tenant comes only from the credential', () => {
  it('ignores tenant hints in headers', async () => {
    const r = await t.gql<{ tickets: { nodes: { subject: string }[] } }>(`{ tickets { nodes { subject } } }`, {}, {
      token: a.agent.token,
      headers: { 'x-tenant-id': b.tenantId, 'x-tenant': 'tenant-b' },
    });
    expect(r.data!.tickets.nodes.map((n) => n.subject)).toEqual(['A ticket']);
  });

  it('refuses a token whose tenant part was changed to another tenant', async () => {
    const hexB = Buffer.from(b.tenantId.replace(/-/g, ''), 'hex').toString('base64url');
    const forged = a.agent.token.slice(0, 4) + hexB + a.agent.token.slice(4 + 22);
    const r = await t.gql(`{ me { id } }`, {}, { token: forged });
    expect(r.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });
});
