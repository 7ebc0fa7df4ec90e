import { platformPlugin } from '@bulwark/platform-api';
import { startTestServer, type TestServer } from '@bulwark/platform-api/testing';
import { identityPlugin } from '@bulwark/identity-api';
import { createPersonas, PERSONA_PASSWORD, type Persona, type TenantPersonas } from '@bulwark/identity-api/testing';
import { ticketsPlugin } from './index';

let t: TestServer;
let a: TenantPersonas;
let b: TenantPersonas;

const TICKET_FIELDS = `id subject body status priority channel createdAt updatedAt requester { id name } assignee { id name }`;
const Q = {
  list: `query($filter: TicketFilter, $sort: TicketSort, $page: PageInput) {
    tickets(filter: $filter, sort: $sort, page: $page) { totalCount nodes { ${TICKET_FIELDS} } } }`,
  get: `query($id: ID!) { ticket(id: $id) { ${TICKET_FIELDS} comments { body public createdAt author { name } } } }`,
  create: `mutation($input: CreateTicketInput!) { createTicket(input: $input) { ${TICKET_FIELDS} } }`,
  update: `mutation($id: ID!, $input: UpdateTicketInput!) { updateTicket(id: $id, input: $input) { ${TICKET_FIELDS} } }`,
  del: `mutation($id: ID!) { deleteTicket(id: $id) }`,
  comment: `mutation($id: ID!, $input: AddCommentInput!) { addComment(ticketId: $id, input: $input) { id body public author { name } } }`,
};

type Ticket = { id: string; subject: string; status: string; priority: string; requester: { id: string }; assignee: { id: string } | null };

async function create(p: Persona, input: Record<string, unknown>): Promise<Ticket> {
  const r = await t.gql<{ createTicket: Ticket }>(Q.create, { input }, { token: p.token });
  if (!r.data) throw new Error(JSON.stringify(r.errors));
  return r.data.createTicket;
}

const code = (r: { errors?: { extensions?: { code?: string } }[] }) => r.errors?.[0]?.extensions?.code;

beforeAll(async () => {
  t = await startTestServer([platformPlugin, identityPlugin, ticketsPlugin]);
  a = await createPersonas(t, 'acme');
  b = await createPersonas(t, 'globex');
});
afterAll(() => t?.close());

