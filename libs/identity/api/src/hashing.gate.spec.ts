/**
 * A8 and D9 together: password hashing is shared fairly between tenants. With one hashing slot,
 * tenant A's burst of sign-ins fills A's own queue (the rest refused at once), and tenant B's
 * sign-in takes the next turn instead of waiting behind the whole burst. Under the former single
 * first-in-first-out queue (256 places for everyone), B waited for every sign-in of A's burst.
 */
import { platformPlugin } from '@bulwark/platform-api';
import { startTestServer, type TestServer } from '@bulwark/platform-api/testing';
import { parse, type OperationDefinitionNode } from 'graphql';
import type { OperationInfo, RequestContext } from '@bulwark/platform-api';
import { FairHashingQueue, hashingQueueOf, tenantKeyOf } from './hashing.gate';
import { newSessionToken, newTenantToken } from './session-token';
import { createPersonas, PERSONA_PASSWORD, type TenantPersonas } from './testing';
import { identityPlugin } from './index';

const LOGIN = `mutation($input: LoginInput!) { login(input: $input) { token } }`;
/** Polls the gate's state: it changes on the server's own event loop, in this process. */
async function until(check: () => boolean, timeoutMs = 20_000): Promise<void> {
  for (const end = Date.now() + timeoutMs; !check(); ) {
    if (Date.now() > end) throw new Error('the hashing queue never reached the expected state');
    await new Promise((r) => setTimeout(r, 5));
  }
}
const code = (r: { errors?: { extensions?: { code?: string } }[] }) => r.errors?.[0]?.extensions?.code;

describe('A8 D9 the password-hashing queue is fair between tenants', () => {
  it('hands a freed slot to the next tenant in turn and bounds each tenant’s queue', async () => {
    const q = new FairHashingQueue(1, 2, 100);
    const order: string[] = [];
    const first = await q.acquire('a');
    const waits = ['a', 'a', 'b', 'c'].map((k, i) => q.acquire(k).then((release) => (order.push(`${k}${i}`), release)));
    await expect(q.acquire('a')).rejects.toMatchObject({ extensions: { code: 'RATE_LIMITED' } }); // a's queue holds 2
    first();
    for (const i of [0, 2, 3, 1]) (await waits[i])(); // each releases as soon as it has its slot
    expect(order).toEqual(['a0', 'b2', 'c3', 'a1']); // a, then b and c in turn, then a again
  });

  it('keeps to the total whatever keys clients invent, yet lets a tenant with none waiting in', async () => {
    const q = new FairHashingQueue(1, 50, 4);
    await q.acquire('x');
    const keys = Array.from({ length: 8 }, (_, i) => `invented${i}`);
    for (const k of keys) void q.acquire(k).catch(() => undefined);
    await expect(q.acquire('invented0')).rejects.toMatchObject({ extensions: { code: 'RATE_LIMITED' } });
    await expect(q.acquire('late')).rejects.toMatchObject({ extensions: { code: 'RATE_LIMITED' } }); // twice the total reached
  });

  it('queues a sign-in under the tenant its credential, its workspace or its link names', () => {
    const tenant = '0b6f5a36-3f0e-4c1e-9d51-7c1d2f7a9e10';
    const op = (query: string, variables: Record<string, unknown> = {}): OperationInfo => {
      const document = parse(query);
      return { type: 'mutation', fields: [], request: { schema: null as never, document, operation: document.definitions[0] as OperationDefinitionNode, variables } };
    };
    const ctx = (token?: string) => ({ credential: token ? { token, source: 'bearer' } : null }) as unknown as RequestContext;
    expect(tenantKeyOf(ctx(newSessionToken(tenant).token), op('mutation { changePassword(input: {}) }'))).toBe(`id:${tenant}`);
    expect(tenantKeyOf(ctx(), op('mutation($i: LoginInput!) { login(input: $i) { token } }', { i: { tenant: ' Acme ', email: 'a@b.c' } }))).toBe('slug:acme');
    expect(tenantKeyOf(ctx(), op('mutation { signUp(input: { tenant: "Acme", email: "a@b.c" }) }'))).toBe('slug:acme');
    expect(tenantKeyOf(ctx(), op('mutation($i: TokenPasswordInput!) { resetPassword(input: $i) }', { i: { token: newTenantToken('bwr_', tenant).token } }))).toBe(`id:${tenant}`);
    expect(tenantKeyOf(ctx('garbage-token-of-no-tenant'), op('mutation { login(input: {}) { token } }'))).toBe('unknown');
  });

  describe('over HTTP, one hashing slot', () => {
    let t: TestServer;
    let a: TenantPersonas;
    let b: TenantPersonas;
    beforeAll(async () => {
      t = await startTestServer([platformPlugin, identityPlugin], { BULWARK_HASH_CONCURRENCY: '1', BULWARK_HASH_QUEUE_PER_TENANT: '4' });
      a = await createPersonas(t, 'floodco');
      b = await createPersonas(t, 'quietco');
    });
    afterAll(() => t?.close());

    it('tenant A floods sign-ins beyond its queue; tenant B signs in promptly, next in turn', async () => {
      // The test holds the one hashing slot while the sign-ins arrive, so what queues, what is
      // refused and who goes next depend on the gate alone, not on how loaded the machine is.
      const queue = hashingQueueOf(t.server.app);
      const [keyA, keyB] = [`slug:${a.slug}`, `slug:${b.slug}`];
      const hold = await queue.acquire('the test');
      const people = [a.owner, a.admin, a.agent, a.requester, a.requester2, a.lightAgent, a.auditor];
      const burst = Array.from({ length: 12 }, (_, i) =>
        t.gql(LOGIN, { input: { tenant: a.slug, email: people[i % people.length].email, password: PERSONA_PASSWORD } }),
      );
      await until(() => queue.waitingOf(keyA) === 4);
      const mine = t.gql(LOGIN, { input: { tenant: b.slug, email: b.agent.email, password: PERSONA_PASSWORD } });
      await until(() => queue.waitingOf(keyB) === 1);
      hold();
      // B's turn comes after the one sign-in of A handed the slot first (A queued first), never
      // after A's whole queue (the old single first-in-first-out queue: all four).
      await until(() => queue.waitingOf(keyB) === 0);
      expect(queue.waitingOf(keyA)).toBe(3);
      const [signedIn, results] = await Promise.all([mine, Promise.all(burst)]);
      expect(signedIn.status).toBe(200);
      expect(signedIn.data).toBeTruthy();
      // A: four queued behind the held slot, the other eight refused at once with 429.
      const refused = results.filter((r) => code(r) === 'RATE_LIMITED');
      expect(refused.length).toBe(8);
      expect(refused.every((r) => r.status === 429 && r.headers.get('retry-after') === '1')).toBe(true);
      expect(results.filter((r) => r.data).length).toBe(4);
    });
  });
});
