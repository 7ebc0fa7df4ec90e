import { startTestServer, type TestServer } from '@bulwark/platform-api/testing';
import { createPersonas, type Persona, type TenantPersonas } from '@bulwark/identity-api/testing';
import { apiPlugins } from '@bulwark/composition-api';

/**
 * A ticket's history (issue 20) is its audit events in words: it needs the audit feature, so it is
 * tested on the whole app. Names, never ids; staff only; another tenant's events never appear.
 */
let t: TestServer;
let a: TenantPersonas;
let b: TenantPersonas;

type Result<T> = { data?: T | null; errors?: { extensions?: { code?: string } }[] };
const gql = <T>(p: Persona, query: string, variables: Record<string, unknown> = {}) => t.gql<T>(query, variables, { token: p.token }) as Promise<Result<T>>;
const history = (p: Persona, id: string) =>
  gql<{ ticket: { history: { actorName: string; summary: string }[] } }>(p, `query($id: ID!) { ticket(id: $id) { history { at actorName summary } } }`, { id });

beforeAll(async () => {
  t = await startTestServer(apiPlugins);
  a = await createPersonas(t, 'history-a');
  b = await createPersonas(t, 'history-b');
});
afterAll(() => t?.close());

describe("a ticket's history", () => {
  it('says each change in words, with names and never ids', async () => {
    const made = await gql<{ createTicket: { id: string } }>(a.agent, `mutation($i: CreateTicketInput!) { createTicket(input: $i) { id } }`, {
      i: { subject: 'Moves', body: 'b', requesterId: a.requester.id },
    });
    const id = made.data!.createTicket.id;
    const group = await gql<{ createTicketGroup: { id: string } }>(a.admin, `mutation($m: [ID!]!) { createTicketGroup(input: { name: "Billing", memberIds: $m }) { id } }`, { m: [a.agent.id] });
    const r = await gql(a.agent, `mutation($id: ID!, $input: UpdateTicketInput!) { updateTicket(id: $id, input: $input) { id } }`, {
      id,
      input: { requesterId: a.requester2.id, assigneeId: a.agent.id, status: 'PENDING', tags: ['moved'], groupId: group.data!.createTicketGroup.id },
    });
    expect(r.errors).toBeUndefined();
    await gql(a.agent, `mutation($id: ID!) { addComment(ticketId: $id, input: { body: "Done", status: SOLVED }) { id } }`, { id });
    const lines = (await history(a.agent, id)).data!.ticket.history.map((e) => `${e.actorName}: ${e.summary}`);
    expect(lines[0]).toBe('agent of history-a: Created the ticket for requester of history-a');
    expect(lines[1]).toContain('changed the status from New to Pending');
    expect(lines[1]).toContain('changed the requester from requester of history-a to requester2 of history-a');
    expect(lines[1]).toContain('assigned it to agent of history-a');
    expect(lines[1]).toContain('put it in the group Billing');
    expect(lines[1]).toMatch(/Tagged it moved/);
    expect(lines[2]).toBe('agent of history-a: Changed the status from Pending to Solved');
    expect(lines.join('\n')).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-/);
    // Staff only: the requester is refused; another tenant cannot reach the ticket at all.
    expect((await history(a.requester2, id)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await history(b.owner, id)).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});
