/**
 * The GraphQL surface as a whole: deny by default (D1), the reviewed permission surface, and
 * API hygiene (SECURITY.md E1-E6, G6).
 */
import { buildApiSchema, composeApi, createApollo, GRAPHQL_LIMITS, ruleSurface, shieldMiddleware, type RequestContext } from '@bulwark/platform-api';
import { startTestServer, type TestServer } from '@bulwark/platform-api/testing';
import { createPersonas, type TenantPersonas } from '@bulwark/identity-api/testing';
import { graphql, GraphQLID, GraphQLObjectType, GraphQLSchema, GraphQLString, isObjectType } from 'graphql';
import { applyMiddleware } from 'graphql-middleware';
import { deny } from 'graphql-shield';
import { apiPlugins } from '@bulwark/composition-api';

let t: TestServer;
let a: TenantPersonas;
let schema: GraphQLSchema;

const api = composeApi(apiPlugins);

beforeAll(async () => {
  t = await startTestServer(apiPlugins);
  a = await createPersonas(t, 'surface');
  schema = await buildApiSchema(api);
});
afterAll(() => t?.close());

const post = (body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${t.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });

describe('the plugins describe their own operations', () => {
  it('describes only root fields that exist (a renamed field cannot leave its traits behind)', () => {
    const fields = new Set([schema.getQueryType(), schema.getMutationType()].flatMap((root) => Object.keys(root!.getFields())));
    expect(api.operations.names.filter((f) => !fields.has(f))).toEqual([]);
    // The traits the kernel and the gates act on, as the plugins declare them.
    expect([...api.operations.with('lockdownExempt')].sort()).toEqual(['login', 'logout', 'reauthenticate', 'setLockdown', 'supportSignIn', 'verifyAuditChain', 'verifyTwoFactor']);
    expect([...api.operations.with('deadlineExempt')]).toEqual(['restoreBackup']);
    expect([...api.operations.with('hashesPassword')].sort()).toEqual(['acceptInvitation', 'changePassword', 'login', 'reauthenticate', 'resetPassword', 'signUp', 'supportSignIn']);
  });
});

