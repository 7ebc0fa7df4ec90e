/**
 * The three walls of tenant isolation (DESIGN.md §2), checked on the composed app's real schema.
 * Names follow SECURITY.md.
 */
import { startTestServer, type GqlResult, type TestServer } from '@bulwark/platform-api/testing';
import { createPersonas, personaPasswordHash, PERSONA_PASSWORD, type TenantPersonas } from '@bulwark/identity-api/testing';
import { buildApiSchema, composeApi, withSystemContext } from '@bulwark/platform-api';
import { createUser } from '@bulwark/identity-api';
import { Ticket } from '@bulwark/tickets-api';
import {
  getNamedType,
  getNullableType,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLOutputType,
  type GraphQLSchema,
} from 'graphql';
import { randomUUID } from 'node:crypto';
import { apiPlugins } from '@bulwark/composition-api';

let t: TestServer;
let a: TenantPersonas;
let b: TenantPersonas;
let bTicket: string;

const CREATE = `mutation($input: CreateTicketInput!) { createTicket(input: $input) { id } }`;

beforeAll(async () => {
  // No scheduled backups: the D2 matrix compares tenant B's rows before and after.
  t = await startTestServer(apiPlugins, { BULWARK_BACKUP_SCHEDULER_SECONDS: '0' });
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
        const ticket = ctx.em.create(Ticket, { number: 1, subject: 's', body: 'b', requester: b.requester.id, tenantId: b.tenantId } as never);
        await ctx.em.flush();
        return ticket;
      }),
    ).rejects.toThrow(/row-level security|foreign key/);
  });
});

// D8 (keys include tenant_id, without exemptions) is in distribution.spec.ts, with the other
// rules of a schema distributed by tenant.

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

/**
 * D2, driven by the schema: every query and mutation that takes an id (as an argument, or nested
 * in an input), called by each role of tenant A (and an API token) with a real id of tenant B and
 * with an id that does not exist, must answer the same and leave B's rows as they were. Ids are
 * found by type (ID) and by name (`…Id`, `…Ids`, `key`, `role`, `…Roles`: role keys are ids too);
 * KIND_OF says what row each one names, so a real one can be made in B. An id the map does not
 * know fails the first test: a new operation cannot be left out.
 */