describe('tickets: create, read, update, delete', () => {
  it('lets a requester file a ticket for themselves (naming themselves or no one)', async () => {
    const ticket = await create(a.requester, { subject: ' Printer ', body: 'It is on fire' });
    expect(ticket).toMatchObject({ subject: 'Printer', status: 'NEW', priority: 'NORMAL', channel: 'API', requester: { id: a.requester.id }, assignee: null });
    expect((await create(a.requester, { subject: 'Mine too', body: 'x', requesterId: a.requester.id })).requester.id).toBe(a.requester.id);
  });

  it('lets an agent file for a requester and assign a staff member', async () => {
    const ticket = await create(a.agent, { subject: 'Phone', body: 'Call back', requesterId: a.requester2.id, assigneeId: a.agent.id, priority: 'HIGH', channel: 'PHONE' });
    expect(ticket).toMatchObject({ requester: { id: a.requester2.id }, assignee: { id: a.agent.id }, priority: 'HIGH', channel: 'PHONE' });
    const r = await t.gql(Q.create, { input: { subject: 's', body: 'b', assigneeId: a.requester.id } }, { token: a.agent.token });
    expect(code(r)).toBe('BAD_USER_INPUT'); // requesters cannot be assignees
  });

  it('shows requesters only their own tickets, and agents all of them', async () => {
    const mine = await create(a.requester, { subject: 'Mine', body: 'x' });
    const theirs = await create(a.requester2, { subject: 'Theirs', body: 'x' });
    const list = async (p: Persona) =>
      (await t.gql<{ tickets: { nodes: Ticket[] } }>(Q.list, { page: { limit: 100 } }, { token: p.token })).data!.tickets.nodes.map((n) => n.id);
    expect(await list(a.requester)).toContain(mine.id);
    expect(await list(a.requester)).not.toContain(theirs.id);
    expect(await list(a.agent)).toEqual(expect.arrayContaining([mine.id, theirs.id]));
    // "not yours" answers exactly like "does not exist"
    const r = await t.gql(Q.get, { id: theirs.id }, { token: a.requester.token });
    expect(r.errors?.[0]).toMatchObject({ message: 'Ticket not found', extensions: { code: 'NOT_FOUND' } });
  });

  it('updates and deletes by permission: agents update, only admins delete, requesters neither', async () => {
    const ticket = await create(a.requester, { subject: 'Update me', body: 'x' });
    expect(code(await t.gql(Q.update, { id: ticket.id, input: { status: 'SOLVED' } }, { token: a.requester.token }))).toBe('FORBIDDEN');
    const upd = await t.gql<{ updateTicket: Ticket }>(Q.update, { id: ticket.id, input: { status: 'OPEN', assigneeId: a.agent.id, priority: 'URGENT' } }, { token: a.agent.token });
    expect(upd.data!.updateTicket).toMatchObject({ status: 'OPEN', priority: 'URGENT', assignee: { id: a.agent.id } });
    const unassign = await t.gql<{ updateTicket: Ticket }>(Q.update, { id: ticket.id, input: { assigneeId: null } }, { token: a.agent.token });
    expect(unassign.data!.updateTicket.assignee).toBeNull();
    expect(code(await t.gql(Q.del, { id: ticket.id }, { token: a.agent.token }))).toBe('FORBIDDEN');
    expect((await t.gql(Q.del, { id: ticket.id }, { token: a.admin.token })).data).toEqual({ deleteTicket: true });
    expect(code(await t.gql(Q.get, { id: ticket.id }, { token: a.admin.token }))).toBe('NOT_FOUND');
  });

  it('keeps internal notes from requesters', async () => {
    const ticket = await create(a.requester, { subject: 'Notes', body: 'x' });
    await t.gql(Q.comment, { id: ticket.id, input: { body: 'Public reply' } }, { token: a.agent.token });
    await t.gql(Q.comment, { id: ticket.id, input: { body: 'Internal note', public: false } }, { token: a.agent.token });
    expect(code(await t.gql(Q.comment, { id: ticket.id, input: { body: 'sneaky', public: false } }, { token: a.requester.token }))).toBe('FORBIDDEN');
    const asRequester = await t.gql<{ ticket: { comments: { body: string }[] } }>(Q.get, { id: ticket.id }, { token: a.requester.token });
    expect(asRequester.data!.ticket.comments.map((c) => c.body)).toEqual(['Public reply']);
    const asAgent = await t.gql<{ ticket: { comments: { body: string }[] } }>(Q.get, { id: ticket.id }, { token: a.agent.token });
    expect(asAgent.data!.ticket.comments.map((c) => c.body)).toEqual(['Public reply', 'Internal note']);
  });

  it('refuses anonymous callers with UNAUTHENTICATED', async () => {
    expect(code(await t.gql(Q.list))).toBe('UNAUTHENTICATED');
    expect(code(await t.gql(Q.create, { input: { subject: 's', body: 'b' } }))).toBe('UNAUTHENTICATED');
  });
});

