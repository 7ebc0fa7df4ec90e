/**
 * D12 for tickets: a bulk export runs on the server, needs tickets.export and a recent
 * re-authentication, is audited (and alerted on), and holds only what its maker may see: their
 * ticket scope, people's addresses masked as the list masks them, never another tenant's tickets.
 * The whole composition (custom roles, audit log, alerts) is needed, hence a spec of the app.
 */
import { startTestServer, type GqlResult, type TestServer } from '@bulwark/platform-api/testing';
import { createPersonas, mintSession, PERSONA_PASSWORD, type Persona, type TenantPersonas } from '@bulwark/identity-api/testing';
import { apiPlugins } from '@bulwark/composition-api';

let t: TestServer;
let a: TenantPersonas;
let b: TenantPersonas;

const code = (r: { errors?: { extensions?: { code?: string } }[] }) => r.errors?.[0]?.extensions?.code;
function ok<T>(r: GqlResult<T>): T {
  if (r.errors || !r.data) throw new Error(JSON.stringify(r.errors));
  return r.data;
}

const EXPORT = `mutation($format: ExportFormat!, $filter: TicketFilter) { exportTickets(format: $format, filter: $filter) { url expiresAt } }`;
const CSV_HEADER = 'id,number,subject,status,priority,channel,created_at,updated_at,requester_id,requester_name,requester_email,requester_phone,assignee_id,assignee_name,assignee_email,group_id,body';

async function sudo(p: Persona): Promise<string> {
  const r = ok(await t.gql<{ reauthenticate: { token: string } }>(`mutation($p: String!) { reauthenticate(password: $p) { token } }`, { p: PERSONA_PASSWORD }, { token: p.token }));
  p.token = r.reauthenticate.token;
  return p.token;
}

async function file(p: Persona, format: 'CSV' | 'NDJSON', filter?: object): Promise<{ url: string; status: number; type: string | null; disposition: string | null; text: string }> {
  const { url } = ok(await t.gql<{ exportTickets: { url: string } }>(EXPORT, { format, filter }, { token: p.token })).exportTickets;
  const res = await fetch(`${t.url}${url}`);
  return { url, status: res.status, type: res.headers.get('content-type'), disposition: res.headers.get('content-disposition'), text: await res.text() };
}
const ndjson = (text: string) => text.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown> & { requester: { email: string; phone: string | null } });

async function create(p: Persona, input: Record<string, unknown>): Promise<string> {
  return ok(await t.gql<{ createTicket: { id: string } }>(`mutation($i: CreateTicketInput!) { createTicket(input: $i) { id } }`, { i: input }, { token: p.token })).createTicket.id;
}

beforeAll(async () => {
  t = await startTestServer(apiPlugins);
  a = await createPersonas(t, 'exporter');
  b = await createPersonas(t, 'exported');
  await t.gql(`mutation { updateMyProfile(input: { name: "requester of exporter", phone: "+1 555 010 4477" }) { id } }`, {}, { token: a.requester.token });
  // A's tickets: one with a formula for a subject, one of the second requester, one assigned.
  await create(a.agent, { subject: '=HYPERLINK("http://evil.test")', body: 'line one\nline "two", with a comma', requesterId: a.requester.id });
  await create(a.requester2, { subject: 'Printer jams', body: 'again' });
  await create(a.agent, { subject: 'Assigned one', body: 'x', requesterId: a.requester.id, assigneeId: a.agent.id, priority: 'URGENT' });
  await create(b.agent, { subject: 'B secret ticket', body: 'B body', requesterId: b.requester.id });
});
afterAll(() => t?.close());

