/**
 * SECURITY.md E4, E9 and G8 from outside: nothing a client sends produces a 5xx or an error-level
 * log line, and every refusal answers with the code and the HTTP status its kind always has,
 * whichever part of the server refused it (a request guard or a shield rule).
 */
import { startTestServer, type TestServer } from '@bulwark/platform-api/testing';
import { createPersonas, PERSONA_PASSWORD, type TenantPersonas } from '@bulwark/identity-api/testing';
import { connect } from 'node:net';
import { apiPlugins } from '@bulwark/composition-api';

let t: TestServer;
let a: TenantPersonas;

beforeAll(async () => {
  t = await startTestServer(apiPlugins, { BULWARK_TRUST_PROXY_HOPS: '1' });
  a = await createPersonas(t, 'hardened');
});
afterAll(() => t?.close());

interface Answer {
  status: number;
  body: { data?: unknown; errors?: { message: string; extensions?: { code?: string; [k: string]: unknown } }[] };
  headers: Headers;
}

async function post(body: string | object, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(`${t.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: Answer['body'];
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = { errors: [{ message: `not JSON: ${text.slice(0, 200)}` }] };
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

const codes = (r: Answer) => (r.body.errors ?? []).map((e) => e.extensions?.code);
const errorLines = (from: number) => t.logs().slice(from).filter((l) => l.includes('"level":"error"'));
const LOGIN = `mutation($i: LoginInput!) { login(input: $i) { token } }`;

describe('E9 malformed text is refused as a client error', () => {
  it('refuses NUL in variables and in string literals with 400 BAD_USER_INPUT', async () => {
    const mark = t.logs().length;
    const vars = await post({ query: LOGIN, variables: { i: { tenant: 'hardened', email: 'a\u0000b@x.test', password: 'x'.repeat(12) } } });
    expect([vars.status, codes(vars)]).toEqual([400, ['BAD_USER_INPUT']]);
    const literal = await post({ query: `mutation { login(input: { tenant: "hardened", email: "a\\u0000b@x.test", password: "xxxxxxxxxxxxxx" }) { token } }` });
    expect([literal.status, codes(literal)]).toEqual([400, ['BAD_USER_INPUT']]);
    expect(errorLines(mark)).toEqual([]);
  });

  it.each(['login', 'requestPasswordReset', 'signUp'])('refuses a lone UTF-16 surrogate in %s with 400 BAD_USER_INPUT', async (field) => {
    const mark = t.logs().length;
    const email = 'lone\ud800@x.test';
    const query = {
      login: LOGIN,
      requestPasswordReset: `mutation($i: PasswordResetRequestInput!) { requestPasswordReset(input: $i) }`,
      signUp: `mutation($i: SignUpInput!) { signUp(input: $i) }`,
    }[field]!;
    const input = {
      login: { tenant: 'hardened', email, password: 'x'.repeat(14) },
      requestPasswordReset: { tenant: 'hardened', email },
      signUp: { tenant: 'hardened', email, name: 'Lone', password: 'a long enough passphrase' },
    }[field];
    // JSON.stringify writes a lone surrogate as the escape \ud800, as a client library would.
    const r = await post({ query, variables: { i: input } });
    expect([r.status, codes(r)]).toEqual([400, ['BAD_USER_INPUT']]);
    // graphql-js refuses a lone surrogate escape in a literal while parsing.
    const literal = await post({ query: `mutation { requestPasswordReset(input: { tenant: "hardened", email: "a\\ud800@x.test" }) }` });
    expect([literal.status, codes(literal)]).toEqual([400, ['GRAPHQL_PARSE_FAILED']]);
    expect(errorLines(mark)).toEqual([]);
  });

  it('refuses variables nested thousands of levels deep without a stack overflow', async () => {
    const mark = t.logs().length;
    const deep = '{"a":'.repeat(3000) + '1' + '}'.repeat(3000);
    const r = await post(`{"query":"query($v: Boolean) { me @skip(if: $v) { id } }","variables":{"v":${deep}}}`);
    expect(r.status).toBe(400);
    expect(codes(r)).toEqual(['BAD_USER_INPUT']);
    const arrays = await post(`{"query":"query($v: Boolean) { me @skip(if: $v) { id } }","variables":{"v":${'['.repeat(3000)}${']'.repeat(3000)}}}`);
    expect(arrays.status).toBe(400);
    expect(errorLines(mark)).toEqual([]);
  });
});

describe('E9 malformed headers and cookies', () => {
  it('treats a session cookie with a malformed % escape as no credential', async () => {
    const mark = t.logs().length;
    const r = await post({ query: '{ me { id } }' }, { cookie: 'bulwark_session=%E0%A4%A' });
    expect(r.status).toBeLessThan(500);
    expect(codes(r)).toEqual(['UNAUTHENTICATED']);
    expect(errorLines(mark)).toEqual([]);
  });

  it('answers a wrong content type or charset with a 4xx that says what is wrong', async () => {
    const charset = await post('{"query":"{ me { id } }"}', { 'content-type': 'application/json; charset=latin-7' });
    expect(charset.status).toBe(415);
    expect(charset.body.errors?.[0].message).not.toMatch(/internal/i);
    expect(codes(charset)).toEqual(['BAD_REQUEST']);
  });
});

describe('E9 a refusal answers the same whoever refuses', () => {
  afterEach(async () => {
    await t.ownerSql(`update access_settings set lockdown = false, ip_mode = 'off'`);
    await t.ownerSql(`delete from ip_rules`);
    await new Promise((r) => setTimeout(r, 1100)); // the access guard's one-second cache
  });

  it('answers lockdown and network refusals by a request guard with the status a shield refusal has', async () => {
    const shield = await post({ query: '{ auditEvents { hasMore } }' }, { authorization: `Bearer ${a.requester.token}` });
    expect(codes(shield)).toEqual(['FORBIDDEN']);
    await t.ownerSql(
      `insert into access_settings (id, tenant_id, lockdown) values (gen_random_uuid(), $1, true) on conflict (tenant_id) do update set lockdown = true`,
      [a.tenantId],
    );
    await t.ownerSql(`insert into ip_rules (tenant_id, id, cidr, created_at) values ($1, gen_random_uuid(), '203.0.113.0/24', now())`, [a.tenantId]);
    await new Promise((r) => setTimeout(r, 1100));
    const mark = t.logs().length;
    const locked = await post({ query: `mutation { createTicket(input: { subject: "s", body: "b" }) { id } }` }, { authorization: `Bearer ${a.agent.token}` });
    expect(codes(locked)).toEqual(['LOCKDOWN']);
    expect(locked.status).toBe(shield.status);
    await t.ownerSql(`update access_settings set lockdown = false, ip_mode = 'enforce' where tenant_id = $1`, [a.tenantId]);
    await new Promise((r) => setTimeout(r, 1100));
    const network = await post({ query: '{ me { id } }' }, { authorization: `Bearer ${a.agent.token}`, 'x-forwarded-for': '198.51.100.9' });
    expect(codes(network)).toEqual(['FORBIDDEN']);
    expect(network.status).toBe(shield.status);
    expect(errorLines(mark)).toEqual([]);
  });
});

describe('E4 client errors keep their own codes', () => {
  it('answers a persisted-query hash, a subscription and a null for a non-null argument as client errors', async () => {
    const mark = t.logs().length;
    const apq = await post({ query: '{ me { id } }', extensions: { persistedQuery: { version: 1, sha256Hash: 'not-the-hash' } } });
    expect(apq.status).toBeLessThan(500);
    expect(codes(apq)).toEqual(['PERSISTED_QUERY_NOT_SUPPORTED']);
    const sub = await post({ query: 'subscription { __typename }' });
    expect(sub.status).toBe(400);
    expect(codes(sub)).toEqual(['BAD_REQUEST']);
    // Valid as written (a nullable variable may stand where a defaulted non-null argument is), so
    // graphql-js only refuses the null while executing.
    const nullArg = await post({ query: 'query($n: Int) { auditActivity(days: $n) { day } }', variables: { n: null } }, { authorization: `Bearer ${a.admin.token}` });
    expect(nullArg.status).toBeLessThan(500);
    expect(codes(nullArg)).toEqual(['BAD_USER_INPUT']);
    expect(errorLines(mark)).toEqual([]);
  });

  it('says a query is too costly without revealing the limit', async () => {
    const r = await post({ query: '{ auditEvents(first: 1000) { items { id action actorType occurredAt } } }' }, { authorization: `Bearer ${a.admin.token}` });
    expect(r.status).toBe(400);
    const message = r.body.errors?.[0].message ?? '';
    expect(message).not.toMatch(/syntax error|query validation error/i);
    expect(message).toMatch(/too (costly|complex)|ask for (less|fewer)/i);
    expect(message).not.toMatch(/\d{3,}/);
  });

  it('bounds the number of errors in one answer', async () => {
    const directives = Array.from({ length: 60 }, (_, i) => `@unknown${i}`).join(' ');
    const r = await post({ query: `{ me ${directives} { id } }` });
    expect(r.status).toBe(400);
    expect(r.body.errors!.length).toBeLessThanOrEqual(5);
  });
});

describe('G8 sign-in with a well-formed but wrong password is an ordinary refusal', () => {
  it('logs nothing at error level', async () => {
    const mark = t.logs().length;
    const r = await post({ query: LOGIN, variables: { i: { tenant: 'hardened', email: 'agent@hardened.test', password: `${PERSONA_PASSWORD}!` } } });
    expect(r.status).toBe(200);
    expect(codes(r)).toEqual(['UNAUTHENTICATED']);
    expect(errorLines(mark)).toEqual([]);
  });
});

/**
 * Another transaction holds an uncommitted change; `request` runs into it (its key check waits for
 * that transaction), and the other transaction then commits. Waits for the lock rather than for a
 * fixed time, so a loaded machine cannot let the request arrive after the commit.
 */
async function raceWith(change: (sql: (text: string, params?: unknown[]) => Promise<unknown>) => Promise<unknown>, request: () => Promise<Answer>): Promise<Answer> {
  const other = await t.runtimeClient();
  try {
    await other.query('begin');
    await other.query('select bulwark_enter_tenant($1)', [a.tenantId]);
    await change((text, params) => other.query(text, params));
    const answer = request();
    for (const end = Date.now() + 20_000; ; await new Promise((r) => setTimeout(r, 20))) {
      const [{ waiting }] = await t.ownerSql<{ waiting: number }>(
        "select count(*)::int as waiting from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'",
      );
      if (waiting > 0) break;
      if (Date.now() > end) throw new Error('the request never waited for the other transaction');
    }
    await other.query('commit');
    return await answer;
  } finally {
    await other.end();
  }
}

describe('E9 a record changed in the meantime is a conflict to retry, not a server error', () => {
  const gql = (query: string, variables: Record<string, unknown> = {}) => post({ query, variables }, { authorization: `Bearer ${a.admin.token}` });
  const conflictOf = (r: Answer) => ({ status: r.status, code: r.body.errors?.[0].extensions?.code, message: r.body.errors?.[0].message });

  it('answers CONFLICT when a ticket is put in a group that another operation deletes at that moment', async () => {
    const mark = t.logs().length;
    const group = await gql(`mutation($i: TicketGroupInput!) { createTicketGroup(input: $i) { id } }`, { i: { name: 'Vanishing', memberIds: [] } });
    const groupId = (group.body.data as { createTicketGroup: { id: string } }).createTicketGroup.id;
    const ticket = await gql(`mutation { createTicket(input: { subject: "raced", body: "x" }) { id } }`);
    const ticketId = (ticket.body.data as { createTicket: { id: string } }).createTicket.id;
    // Another operation deletes the group and has not committed yet: the service still finds it.
    const r = await raceWith(
      (sql) => sql('delete from ticket_groups where tenant_id = $1 and id = $2', [a.tenantId, groupId]),
      () => gql(`mutation($id: ID!, $g: ID!) { updateTicket(id: $id, input: { groupId: $g }) { id } }`, { id: ticketId, g: groupId }),
    );
    expect(conflictOf(r)).toEqual({ status: 200, code: 'CONFLICT', message: 'Something this change refers to was removed in the meantime: reload and try again' });
    expect(errorLines(mark)).toEqual([]);
  });

  it('answers CONFLICT when two people make the same new requester, or one person two views of one name, at once', async () => {
    const mark = t.logs().length;
    const made = 'Someone else just made the same change: reload and try again';
    // Another ticket for the same new address, not committed yet: this one does not see its account.
    const ticket = await raceWith(
      (sql) => sql("insert into users (tenant_id, id, email, name, role) values ($1, gen_random_uuid(), 'priya@raced.test', 'Priya', 'requester')", [a.tenantId]),
      () =>
        gql(`mutation($i: CreateTicketInput!) { createTicket(input: $i) { id } }`, {
          i: { subject: 'Printer', body: 'It jams', newRequester: { name: 'Priya', email: 'priya@raced.test' } },
        }),
    );
    expect(conflictOf(ticket)).toEqual({ status: 200, code: 'CONFLICT', message: made });
    const me = ((await gql('{ me { id } }')).body.data as { me: { id: string } }).me.id;
    const view = await raceWith(
      (sql) =>
        sql("insert into ticket_saved_views (tenant_id, id, user_id, name, filter, created_at) values ($1, gen_random_uuid(), $2, 'Printers', '{}', now())", [
          a.tenantId,
          me,
        ]),
      () => gql(`mutation { createView(input: { name: "Printers", filter: { tags: ["printer"] } }) { id } }`),
    );
    expect(conflictOf(view)).toEqual({ status: 200, code: 'CONFLICT', message: made });
    // Tried again, the first finds the account the other made; the second is the usual refusal.
    const again = await gql(`mutation($i: CreateTicketInput!) { createTicket(input: $i) { requester { email } } }`, {
      i: { subject: 'Printer', body: 'It jams', newRequester: { name: 'Priya', email: 'priya@raced.test' } },
    });
    expect(again.body).toEqual({ data: { createTicket: { requester: { email: 'priya@raced.test' } } } });
    expect(codes(await gql(`mutation { createView(input: { name: "Printers", filter: {} }) { id } }`))).toEqual(['CONFLICT']);
    expect(errorLines(mark)).toEqual([]);
  });
});

describe('E9 ticket input the database would refuse is refused first, in words', () => {
  const as = (token: string) => (query: string, variables: Record<string, unknown> = {}) => post({ query, variables }, { authorization: `Bearer ${token}` });
  const CREATE = `mutation($i: CreateTicketInput!) { createTicket(input: $i) { id } }`;
  const refused = (r: Answer) => ({ status: r.status, code: codes(r)[0] });

  it('refuses a subject of spaces, lengths counted as PostgreSQL counts them, and HTML that outgrows its column once sanitized', async () => {
    const mark = t.logs().length;
    const requester = as(a.requester.token);
    const admin = as(a.admin.token);
    expect(refused(await requester(CREATE, { i: { subject: ' \t\u00a0\u2003', body: 'b' } }))).toEqual({ status: 200, code: 'BAD_USER_INPUT' });
    // Nothing a person would see: zero-width spaces and marks are blank too.
    expect(refused(await requester(CREATE, { i: { subject: '\u200b\u200b', body: 'b' } }))).toEqual({ status: 200, code: 'BAD_USER_INPUT' });
    expect(refused(await requester(CREATE, { i: { subject: 'Blank body', body: '\u200b \u200e' } }))).toEqual({ status: 200, code: 'BAD_USER_INPUT' });
    expect(refused(await requester(CREATE, { i: { subject: 'Blank body', htmlBody: '<p>\u200b</p>' } }))).toEqual({ status: 200, code: 'BAD_USER_INPUT' });
    const made = await admin(CREATE, { i: { subject: 'Fine', body: 'b' } });
    const id = (made.body.data as { createTicket: { id: string } }).createTicket.id;
    expect(refused(await admin(`mutation($id: ID!) { updateTicket(id: $id, input: { subject: "  " }) { id } }`, { id }))).toEqual({ status: 200, code: 'BAD_USER_INPUT' });
    // A presentation selector (U+FE0F) is a character to PostgreSQL: 200 letters and one are 201.
    const selector = '\uFE0F';
    for (const r of [
      await requester(CREATE, { i: { subject: `${'a'.repeat(200)}${selector}`, body: 'b' } }),
      await requester(`mutation($i: CreateViewInput!) { createView(input: $i) { id } }`, { i: { name: `v${selector}`.repeat(30) + 'v', filter: {} } }),
      await admin(CREATE, { i: { subject: 's', body: 'b', newRequester: { name: `n${selector}`.repeat(100) + 'n', email: 'selector@hardened.test' } } }),
    ]) {
      expect(refused(r)).toEqual({ status: 200, code: 'BAD_USER_INPUT' });
    }
    // 98 KB of links: sanitizing adds rel and target to each, past the 100,000 the column holds.
    const own = await requester(CREATE, { i: { subject: 'Mine', body: 'b' } });
    const mine = (own.body.data as { createTicket: { id: string } }).createTicket.id;
    const links = `${'<a></a>'.repeat(14000)}x`;
    const breaks = `a${'<br>'.repeat(19000)}b`;
    for (const r of [
      await requester(CREATE, { i: { subject: 'Links', htmlBody: links } }),
      await requester(`mutation($id: ID!, $h: String!) { addComment(ticketId: $id, input: { htmlBody: $h }) { id } }`, { id: mine, h: breaks }),
    ]) {
      expect(refused(r)).toEqual({ status: 200, code: 'BAD_USER_INPUT' });
      expect(r.body.errors?.[0].message).toBe('The formatted text is too long: remove some formatting or text');
    }
    // Characters past the BMP count once, as PostgreSQL counts them: 200 emoji are a subject.
    expect(refused(await requester(CREATE, { i: { subject: '😀'.repeat(200), body: 'b' } }))).toEqual({ status: 200, code: undefined });
    expect(errorLines(mark)).toEqual([]);
  });

  it('refuses a date of the year 0000, which PostgreSQL has not, in any filter', async () => {
    const mark = t.logs().length;
    const agent = as(a.agent.token);
    for (const r of [
      await agent(`{ tickets(filter: { createdAfter: "0000-01-01T00:00:00Z" }) { totalCount } }`),
      await agent(`query($d: DateTimeISO!) { tickets(filter: { updatedBefore: $d }) { totalCount } }`, { d: '0000-12-31T23:59:59Z' }),
      await as(a.admin.token)(`{ auditEvents(filter: { from: "0000-06-01T00:00:00Z" }) { items { id } } }`),
    ]) {
      // In the query's text graphql-js refuses it while validating the document; as a variable, as input.
      expect(r.status).toBe(400);
      expect(['GRAPHQL_VALIDATION_FAILED', 'BAD_USER_INPUT']).toContain(codes(r)[0]);
      expect(r.body.errors?.[0].message).toMatch(/between the years 1 and 9999/);
    }
    expect(refused(await agent(`{ tickets(filter: { createdAfter: "0001-01-01T00:00:00Z" }) { totalCount } }`))).toEqual({ status: 200, code: undefined });
    expect(errorLines(mark)).toEqual([]);
  });

  it('an upload the client abandons mid-body is its own mistake, not a database outage', async () => {
    const mark = t.logs().length;
    const { hostname, port } = new URL(t.url);
    const socket = connect(Number(port), hostname);
    await new Promise((r) => socket.once('connect', r));
    socket.write(
      [
        'POST /api/tickets/attachments HTTP/1.1',
        `Host: ${hostname}:${port}`,
        `Authorization: Bearer ${a.requester.token}`,
        'X-Filename: abandoned.txt',
        'Content-Type: application/octet-stream',
        'Content-Length: 100000',
        '',
        'hello',
      ].join('\r\n'),
    );
    await new Promise((r) => setTimeout(r, 300)); // the route is reading the body
    socket.destroy();
    await new Promise((r) => setTimeout(r, 700));
    expect(t.logs().slice(mark).filter((l) => /database unavailable|"level":"error"/.test(l))).toEqual([]);
    // And the server answers as before.
    expect(refused(await as(a.agent.token)('{ me { id } }'))).toEqual({ status: 200, code: undefined });
  });

  it('refuses a kind of file named after an object property', async () => {
    const r = await as(a.admin.token)(`mutation { updateAttachmentSettings(input: { maxBytes: 10000, allowedTypes: ["constructor"] }) { maxBytes } }`);
    expect(refused(r)).toEqual({ status: 200, code: 'BAD_USER_INPUT' });
  });
});
