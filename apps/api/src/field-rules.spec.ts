/** D3: field rules hold on the concrete type, whichever path reaches it; and B9 for tokens in logs. */
import { startTestServer, type TestServer } from '@bulwark/platform-api/testing';
import { createPersonas, PERSONA_PASSWORD, type Persona, type TenantPersonas } from '@bulwark/identity-api/testing';
import { apiPlugins } from '@bulwark/composition-api';

let t: TestServer;
let a: TenantPersonas;
let ticketId: string;

const TICKET = `query($id: ID!) { ticket(id: $id) { requester { id email phone } assignee { id email } comments { body public author { email } } } }`;
type T = { ticket: { requester: { id: string; email: string; phone: string | null }; assignee: { email: string } | null; comments: { body: string; public: boolean; author: { email: string } }[] } };

beforeAll(async () => {
  t = await startTestServer(apiPlugins);
  a = await createPersonas(t, 'fieldcorp');
  const made = await t.gql<{ createTicket: { id: string } }>(
    `mutation($i: CreateTicketInput!) { createTicket(input: $i) { id } }`,
    { i: { subject: 'PII', body: 'b', requesterId: a.requester.id, assigneeId: a.agent.id } },
    { token: a.agent.token },
  );
  ticketId = made.data!.createTicket.id;
  // The requester gives their phone number (their own profile).
  await t.gql(`mutation { updateMyProfile(input: { name: "requester of fieldcorp", phone: "+1 (555) 010-4477" }) { id } }`, {}, { token: a.requester.token });
  const comment = `mutation($id: ID!, $i: AddCommentInput!) { addComment(ticketId: $id, input: $i) { id } }`;
  await t.gql(comment, { id: ticketId, i: { body: 'public reply' } }, { token: a.agent.token });
  await t.gql(comment, { id: ticketId, i: { body: 'internal note', public: false } }, { token: a.agent.token });
});
afterAll(() => t?.close());

const view = async (p: Persona) => (await t.gql<T>(TICKET, { id: ticketId }, { token: p.token })).data!.ticket;

describe('D3 field rules on every path', () => {
  it('shows full addresses to roles with the PII permission', async () => {
    for (const p of [a.owner, a.admin, a.agent, a.auditor]) {
      const v = await view(p);
      expect(v.requester.email).toBe('requester@fieldcorp.test');
      expect(v.requester.phone).toBe('+1 (555) 010-4477');
      expect(v.comments.map((c) => c.author.email)).toContain('agent@fieldcorp.test');
    }
  });

  it('masks addresses for light agents, on the ticket, its comments and the people list', async () => {
    const v = await view(a.lightAgent);
    expect(v.requester.email).toBe('r***@fieldcorp.test');
    expect(v.requester.phone).toBe('***77');
    expect(v.assignee!.email).toBe('a***@fieldcorp.test');
    expect(v.comments.every((c) => c.author.email === 'a***@fieldcorp.test')).toBe(true);
    const list = await t.gql<{ tickets: { nodes: { requester: { phone: string } }[] } }>(`{ tickets { nodes { requester { phone } } } }`, {}, { token: a.lightAgent.token });
    expect(list.data!.tickets.nodes.map((n) => n.requester.phone)).toEqual(['***77']); // the list's own SQL path
    const people = await t.gql<{ users: { nodes: { email: string }[] } }>(`{ users(page: { limit: 100 }) { nodes { email } } }`, {}, { token: a.lightAgent.token });
    const emails = people.data!.users.nodes.map((n) => n.email);
    expect(emails.filter((e) => !e.includes('***'))).toEqual(['lightagent@fieldcorp.test']);
  });

  it('shows people their own phone number, and refuses a malformed one', async () => {
    const own = await t.gql<{ ticket: { requester: { phone: string } } }>(`query($id: ID!) { ticket(id: $id) { requester { phone } } }`, { id: ticketId }, { token: a.requester.token });
    expect(own.data!.ticket.requester.phone).toBe('+1 (555) 010-4477');
    const bad = await t.gql(`mutation { updateMyProfile(input: { name: "x", phone: "call me maybe" }) { id } }`, {}, { token: a.requester.token });
    expect(bad.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('hides internal notes from requesters and light agents', async () => {
    expect((await view(a.lightAgent)).comments.map((c) => c.body)).toEqual(['public reply']);
    expect((await view(a.requester)).comments.map((c) => c.body)).toEqual(['public reply']);
    expect((await view(a.agent)).comments.map((c) => c.body)).toEqual(['public reply', 'internal note']);
    const note = await t.gql(`mutation($id: ID!) { addComment(ticketId: $id, input: { body: "x", public: false }) { id } }`, { id: ticketId }, { token: a.lightAgent.token });
    expect(note.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });

  it('lets requesters see their own address but not the agent’s', async () => {
    const v = await view(a.requester);
    expect(v.requester.email).toBe('requester@fieldcorp.test');
    expect(v.assignee!.email).toBe('a***@fieldcorp.test');
  });
});

describe('B9 tokens never appear in logs', () => {
  it('keeps session, reset and invitation secrets out of every log line', async () => {
    const login = await t.gql<{ login: { token: string } }>(`mutation($i: LoginInput!) { login(input: $i) { token } }`, {
      i: { tenant: 'fieldcorp', email: 'agent@fieldcorp.test', password: PERSONA_PASSWORD },
    });
    const token = login.data!.login.token;
    await t.gql(`{ me { id } }`, {}, { token });
    await t.gql(`mutation($p: String!) { reauthenticate(password: $p) { token } }`, { p: PERSONA_PASSWORD }, { token });
    await t.gql(`mutation($i: PasswordResetRequestInput!) { requestPasswordReset(input: $i) }`, { i: { tenant: 'fieldcorp', email: 'agent@fieldcorp.test' } });
    await t.gql(`{ tickets { totalCount } }`, {}, { token: 'bws_thisisnotavalidtokenbutlookslikeone0123456789abcdefghijklmnopqrstuvwxyz' });
    const logs = t.logs().join('\n');
    expect(logs.length).toBeGreaterThan(0);
    expect(logs).not.toMatch(/bw[srci]_[A-Za-z0-9_-]{20,}/);
    expect(logs).not.toContain(token.slice(4));
  });

  it('names who acted in the request log line, by ids (read from the operation\'s own copy of the context)', async () => {
    const before = t.logs().length;
    expect((await t.gql('{ me { id } }', {}, { token: a.agent.token })).status).toBe(200);
    const line = t.logs().slice(before).map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'request' && l.path === '/graphql');
    expect(line).toMatchObject({ operation: 'query', tenantId: a.tenantId, userId: a.agent.id, status: 200 });
    expect(JSON.stringify(line)).not.toContain(a.agent.token);
  });
});