describe('D14 an argument the caller may not use is refused with FORBIDDEN, never silently ignored', () => {
  const made = (subject: string) => t.ownerSql<{ n: number }>('select count(*)::int as n from tickets where subject = $1', [subject]);

  /** An integration's token that may file tickets but not set their requester (no tickets.update). */
  async function fileOnlyToken(): Promise<string> {
    const sudo = await t.gql<{ reauthenticate: { token: string } }>(`mutation($p: String!) { reauthenticate(password: $p) { token } }`, { p: PERSONA_PASSWORD }, { token: a.admin.token });
    a.admin.token = sudo.data!.reauthenticate.token;
    const r = await t.gql<{ createApiToken: { token: string } }>(
      `mutation { createApiToken(input: { name: "Web form", permissions: [TICKETS_CREATE, TICKETS_READ] }) { token } }`,
      {},
      { token: a.admin.token },
    );
    return r.data!.createApiToken.token;
  }

  it("refuses an API token's requesterId without the permission to set one, and files nothing", async () => {
    const token = await fileOnlyToken();
    const r = await t.gql(Q.create, { input: { subject: 'For the requester', body: 'x', requesterId: a.requester.id } }, { token });
    expect(r.errors?.[0]).toMatchObject({ extensions: { code: 'FORBIDDEN' } });
    expect(r.status).toBeLessThan(500);
    expect(await made('For the requester')).toEqual([{ n: 0 }]);
    // Without it, or naming its own creator, the ticket is the creator's, as it always was.
    const own = await t.gql<{ createTicket: Ticket }>(Q.create, { input: { subject: 'From the form', body: 'x' } }, { token });
    expect(own.data!.createTicket.requester.id).toBe(a.admin.id);
    const named = await t.gql<{ createTicket: Ticket }>(Q.create, { input: { subject: 'From the form', body: 'x', requesterId: a.admin.id } }, { token });
    expect(named.data!.createTicket.requester.id).toBe(a.admin.id);
  });

  it('refuses requesterId, assigneeId and groupId from roles that may file but not route tickets', async () => {
    for (const p of [a.requester, a.lightAgent]) {
      for (const extra of [{ requesterId: a.requester2.id }, { assigneeId: a.agent.id }, { groupId: '00000000-0000-4000-8000-000000000000' }]) {
        const subject = `Routed by ${p.role} ${Object.keys(extra)[0]}`;
        expect(code(await t.gql(Q.create, { input: { subject, body: 'x', ...extra } }, { token: p.token }))).toBe('FORBIDDEN');
        expect(await made(subject)).toEqual([{ n: 0 }]);
      }
    }
  });

  it('refuses null for a field every ticket has, instead of skipping it (or failing with a 500)', async () => {
    const ticket = await create(a.agent, { subject: 'Keeps its fields', body: 'x' });
    for (const field of ['subject', 'body', 'status', 'priority', 'requesterId']) {
      const r = await t.gql(Q.update, { id: ticket.id, input: { [field]: null, priority: field === 'priority' ? null : 'HIGH' } }, { token: a.agent.token });
      expect({ field, code: code(r), status: r.status }).toEqual({ field, code: 'BAD_USER_INPUT', status: 200 });
    }
    expect(await t.ownerSql('select subject, priority from tickets where id = $1', [ticket.id])).toEqual([{ subject: 'Keeps its fields', priority: 'normal' }]);
  });

  it('applies every list filter given: "unassigned" with an assignee matches nothing, it does not drop the assignee', async () => {
    await create(a.agent, { subject: 'D14 filter assigned', body: 'x', assigneeId: a.agent.id });
    await create(a.agent, { subject: 'D14 filter unassigned', body: 'x' });
    const r = await t.gql<{ tickets: { nodes: Ticket[] } }>(Q.list, { filter: { search: 'D14 filter', unassigned: true, assigneeId: a.agent.id } }, { token: a.agent.token });
    expect(r.data!.tickets.nodes).toEqual([]);
  });
});