describe('D12 bulk exports of tickets: a permission, a recent re-authentication, on the server, audited', () => {
  it('refuses roles without tickets.export, asks admins for their password, and refuses API tokens', async () => {
    for (const p of [a.agent, a.lightAgent, a.auditor, a.requester]) expect(code(await t.gql(EXPORT, { format: 'CSV' }, { token: p.token }))).toBe('FORBIDDEN');
    expect(code(await t.gql(EXPORT, { format: 'CSV' }, { token: a.admin.token }))).toBe('REAUTH_REQUIRED');
    await sudo(a.admin);
    const made = ok(await t.gql<{ createApiToken: { token: string } }>(`mutation { createApiToken(input: { name: "Exporter", permissions: [TICKETS_READ, TICKETS_VIEW_ALL, TICKETS_EXPORT] }) { token } }`, {}, { token: a.admin.token }));
    const refused = await t.gql(EXPORT, { format: 'CSV' }, { token: made.createApiToken.token });
    expect({ code: code(refused), status: refused.status }).toEqual({ code: 'FORBIDDEN', status: 200 });
    // An unknown format is not quietly made CSV.
    expect((await t.gql(EXPORT, { format: 'XLSX' }, { token: a.admin.token })).status).toBe(400);
  });

  it('streams once, as CSV, every ticket the list shows, with formulas defused and the newest first', async () => {
    await sudo(a.admin);
    const csv = await file(a.admin, 'CSV');
    expect(csv.url).toMatch(/^\/api\/tickets\/export\/bwe_[A-Za-z0-9_-]{65}$/);
    expect(csv).toMatchObject({ status: 200, type: 'text/csv; charset=utf-8', disposition: expect.stringMatching(/^attachment; filename="tickets-.*\.csv"$/) });
    const lines = csv.text.split('\r\n');
    expect(lines[0]).toBe(CSV_HEADER);
    const listed = ok(await t.gql<{ tickets: { totalCount: number; nodes: { id: string }[] } }>(`{ tickets(page: { limit: 100 }, sort: { field: CREATED_AT, direction: DESC }) { totalCount nodes { id } } }`, {}, { token: a.admin.token })).tickets;
    // Newest first, like the list by creation; a body with a line break stays one quoted cell.
    expect(csv.text).toContain(`"line one\nline ""two"", with a comma"`);
    expect(csv.text).toContain(`"'=HYPERLINK(""http://evil.test"")"`);
    expect(csv.text.match(/^[0-9a-f-]{36},/gm)?.map((id) => id.slice(0, 36))).toEqual(listed.nodes.map((n) => n.id));
    expect(csv.text).not.toContain('B secret ticket');
    expect((await fetch(`${t.url}${csv.url}`)).status).toBe(404); // once
    expect(t.logs().some((l) => l.includes(csv.url.split('/').pop()!))).toBe(false); // B9: the link is never logged
  });

  it('streams NDJSON in the API shape, applies the filter, and pages through more tickets than a page holds', async () => {
    for (let i = 0; i < 260; i++) await create(a.agent, { subject: `Bulk ${i}`, body: 'x', requesterId: a.requester.id });
    await sudo(a.admin);
    const all = ndjson((await file(a.admin, 'NDJSON')).text);
    expect(all.length).toBe(263);
    expect(new Set(all.map((r) => r.id)).size).toBe(263);
    expect(all.find((r) => r.subject === '=HYPERLINK("http://evil.test")')).toMatchObject({ status: 'NEW', priority: 'NORMAL', channel: 'API', requester: { email: 'requester@exporter.test', phone: '+1 555 010 4477' }, assignee: null });
    const urgent = ndjson((await file(a.admin, 'NDJSON', { priority: ['URGENT'] })).text);
    expect(urgent.map((r) => r.subject)).toEqual(['Assigned one']);
    expect(urgent[0]).toMatchObject({ assignee: { id: a.agent.id, email: 'agent@exporter.test' } });
  });

  it("holds only its maker's scope and readable fields: a custom role without viewAll and viewPii", async () => {
    await sudo(a.admin);
    const role = ok(await t.gql<{ createRole: { key: string } }>(`mutation($i: RoleInput!) { createRole(input: $i) { key } }`, { i: { name: 'Exports own', permissions: ['TICKETS_READ', 'TICKETS_EXPORT'] } }, { token: a.admin.token })).createRole.key;
    ok(await t.gql(`mutation($i: ChangeRoleInput!) { changeUserRole(input: $i) { role } }`, { i: { id: a.lightAgent.id, role } }, { token: a.admin.token }));
    const own: Persona = { ...a.lightAgent, token: await mintSession(t, a.tenantId, a.lightAgent.id) };
    // Their scope is "own": the ticket assigned to them, none of the others.
    const mine = await create(a.agent, { subject: 'Mine to export', body: 'x', requesterId: a.requester.id, assigneeId: a.lightAgent.id });
    await sudo(own);
    const rows = ndjson((await file(own, 'NDJSON')).text);
    expect(rows.map((r) => r.id)).toEqual([mine]);
    // Their own address is theirs to read; without users.viewPii the requester's is masked.
    expect(rows[0]).toMatchObject({ requester: { email: 'r***@exporter.test', phone: '***77' }, assignee: { email: 'lightagent@exporter.test' } });
    const csv = await file(own, 'CSV', { search: 'Mine' });
    expect(csv.text.split('\r\n').filter(Boolean)).toHaveLength(2);
    expect(csv.text).toContain(',r***@exporter.test,***77,');
  });

  it('masks addresses a maker may not read, and stops a link whose maker lost tickets.export', async () => {
    await sudo(a.admin);
    const role = ok(await t.gql<{ createRole: { key: string } }>(`mutation($i: RoleInput!) { createRole(input: $i) { key } }`, { i: { name: 'Exports all, no PII', permissions: ['TICKETS_READ', 'TICKETS_VIEW_ALL', 'TICKETS_EXPORT'] } }, { token: a.admin.token })).createRole.key;
    ok(await t.gql(`mutation($i: ChangeRoleInput!) { changeUserRole(input: $i) { role } }`, { i: { id: a.auditor.id, role } }, { token: a.admin.token }));
    const noPii: Persona = { ...a.auditor, token: await mintSession(t, a.tenantId, a.auditor.id) };
    await sudo(noPii);
    const rows = ndjson((await file(noPii, 'NDJSON', { search: 'HYPERLINK' })).text);
    expect(rows[0].requester).toMatchObject({ email: 'r***@exporter.test', phone: '***77' });
    expect(JSON.stringify(rows)).not.toContain('requester@exporter.test');

    // Made, then the maker is demoted before the download: the link gives nothing.
    const { url } = ok(await t.gql<{ exportTickets: { url: string } }>(EXPORT, { format: 'CSV' }, { token: noPii.token })).exportTickets;
    ok(await t.gql(`mutation($i: ChangeRoleInput!) { changeUserRole(input: $i) { role } }`, { i: { id: a.auditor.id, role: 'agent' } }, { token: a.admin.token }));
    expect((await fetch(`${t.url}${url}`)).status).toBe(404);
  });

  it('is one audit event, and raises an "export" alert', async () => {
    await sudo(b.admin);
    ok(await t.gql(`mutation { createAlertRule(input: { name: "data leaving", kind: "export" }) { rule { id } } }`, {}, { token: b.admin.token }));
    const r = await t.gql<{ exportTickets: { url: string } }>(EXPORT, { format: 'CSV', filter: { status: ['NEW'] } }, { token: b.admin.token });
    const { url } = ok(r).exportTickets;
    const events = await t.ownerSql<{ action: string; actor_id: string; details: Record<string, unknown> }>(`select action, actor_id, details from audit_events where tenant_id = $1 and request_id = $2`, [b.tenantId, r.headers.get('x-request-id')]);
    expect(events).toEqual([{ action: 'tickets.exported', actor_id: b.admin.id, details: { exportId: expect.any(String), format: 'csv', filter: { status: ['new'] } } }]);
    expect(JSON.stringify(events)).not.toContain(url.split('/').pop()!); // B9
    let alerts: { kind: string; title: string }[] = [];
    for (let i = 0; i < 100 && !alerts.length; i++) {
      if (i) await new Promise((res) => setTimeout(res, 50));
      alerts = ok(await t.gql<{ securityAlerts: { kind: string; title: string }[] }>(`{ securityAlerts { kind title } }`, {}, { token: b.admin.token })).securityAlerts;
    }
    expect(alerts).toEqual([{ kind: 'export', title: 'Tickets exported by admin of exported' }]);
  });
});