describe('D2 cross-tenant matrix: every operation that takes an id, for every role', () => {
  type Kind = 'user' | 'suspendedUser' | 'session' | 'apiToken' | 'role' | 'alertRule' | 'auditEvent' | 'backupRun' | 'ticket' | 'group' | 'ssoConnection' | 'supportGrant' | 'supportTicket' | 'quarantine' | 'heldMail' | 'delivery' | 'view' | 'organization' | 'attachment';
  const KIND_OF: Record<string, Kind> = {
    'Query.auditEvent.id': 'auditEvent',
    'Query.ticket.id': 'ticket',
    'UserFilter.ids': 'user',
    'UserFilter.role': 'role',
    'AuditFilter.actorId': 'user',
    'AuditFilter.targetId': 'ticket',
    'TicketFilter.assigneeId': 'user',
    'TicketFilter.requesterId': 'user',
    'TicketFilter.groupId': 'group',
    'TicketFilter.view': 'view',
    'TicketFilter.ids': 'ticket',
    'Mutation.deleteView.id': 'view',
    'Mutation.revokeApiToken.id': 'apiToken',
    'Mutation.unlockUser.id': 'user',
    'Mutation.revokeSession.id': 'session',
    'Mutation.signOutUser.userId': 'user',
    'Mutation.suspendUser.id': 'user',
    'Mutation.reactivateUser.id': 'suspendedUser',
    'Mutation.deleteUser.id': 'user',
    'Mutation.resetTwoFactor.userId': 'user',
    'ChangeRoleInput.id': 'user',
    'ChangeRoleInput.role': 'role',
    'InviteUserInput.role': 'role',
    'IdentitySettingsInput.twoFactorRequiredRoles': 'role',
    'Mutation.updateRole.key': 'role',
    'Mutation.deleteRole.key': 'role',
    'Mutation.updateAlertRule.id': 'alertRule',
    'Mutation.deleteAlertRule.id': 'alertRule',
    'RestoreInput.runId': 'backupRun',
    'Mutation.downloadBackup.runId': 'backupRun',
    'CreateTicketInput.requesterId': 'user',
    'CreateTicketInput.assigneeId': 'user',
    'CreateTicketInput.groupId': 'group',
    'UpdateTicketInput.requesterId': 'user',
    'UpdateTicketInput.assigneeId': 'user',
    'UpdateTicketInput.groupId': 'group',
    'TicketFilter.organizationId': 'organization',
    'Mutation.updateTicket.id': 'ticket',
    'Mutation.deleteTicket.id': 'ticket',
    'Mutation.addComment.ticketId': 'ticket',
    // Uploads (issue 20 §5): only one's own, of one's workspace, not yet on a message.
    'CreateTicketInput.attachmentIds': 'attachment',
    'AddCommentInput.attachmentIds': 'attachment',
    'TicketGroupInput.memberIds': 'user',
    'Mutation.updateTicketGroup.id': 'group',
    'Mutation.deleteTicketGroup.id': 'group',
    'IdentitySettingsInput.ssoRequiredRoles': 'role',
    'Query.ssoConnection.id': 'ssoConnection',
    'Mutation.updateSsoConnection.id': 'ssoConnection',
    'Mutation.deleteSsoConnection.id': 'ssoConnection',
    'Mutation.testSsoConnection.id': 'ssoConnection',
    'SsoRoleRuleInput.role': 'role',
    'SsoGroupRuleInput.groupId': 'group',
    'Mutation.revokeSupportAccess.id': 'supportGrant',
    'Mutation.grantSupportAccess.ticketId': 'supportTicket',
    'Mutation.releaseQuarantine.id': 'quarantine',
    'Mutation.blockQuarantine.id': 'quarantine',
    'Mutation.deleteQuarantinedTickets.id': 'quarantine',
    'Mutation.releaseHeldMail.id': 'heldMail',
    'Mutation.discardHeldMail.id': 'heldMail',
    'Mutation.retryDelivery.id': 'delivery',
    'Query.organization.id': 'organization',
    'Query.organizations.ids': 'organization',
    'Mutation.updateOrganization.id': 'organization',
    'Mutation.deleteOrganization.id': 'organization',
    'Mutation.updateUser.id': 'user',
    'UpdateUserInput.organizationId': 'organization',
    'UserFilter.organizationId': 'organization',
  };
  /**
   * Named like ids but naming no row of a tenant's: the OAuth client id a provider gave the
   * workspace, and vendor support operators (the platform's staff, the same in every tenant).
   */
  const NOT_IDS = new Set(['OidcSettingsInput.clientId', 'SupportGrantInput.operatorIds', 'VendorSupportInput.operatorIds']);
  const ID_NAME = /^(id|ids|key|role)$|(Id|Ids|Roles)$/;
  const ROLES = ['owner', 'admin', 'agent', 'requester', 'lightAgent', 'auditor', 'token'] as const;

  /** Where an id stands: the root field, and the arguments and input fields that lead to it. */
  interface Position {
    type: 'Query' | 'Mutation';
    field: GraphQLField<unknown, unknown>;
    coordinate: string;
    via: string[];
  }

  let schema: GraphQLSchema;
  let positions: Position[];
  let da: TenantPersonas;
  let db: TenantPersonas;
  const rows: Record<'a' | 'b', Record<Kind, string>> = { a: {} as Record<Kind, string>, b: {} as Record<Kind, string> };
  const tokens: Partial<Record<(typeof ROLES)[number], string>> = {};

  function idsIn(type: GraphQLInputType, coordinate: string, via: string[], seen: Set<string>): { coordinate: string; via: string[] }[] {
    const named = getNamedType(type);
    if (isInputObjectType(named)) {
      if (seen.has(named.name)) return [];
      const inner = new Set(seen).add(named.name);
      return Object.values(named.getFields()).flatMap((f) => idsIn(f.type, `${named.name}.${f.name}`, [...via, coordinate], inner));
    }
    const name = coordinate.split('.').pop() as string;
    return !NOT_IDS.has(coordinate) && (named.name === 'ID' || (named.name === 'String' && ID_NAME.test(name))) ? [{ coordinate, via }] : [];
  }

  function walk(): Position[] {
    return (['Query', 'Mutation'] as const).flatMap((type) =>
      Object.values((type === 'Query' ? schema.getQueryType() : schema.getMutationType())!.getFields()).flatMap((field) =>
        field.args.flatMap((arg) => idsIn(arg.type, `${type}.${field.name}.${arg.name}`, [], new Set()).map((p) => ({ type, field, ...p }))),
      ),
    );
  }

  const missing = (kind: Kind) => (kind === 'role' ? `role:${randomUUID()}` : randomUUID());

  /** The value of an argument or input field: the id under test where it stands, else a valid filler (A's own rows for other ids). */
  function fill(type: GraphQLInputType, coordinate: string, at: Position, id: string): unknown {
    const named = getNamedType(type);
    const list = isListType(getNullableType(type));
    if (coordinate === at.coordinate) return list ? [id] : id;
    if (isInputObjectType(named)) {
      const out: Record<string, unknown> = {};
      for (const f of Object.values(named.getFields())) {
        const c = `${named.name}.${f.name}`;
        if (c === at.coordinate || at.via.includes(c) || (isNonNullType(f.type) && f.defaultValue === undefined)) out[f.name] = fill(f.type, c, at, id);
      }
      return list ? [out] : out;
    }
    if (list) return [];
    if (KIND_OF[coordinate]) return rows.a[KIND_OF[coordinate]];
    if (isEnumType(named)) return named.getValues()[0].name;
    const name = coordinate.split('.').pop() as string;
    const filler: Record<string, unknown> = { String: name === 'email' ? 'd2-probe@example.test' : name === 'kind' ? 'failed_logins' : 'D2 probe', Int: 1, Float: 1, Boolean: false, DateTimeISO: new Date().toISOString() };
    return named.name in filler ? filler[named.name] : {};
  }

  /** Every scalar of the answer, one object deep: enough to see a row of B if one came back. */
  function selection(type: GraphQLOutputType, depth = 0): string {
    const named = getNamedType(type);
    if (isLeafType(named)) return '';
    if (!isObjectType(named)) return '{ __typename }';
    const fields = Object.values(named.getFields()).filter((f) => f.args.every((a) => !isNonNullType(a.type) || a.defaultValue !== undefined));
    const parts = fields.flatMap((f) => (isLeafType(getNamedType(f.type)) ? [f.name] : depth < 1 && isObjectType(getNamedType(f.type)) ? [`${f.name} ${selection(f.type, depth + 1)}`] : []));
    return `{ __typename ${parts.join(' ')} }`;
  }

  function call(at: Position, token: string, id: string): Promise<GqlResult> {
    const args = at.field.args.filter((a) => a.name === at.coordinate.split('.')[2] || at.via.includes(`${at.type}.${at.field.name}.${a.name}`) || (isNonNullType(a.type) && a.defaultValue === undefined));
    const decl = args.map((a) => `$${a.name}: ${a.type.toString()}`).join(', ');
    const query = `${at.type === 'Query' ? 'query' : 'mutation'}${decl ? `(${decl})` : ''} { ${at.field.name}${args.length ? `(${args.map((a) => `${a.name}: $${a.name}`).join(', ')})` : ''} ${selection(at.field.type)} }`;
    const variables = Object.fromEntries(args.map((a) => [a.name, fill(a.type, `${at.type}.${at.field.name}.${a.name}`, at, id)]));
    return t.gql(query, variables, { token });
  }

  /** The answer without what differs from call to call anyway: ids, times, one-time links. */
  const answer = (r: GqlResult) =>
    JSON.stringify({ status: r.status, data: r.data, errors: r.errors?.map((e) => ({ message: e.message, code: e.extensions?.code, path: e.path })) })
      .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uuid>')
      .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, '<time>')
      .replace(/bw[a-z]_[A-Za-z0-9_-]+/g, '<token>');

  /** Each of tenant B's rows, table by table, as one hash: read as the owner, so RLS hides nothing. */
  async function fingerprint(tenantId: string): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const { table_name } of [...(await tenantTables()), ...PRIVATE_TABLES.map((table_name) => ({ table_name }))]) {
      const [r] = await t.ownerSql<{ n: string; h: string | null }>(`select count(*) as n, md5(string_agg(x::text, ',' order by x::text)) as h from "${table_name}" x where tenant_id = $1`, [tenantId]);
      out[table_name] = `${r.n}:${r.h}`;
    }
    const [tenant] = await t.ownerSql<{ h: string }>(`select md5(x::text) as h from tenants x where id = $1`, [tenantId]);
    out.tenants = tenant.h;
    return out;
  }

  const gqlOk = async <T>(query: string, variables: Record<string, unknown>, token: string): Promise<T> => {
    const r = await t.gql<T>(query, variables, { token });
    if (!r.data || r.errors) throw new Error(JSON.stringify(r.errors));
    return r.data;
  };
  const sudo = async (token: string) => (await gqlOk<{ reauthenticate: { token: string } }>(`mutation($p: String!) { reauthenticate(password: $p) { token } }`, { p: PERSONA_PASSWORD }, token)).reauthenticate.token;

  /** One real row of each kind in a tenant, made as its people would (or straight in the table). */
  async function rowsOf(p: TenantPersonas): Promise<Record<Kind, string>> {
    const admin = await sudo(p.admin.token);
    p.admin.token = admin;
    const passwordHash = await personaPasswordHash();
    const [user, suspendedUser] = await withSystemContext(t.server.orm, t.server.app, p.tenantId, 'd2 rows', async (ctx) => {
      const made = [await createUser(ctx, { email: `target@${p.slug}.test`, name: 'Target', role: 'agent', passwordHash }), await createUser(ctx, { email: `suspended@${p.slug}.test`, name: 'Suspended', role: 'agent', passwordHash })];
      made[1].status = 'suspended';
      return made.map((u) => u.id);
    });
    const [{ id: session }] = await t.ownerSql<{ id: string }>(`select id from sessions where tenant_id = $1 and user_id = $2`, [p.tenantId, p.agent.id]);
    const apiToken = (await gqlOk<{ createApiToken: { apiToken: { id: string } } }>(`mutation { createApiToken(input: { name: "d2", permissions: [TICKETS_READ] }) { apiToken { id } } }`, {}, admin)).createApiToken.apiToken.id;
    const role = (await gqlOk<{ createRole: { key: string } }>(`mutation { createRole(input: { name: "D2 role", permissions: [TICKETS_READ] }) { key } }`, {}, admin)).createRole.key;
    const alertRule = (await gqlOk<{ createAlertRule: { rule: { id: string } } }>(`mutation { createAlertRule(input: { name: "D2", kind: "failed_logins" }) { rule { id } } }`, {}, admin)).createAlertRule.rule.id;
    const group = (await gqlOk<{ createTicketGroup: { id: string } }>(`mutation($m: [ID!]!) { createTicketGroup(input: { name: "D2 group", memberIds: $m }) { id } }`, { m: [p.agent.id] }, admin)).createTicketGroup.id;
    const ticket = (await gqlOk<{ createTicket: { id: string } }>(`mutation($i: CreateTicketInput!) { createTicket(input: $i) { id } }`, { i: { subject: 'D2', body: 'x', requesterId: p.requester.id, assigneeId: p.agent.id, groupId: group } }, p.agent.token)).createTicket.id;
    const backupRun = randomUUID();
    await t.ownerSql(
      `insert into backup_runs (id, tenant_id, status, trigger, encryption, storage_key, size_bytes, sha256, created_at, finished_at)
       values ($1, $2, 'succeeded', 'manual', 'aes-256-gcm', $3, 1, $4, now(), now())`,
      [backupRun, p.tenantId, `${p.tenantId}/${backupRun}.bwb`, '0'.repeat(64)],
    );
    const ssoConnection = (
      await gqlOk<{ createSsoConnection: { id: string } }>(
        `mutation($i: SsoConnectionInput!) { createSsoConnection(input: $i) { id } }`,
        { i: { name: 'D2 SSO', kind: 'jwt', jwt: { remoteLoginUrl: 'https://intranet.example/sso', sharedSecret: 'a shared secret of at least 32 characters' } } },
        admin,
      )
    ).createSsoConnection.id;
    const support = (
      await gqlOk<{ requestVendorSupport: { id: string; ticketId: string } }>(`mutation { requestVendorSupport(input: { subject: "D2", body: "help" }) { id ticketId } }`, {}, admin)
    ).requestVendorSupport;
    const [{ id: auditEvent }] = await t.ownerSql<{ id: string }>(`select id from audit_events where tenant_id = $1 limit 1`, [p.tenantId]);
    // A spam quarantine holding one ticket (H3), as the watcher leaves it: a release, block or
    // delete that reached it would change both rows.
    const quarantine = randomUUID();
    await t.ownerSql(
      `insert into spam_quarantines (id, tenant_id, subject_kind, subject_key, requester_id, ticket_count, ticket_limit, window_minutes, since, last_held_at, status)
       values ($1, $2, 'requester', $3::text, $3::uuid, 50, 50, 30, now(), now(), 'active')`,
      [quarantine, p.tenantId, p.requester.id],
    );
    await t.ownerSql(
      `insert into tickets (id, tenant_id, subject, body, status, priority, channel, requester_id, created_at, updated_at, quarantine_id)
       values ($1, $2, 'D2 held', 'x', 'new', 'normal', 'api', $3, now(), now(), $4)`,
      [randomUUID(), p.tenantId, p.requester.id, quarantine],
    );
    // An email held because its sender was not verified (H5): a release would file it as a ticket,
    // a discard would drop its raw copy; either would change the row.
    const heldMail = randomUUID();
    await t.ownerSql(
      `insert into mail_messages (id, tenant_id, direction, message_id, from_address, subject, status, reason, raw)
       values ($1, $2, 'in', $3, $4, 'D2 held mail', 'held', 'not verified', $5)`,
      [heldMail, p.tenantId, `${heldMail}@d2.test`, p.requester.email, Buffer.from(`From: ${p.requester.email}\r\nSubject: D2 held mail\r\nMessage-ID: <${heldMail}@d2.test>\r\n\r\nhello\r\n`)],
    );
    // A mail given up on, its payload kept for a retry: a retry that reached it would make it pending.
    const delivery = randomUUID();
    await t.ownerSql(
      `insert into outbox (tenant_id, id, kind, recipient, summary, payload, status, attempts, last_error, next_attempt_at, created_at)
       values ($1, $2, 'platform.mail', $3, 'D2 mail', 'v1.sealed', 'failed', 8, '550 no', now(), now())`,
      [p.tenantId, delivery, p.admin.email],
    );
    // A view saved by the agent (views are per person: the agent's own is the one to reach for).
    const view = (await gqlOk<{ createView: { id: string } }>(`mutation { createView(input: { name: "D2 view", filter: { unassigned: true } }) { id } }`, {}, p.agent.token)).createView.id;
    // An organization with a member: a change or delete that reached it would change both rows.
    const organization = (await gqlOk<{ createOrganization: { id: string } }>(`mutation { createOrganization(input: { name: "D2 org", domains: ["d2-${p.slug}.example"] }) { id } }`, {}, admin)).createOrganization.id;
    await gqlOk(`mutation($id: ID!, $o: ID) { updateUser(id: $id, input: { organizationId: $o }) { id } }`, { id: p.requester.id, o: organization }, admin);
    // An upload not yet on a message, as the upload route leaves it (its requester's).
    const attachment = randomUUID();
    await t.ownerSql(
      `insert into ticket_attachments (id, tenant_id, filename, content_type, size_bytes, sha256, uploaded_by_id, created_at) values ($1, $2, 'd2.png', 'image/png', 1, $3, $4, now())`,
      [attachment, p.tenantId, Buffer.alloc(32), p.requester.id],
    );
    return { view, user, suspendedUser, session, apiToken, role, alertRule, auditEvent, backupRun, ticket, group, ssoConnection, supportGrant: support.id, supportTicket: support.ticketId, quarantine, heldMail, delivery, organization, attachment };
  }

  beforeAll(async () => {
    schema = await buildApiSchema(composeApi(apiPlugins));
    positions = walk();
    da = await createPersonas(t, 'd2-a');
    db = await createPersonas(t, 'd2-b');
    rows.a = await rowsOf(da);
    rows.b = await rowsOf(db);
    // Re-authenticated, so sensitive mutations reach their lookup instead of answering REAUTH_REQUIRED.
    for (const role of ROLES) if (role !== 'token') tokens[role] = da[role].token = await sudo(da[role].token);
    const { me } = await gqlOk<{ me: { permissions: string[] } }>(`{ me { permissions } }`, {}, da.admin.token);
    tokens.token = (await gqlOk<{ createApiToken: { token: string } }>(`mutation($p: [Permission!]!) { createApiToken(input: { name: "d2 all", permissions: $p }) { token } }`, { p: me.permissions }, da.admin.token)).createApiToken.token;
  }, 60_000);

  it('knows what every id in the schema names, so that no operation is left out', () => {
    const unknown = positions.filter((p) => !KIND_OF[p.coordinate]).map((p) => `${p.coordinate} (in ${p.type}.${p.field.name})`);
    // A new id: add it to KIND_OF with the kind of row it names (and a way to make one in rowsOf).
    expect(unknown).toEqual([]);
    const stale = Object.keys(KIND_OF).filter((c) => !positions.some((p) => p.coordinate === c));
    expect(stale).toEqual([]);
    for (const name of ['suspendUser', 'reactivateUser', 'changeUserRole', 'revokeSession', 'deleteRole', 'updateAlertRule', 'deleteAlertRule', 'ticket', 'updateTicket', 'createTicket']) {
      expect(positions.some((p) => p.field.name === name)).toBe(true);
    }
  });

  it.each(ROLES)("%s of A: B's ids answer exactly like ids that do not exist, and B's rows stay as they were", async (role) => {
    const before = await fingerprint(db.tenantId);
    const differ: unknown[] = [];
    for (const at of positions) {
      const kind = KIND_OF[at.coordinate];
      const cross = await call(at, tokens[role]!, rows.b[kind]);
      const absent = await call(at, tokens[role]!, missing(kind));
      const [c, m] = [answer(cross), answer(absent)];
      if (c !== m || cross.status >= 500 || c.includes('INTERNAL_SERVER_ERROR')) differ.push({ at: at.coordinate, crossTenant: JSON.parse(c), missing: JSON.parse(m) });
    }
    expect(differ).toEqual([]);
    expect(await fingerprint(db.tenantId)).toEqual(before);
  });
});