describe('tickets: list filters, sort, paging', () => {
  let ids: string[];
  beforeAll(async () => {
    ids = [];
    for (const [i, priority] of ['LOW', 'URGENT', 'NORMAL', 'HIGH'].entries()) {
      ids.push((await create(b.agent, { subject: `Sortable ${i}`, body: 'x', priority, requesterId: b.requester.id, assigneeId: i % 2 ? b.agent.id : undefined })).id);
    }
  });
  const list = async (vars: Record<string, unknown>) =>
    (await t.gql<{ tickets: { totalCount: number; nodes: Ticket[] } }>(Q.list, vars, { token: b.agent.token })).data!.tickets;

  it('sorts by priority by meaning and pages with a total count', async () => {
    const first = await list({ filter: { search: 'Sortable' }, sort: { field: 'PRIORITY', direction: 'DESC' }, page: { limit: 2 } });
    expect(first.totalCount).toBe(4);
    expect(first.nodes.map((n) => n.priority)).toEqual(['URGENT', 'HIGH']);
    const second = await list({ filter: { search: 'Sortable' }, sort: { field: 'PRIORITY', direction: 'DESC' }, page: { limit: 2, offset: 2 } });
    expect(second.nodes.map((n) => n.priority)).toEqual(['NORMAL', 'LOW']);
    // past the last page there is no row to carry the total; it is still right
    const beyond = await list({ filter: { search: 'Sortable' }, page: { limit: 2, offset: 10 } });
    expect(beyond).toEqual({ totalCount: 4, nodes: [] });
  });

  it('filters by status, priority, assignee and unassigned', async () => {
    expect((await list({ filter: { search: 'Sortable', priority: ['LOW', 'HIGH'] } })).totalCount).toBe(2);
    expect((await list({ filter: { search: 'Sortable', assigneeId: b.agent.id } })).totalCount).toBe(2);
    expect((await list({ filter: { search: 'Sortable', unassigned: true } })).totalCount).toBe(2);
    expect((await list({ filter: { search: 'Sortable', status: ['CLOSED'] } })).totalCount).toBe(0);
    expect((await list({ filter: { search: 'sortable 3' } })).nodes.map((n) => n.id)).toEqual([ids[3]]);
    // LIKE wildcards in the search are literal
    expect((await list({ filter: { search: '%' } })).totalCount).toBe(0);
  });

  it('SECURITY.md E2: enforces the maximum page size', async () => {
    const r = await t.gql(Q.list, { page: { limit: 101 } }, { token: b.agent.token });
    expect(code(r)).toBe('BAD_USER_INPUT');
  });
});

describe('tickets: SQL statements per list request do not grow with the page size', () => {
  it('sends the same statements at page sizes 10, 50 and 100', async () => {
    const c = await create(a.agent, { subject: 'seed', body: 'x' });
    expect(c.id).toBeDefined();
    // enough tickets with distinct requesters and assignees to fill 100 rows
    const requesters = [a.requester, a.requester2, a.admin, a.agent, a.owner];
    for (let i = 0; i < 100; i++) {
      await create(a.agent, { subject: `bulk ${i}`, body: 'x', requesterId: requesters[i % 5].id, assigneeId: i % 3 ? a.agent.id : a.admin.id });
    }
    const counts: Record<number, number> = {};
    for (const limit of [10, 50, 100]) {
      const { result, statements } = await t.countStatements(() => t.gql<{ tickets: { nodes: unknown[] } }>(Q.list, { page: { limit } }, { token: a.agent.token }));
      expect(result.data!.tickets.nodes).toHaveLength(limit);
      counts[limit] = statements.length;
    }
    expect(counts[50]).toBe(counts[10]);
    expect(counts[100]).toBe(counts[10]);
    // begin, session, the page with its people and total, commit
    expect(counts[10]).toBe(4);
  });
});