describe('D2 cross-tenant: an export never reaches another tenant', () => {
  it("gives A nothing of B's, by filter ids or by a link edited to name B", async () => {
    await sudo(a.admin);
    const byB = ndjson((await file(a.admin, 'NDJSON', { requesterId: b.requester.id })).text);
    const missing = ndjson((await file(a.admin, 'NDJSON', { requesterId: '00000000-0000-4000-8000-000000000000' })).text);
    expect(byB).toEqual([]);
    expect(missing).toEqual([]);
    const all = (await file(a.admin, 'CSV')).text;
    expect(all).not.toContain('B secret ticket');
    expect(all).not.toContain(b.requester.id);
    // A's link with its tenant part swapped for B's finds nothing, and B's export is not A's.
    const { url } = ok(await t.gql<{ exportTickets: { url: string } }>(EXPORT, { format: 'CSV' }, { token: a.admin.token })).exportTickets;
    const token = url.split('/').pop()!;
    const other = Buffer.from(b.tenantId.replace(/-/g, ''), 'hex').toString('base64url');
    expect((await fetch(`${t.url}/api/tickets/export/bwe_${other}${token.slice(4 + 22)}`)).status).toBe(404);
    expect((await fetch(`${t.url}${url}`)).status).toBe(200); // the real one still works, once
    await sudo(b.admin);
    expect((await file(b.admin, 'CSV')).text).not.toContain('Printer jams');
  });
});