describe('D1 deny by default', () => {
  it('gives every root field an explicit rule of its own', () => {
    const missing: string[] = [];
    for (const root of [schema.getQueryType(), schema.getMutationType()]) {
      for (const field of Object.keys(root!.getFields())) {
        const rule = api.rules[root!.name]?.[field];
        if (!rule || rule === deny) missing.push(`${root!.name}.${field}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('gives every object type a rule, so no field falls to the deny fallback by accident', () => {
    const uncovered = Object.values(schema.getTypeMap())
      .filter((ty) => isObjectType(ty) && !ty.name.startsWith('__') && !['Query', 'Mutation'].includes(ty.name))
      .filter((ty) => !api.rules[ty.name])
      .map((ty) => ty.name);
    expect(uncovered).toEqual([]);
  });

  it('records the permission surface: review a change here as a permission change, not a snapshot refresh', () => {
    expect(ruleSurface(schema, api.rules)).toMatchSnapshot();
  });

  it('denies a root field that has no rule', async () => {
    const bare = new GraphQLSchema({ query: new GraphQLObjectType({ name: 'Query', fields: { secret: { type: GraphQLString, resolve: () => 'leaked' } } }) });
    const shielded = applyMiddleware(bare, shieldMiddleware({}));
    const r = await graphql({ schema: shielded, source: '{ secret }', contextValue: {} });
    expect(r.data?.secret ?? null).toBeNull();
    expect(r.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });
});

describe('E1 introspection and field suggestions', () => {
  it('answers introspection outside production and hides "did you mean"', async () => {
    const intro = await (await post({ query: '{ __schema { queryType { name } } }' })).json();
    expect(intro.data.__schema.queryType.name).toBe('Query');
    const typo = await (await post({ query: '{ tickest { totalCount } }' })).json();
    expect(JSON.stringify(typo)).not.toMatch(/Did you mean/i);
  });

  it('refuses introspection in production', async () => {
    const prod = await startTestServer(apiPlugins, {
      NODE_ENV: 'production',
      BULWARK_SECURE_COOKIES: '1',
      BULWARK_SMTP_URL: 'smtp://127.0.0.1:2525',
      BULWARK_PUBLIC_URL: 'https://desk.example',
      BULWARK_MASTER_KEY: 'test-master-key-0123456789abcdef0123456789',
      BULWARK_MAIL_DOMAIN: 'mail.desk.example',
    });
    try {
      const r = await fetch(`${prod.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __schema { types { name } } }' }) });
      expect(r.status).toBe(400);
      expect(JSON.stringify(await r.json())).toMatch(/introspection/i);
    } finally {
      await prod.close();
    }
  });
});

describe('E2 limits, not revealed', () => {
  it('refuses too many aliases, including __typename aliases', async () => {
    const aliases = Array.from({ length: 20 }, (_, i) => `a${i}: __typename`).join(' ');
    const r = await post({ query: `{ ${aliases} }` });
    const body = await r.json();
    expect(r.status).toBe(400);
    expect(JSON.stringify(body)).not.toMatch(/\b15\b/);
  });

  it('refuses queries deeper than the limit', async () => {
    // Our schema has no cycles yet (introspection, which is exempt, aside), so check the limit on
    // a recursive schema served with the same Apollo settings.
    const Node: GraphQLObjectType = new GraphQLObjectType({
      name: 'Node',
      fields: () => ({ id: { type: GraphQLID, resolve: () => '1' }, child: { type: Node, resolve: () => ({}) } }),
    });
    const recursive = new GraphQLSchema({ query: new GraphQLObjectType({ name: 'Query', fields: { node: { type: Node, resolve: () => ({}) } } }) });
    const apollo = createApollo(recursive, { introspection: false, authenticator: { authenticate: async () => undefined }, log: t.server.app.log });
    await apollo.start();
    try {
      const errors: unknown[] = [];
      const query = (depth: number) => `{ node { ${'child { '.repeat(depth - 1)}id${' }'.repeat(depth - 1)} } }`;
      const run = (q: string) => apollo.executeOperation({ query: q }, { contextValue: { requestId: 'r1', log: { error: (m: string, f: unknown) => errors.push([m, f]) } } as unknown as RequestContext });
      const tooDeep = await run(query(GRAPHQL_LIMITS.depth + 2));
      expect(tooDeep.http.status).toBe(400);
      expect(JSON.stringify(tooDeep.body)).not.toContain(String(GRAPHQL_LIMITS.depth));
      // A query within the limit passes validation (it then fails here for want of a database
      // context, which is beside the point).
      expect((await run(query(GRAPHQL_LIMITS.depth - 1))).http.status).not.toBe(400);
    } finally {
      await apollo.stop();
    }
  });

  it('refuses too many tokens and too many directives', async () => {
    const long = `{ ${Array.from({ length: 1600 }, () => '__typename').join(' ')} }`;
    expect((await post({ query: long })).status).toBe(400);
    const directives = `{ __typename ${'@include(if: true) '.repeat(8)} }`;
    expect((await post({ query: directives })).status).toBe(400);
  });

  it('A11 refuses one request with 100 aliased logins', async () => {
    const logins = Array.from({ length: 100 }, (_, i) => `l${i}: login(input: { tenant: "surface", email: "agent@surface.test", password: "guess ${i} guess" }) { token }`).join(' ');
    const r = await post({ query: `mutation { ${logins} }` });
    expect(r.status).toBe(400);
  });
});

describe('E3 batching off, CSRF prevention on, CORS explicit', () => {
  it('refuses batched requests', async () => {
    const r = await post([{ query: '{ __typename }' }, { query: '{ __typename }' }]);
    expect(r.status).toBe(400);
  });

  it('refuses a simple (CSRF-able) request', async () => {
    const r = await fetch(`${t.url}/graphql`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ query: '{ __typename }' }) });
    expect(r.status).toBe(400);
    const get = await fetch(`${t.url}/graphql?query=%7B__typename%7D`);
    expect(get.status).toBe(405);
  });

  it('grants no CORS to an origin that is not listed', async () => {
    const r = await post({ query: '{ __typename }' }, { origin: 'https://evil.example' });
    expect(r.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('E4 errors: masked, with request ids; 400 for parse and validation errors', () => {
  it('answers parse and validation errors with HTTP 400', async () => {
    expect((await post({ query: '{ tickets { ' })).status).toBe(400);
    expect((await post({ query: '{ noSuchField }' })).status).toBe(400);
    expect((await post('{"query": ')).status).toBe(400);
  });

  it('masks unexpected errors to INTERNAL_SERVER_ERROR with the request id', async () => {
    // Break the database under a query: a missing column is an unexpected SQL error.
    t.expectErrors(/"unexpected error".*42703/);
    await t.ownerSql('alter table tickets rename column subject to subject_gone');
    try {
      const r = await post({ query: '{ tickets { nodes { id } } }' }, { authorization: `Bearer ${a.agent.token}` });
      const body = await r.json();
      const requestId = r.headers.get('x-request-id');
      expect(body.errors[0]).toEqual({ message: 'Internal server error', path: ['tickets'], extensions: { code: 'INTERNAL_SERVER_ERROR', requestId } });
      expect(JSON.stringify(body)).not.toMatch(/subject|select|column|stack/i);
    } finally {
      await t.ownerSql('alter table tickets rename column subject_gone to subject');
    }
  });
});

describe('E5 body limit', () => {
  it('refuses bodies over the limit with 413', async () => {
    const r = await post({ query: '{ __typename }', variables: { pad: 'x'.repeat(200_000) } });
    expect(r.status).toBe(413);
  });

  it('runs the runtime role with a statement timeout', async () => {
    const [{ statement_timeout }] = await t.server.orm.em.getConnection().execute<{ statement_timeout: string }[]>('show statement_timeout');
    expect(statement_timeout).toBe('5s');
  });
});

describe('E6 input validation', () => {
  it('refuses unknown input properties and unbounded strings', async () => {
    const auth = { authorization: `Bearer ${a.agent.token}` };
    const unknown = await post({ query: 'mutation($i: CreateTicketInput!) { createTicket(input: $i) { id } }', variables: { i: { subject: 's', body: 'b', evil: 1 } } }, auth);
    expect(unknown.status).toBe(400);
    const long = await (await post({ query: 'mutation($i: CreateTicketInput!) { createTicket(input: $i) { id } }', variables: { i: { subject: 'x'.repeat(201), body: 'b' } } }, auth)).json();
    expect(long.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: { subject: expect.any(String) } });
  });
});

describe('G6 headers', () => {
  it('sets no-store, HSTS and nosniff on API responses', async () => {
    const r = await post({ query: '{ __typename }' });
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect(r.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    expect(r.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
    expect(r.headers.get('x-powered-by')).toBeNull();
  });
});

describe('health and readiness', () => {
  it('answers /healthz 200 and /readyz 200 when migrated', async () => {
    expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${t.url}/readyz`)).status).toBe(200);
  });

  it('answers /readyz 503 while a migration is missing', async () => {
    await t.ownerSql(`delete from mikro_orm_migrations where name like '%Tickets'`);
    try {
      expect((await fetch(`${t.url}/readyz`)).status).toBe(503);
      expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
    } finally {
      await t.ownerSql(`insert into mikro_orm_migrations (name, executed_at) values ('Migration20261207000300Tickets', now())`);
    }
  });
});