describe('D2 cross-tenant matrix: tenant A never reaches tenant B by id', () => {
  let bTicket: Ticket;
  let before: unknown[];
  const snapshotB = () =>
    t.ownerSql(`select t.*, (select json_agg(c order by c.id) from ticket_comments c where c.ticket_id = t.id) as comments
                from tickets t where t.tenant_id = $1 order by t.id`, [b.tenantId]);

  beforeAll(async () => {
    bTicket = await create(b.agent, { subject: 'B only', body: 'secret', requesterId: b.requester.id, assigneeId: b.agent.id });
    await t.gql(Q.comment, { id: bTicket.id, input: { body: 'B reply' } }, { token: b.agent.token });
    before = await snapshotB();
  });
  afterAll(async () => {
    expect(await snapshotB()).toEqual(before);
  });

  const missing = '00000000-0000-4000-8000-000000000000';
  const ops: [string, (id: string) => [string, Record<string, unknown>]][] = [
    ['ticket', (id) => [Q.get, { id }]],
    ['updateTicket', (id) => [Q.update, { id, input: { subject: 'hijack', status: 'CLOSED' } }]],
    ['deleteTicket', (id) => [Q.del, { id }]],
    ['addComment', (id) => [Q.comment, { id, input: { body: 'hijack' } }]],
  ];

  for (const role of ['owner', 'admin', 'agent', 'requester'] as const) {
    for (const [name, op] of ops) {
      it(`${role} of A: ${name} with B's id answers exactly like a missing id`, async () => {
        const token = a[role].token;
        const [q, vars] = op(bTicket.id);
        const [q2, vars2] = op(missing);
        const cross = await t.gql(q, vars, { token });
        const absent = await t.gql(q2, vars2, { token });
        const shape = (r: typeof cross) => ({ status: r.status, data: r.data, errors: r.errors?.map((e) => ({ message: e.message, code: e.extensions?.code })) });
        expect(shape(cross)).toEqual(shape(absent));
        // requesters lack update/delete: FORBIDDEN comes before any lookup, for both ids alike
        expect(['NOT_FOUND', 'FORBIDDEN']).toContain(code(cross));
      });
    }

    it(`${role} of A: ids of B's people nested in inputs are not found`, async () => {
      const token = a[role].token;
      const own = await create(a.agent, { subject: 'A own', body: 'x' });
      for (const input of [{ requesterId: b.requester.id }, { assigneeId: b.agent.id }]) {
        const onCreate = await t.gql(Q.create, { input: { subject: 's', body: 'b', ...input } }, { token });
        const onUpdate = await t.gql(Q.update, { id: own.id, input }, { token });
        for (const r of [onCreate, onUpdate]) {
          // requesters may not name another requester or an assignee (D14), whoever's id it is
          expect(code(r)).toBe(role === 'requester' ? 'FORBIDDEN' : 'NOT_FOUND');
        }
      }
    });
  }

  it('B lists nothing of A and A lists nothing of B', async () => {
    const aList = (await t.gql<{ tickets: { nodes: Ticket[] } }>(Q.list, { page: { limit: 100 } }, { token: a.owner.token })).data!.tickets.nodes;
    expect(aList.map((n) => n.id)).not.toContain(bTicket.id);
    expect(aList.every((n) => n.subject !== 'B only')).toBe(true);
  });
});

describe('groups of staff', () => {
  const CREATE_GROUP = `mutation($i: TicketGroupInput!) { createTicketGroup(input: $i) { id name memberIds } }`;
  const UPDATE_GROUP = `mutation($id: ID!, $i: TicketGroupInput!) { updateTicketGroup(id: $id, input: $i) { id name memberIds } }`;
  const GROUPS = `{ ticketGroups { id name memberIds } }`;

  it('are made by admins from staff only, listed to staff, and given to tickets; B never reaches A', async () => {
    expect(code(await t.gql(CREATE_GROUP, { i: { name: 'Billing', memberIds: [] } }, { token: a.agent.token }))).toBe('FORBIDDEN');
    expect(code(await t.gql(CREATE_GROUP, { i: { name: 'Billing', memberIds: [a.requester.id] } }, { token: a.admin.token }))).toBe('BAD_USER_INPUT');
    expect(code(await t.gql(CREATE_GROUP, { i: { name: 'Billing', memberIds: [b.agent.id] } }, { token: a.admin.token }))).toBe('NOT_FOUND');
    const g = (await t.gql<{ createTicketGroup: { id: string; memberIds: string[] } }>(CREATE_GROUP, { i: { name: 'Billing', memberIds: [a.agent.id] } }, { token: a.admin.token })).data!.createTicketGroup;
    expect(g.memberIds).toEqual([a.agent.id]);
    expect(code(await t.gql(CREATE_GROUP, { i: { name: 'Billing', memberIds: [] } }, { token: a.admin.token }))).toBe('CONFLICT');
    const listed = await t.gql<{ ticketGroups: { id: string }[] }>(GROUPS, {}, { token: a.agent.token });
    expect(listed.data!.ticketGroups.map((x) => x.id)).toContain(g.id);
    expect(code(await t.gql(GROUPS, {}, { token: a.requester.token }))).toBe('FORBIDDEN');
    expect((await t.gql<{ ticketGroups: unknown[] }>(GROUPS, {}, { token: b.admin.token })).data!.ticketGroups).toEqual([]);

    const ticket = await create(a.agent, { subject: 'Invoice wrong', body: 'x', groupId: g.id } as Record<string, unknown>);
    const got = await t.gql<{ ticket: { groupId: string } }>(`query($id: ID!) { ticket(id: $id) { groupId } }`, { id: ticket.id }, { token: a.agent.token });
    expect(got.data!.ticket.groupId).toBe(g.id);
    const filtered = await t.gql<{ tickets: { nodes: { id: string; groupId: string }[] } }>(`query($f: TicketFilter) { tickets(filter: $f) { nodes { id groupId } } }`, { f: { groupId: g.id } }, { token: a.agent.token });
    expect(filtered.data!.tickets.nodes).toEqual([{ id: ticket.id, groupId: g.id }]);
    // Requesters cannot route tickets; another tenant's group is not found; B cannot edit A's group.
    expect(code(await t.gql(Q.create, { input: { subject: 's', body: 'b', groupId: g.id } }, { token: a.requester.token }))).toBe('FORBIDDEN');
    const bGroup = (await t.gql<{ createTicketGroup: { id: string } }>(CREATE_GROUP, { i: { name: 'B team', memberIds: [] } }, { token: b.admin.token })).data!.createTicketGroup;
    expect(code(await t.gql(Q.update, { id: ticket.id, input: { groupId: bGroup.id } }, { token: a.agent.token }))).toBe('NOT_FOUND');
    expect(code(await t.gql(UPDATE_GROUP, { id: g.id, i: { name: 'Hijack', memberIds: [] } }, { token: b.admin.token }))).toBe('NOT_FOUND');
    expect(code(await t.gql(`mutation($id: ID!) { deleteTicketGroup(id: $id) }`, { id: g.id }, { token: b.admin.token }))).toBe('NOT_FOUND');

    // Renaming and changing members; deleting keeps the tickets, without a group.
    const upd = await t.gql<{ updateTicketGroup: { name: string; memberIds: string[] } }>(UPDATE_GROUP, { id: g.id, i: { name: 'Billing & refunds', memberIds: [a.agent.id, a.lightAgent.id] } }, { token: a.admin.token });
    expect(upd.data!.updateTicketGroup).toMatchObject({ name: 'Billing & refunds', memberIds: [a.agent.id, a.lightAgent.id].sort() });
    expect((await t.gql(`mutation($id: ID!) { deleteTicketGroup(id: $id) }`, { id: g.id }, { token: a.admin.token })).data).toEqual({ deleteTicketGroup: true });
    const after = await t.gql<{ ticket: { groupId: string | null } }>(`query($id: ID!) { ticket(id: $id) { groupId } }`, { id: ticket.id }, { token: a.agent.token });
    expect(after.data!.ticket.groupId).toBeNull();
  });
});

describe('one transaction per operation, a savepoint per mutation field', () => {
  it('keeps the fields before a failing mutation field and drops the failing one', async () => {
    const own = await create(a.agent, { subject: 'untouched', body: 'x' });
    const r = await t.gql(
      `mutation($own: ID!) {
         ok: createTicket(input: { subject: "kept by its savepoint", body: "x" }) { id }
         partly: updateTicket(id: $own, input: { subject: "changed then undone", assigneeId: "00000000-0000-4000-8000-000000000001" }) { id } }`,
      { own: own.id },
      { token: a.agent.token },
    );
    // The failing field is non-null, so GraphQL nulls `data`; the database tells what happened.
    expect(code(r)).toBe('NOT_FOUND');
    expect(await t.ownerSql('select count(*)::int as n from tickets where subject = $1', ['kept by its savepoint'])).toEqual([{ n: 1 }]);
    expect(await t.ownerSql('select subject from tickets where id = $1', [own.id])).toEqual([{ subject: 'untouched' }]);
  });
});
