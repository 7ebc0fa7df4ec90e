/**
 * Alerts through the outbox (SECURITY.md G5, G9; issue 19 §3, §4): an alert and its deliveries
 * (the rule's webhook, the operators' webhook, mail) are written in the transaction of the events
 * that raise it, failed sign-ins included, and sent by jobs with retries; the delivery log shows
 * them to the workspace's admins only (D-section isolation).
 */
import { memoryMailSender, platformPlugin } from '@bulwark/platform-api';
import { eventually, startTestServer, type GqlResult, type TestServer } from '@bulwark/platform-api/testing';
import { identityPlugin } from '@bulwark/identity-api';
import { createPersonas, type TenantPersonas } from '@bulwark/identity-api/testing';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DeliveryView } from './deliveries.types';
import { auditPlugin, verifyWebhook } from './index';

const mail = memoryMailSender();
const OPERATOR_SECRET = 'operator-secret-0123456789abcdef0123456789';
let t: TestServer;
let a: TenantPersonas;
let b: TenantPersonas;

interface Hit {
  headers: Record<string, string>;
  body: string;
}
/** An HTTP receiver whose answer a test chooses (204 by default). */
interface Receiver {
  url: string;
  hits: Hit[];
  answer: number;
  server: Server;
}
async function receiver(port = 0): Promise<Receiver> {
  const r = { hits: [] as Hit[], answer: 204 } as Receiver;
  r.server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      if (r.answer < 300) r.hits.push({ headers: flat(req.headers), body });
      res.writeHead(r.answer).end();
    });
  });
  await new Promise<void>((ok) => r.server.listen(port, '127.0.0.1', ok));
  r.url = `http://127.0.0.1:${(r.server.address() as AddressInfo).port}/hook`;
  return r;
}
const flat = (h: IncomingHttpHeaders) => Object.fromEntries(Object.entries(h).map(([k, v]) => [k, String(v)]));
const close = (r: Receiver) => new Promise((ok) => r.server.close(ok));

const code = (r: { errors?: { extensions?: { code?: string } }[] }) => r.errors?.[0]?.extensions?.code;
const ok = <T>(r: GqlResult<T>): T => {
  if (!r.data || r.errors) throw new Error(JSON.stringify(r.errors));
  return r.data;
};
const LOGIN = `mutation($input: LoginInput!) { login(input: $input) { token } }`;
const failLogin = (slug: string, email: string) => t.gql(LOGIN, { input: { tenant: slug, email, password: 'not the password at all' } });
const CREATE = `mutation($i: AlertRuleInput!) { createAlertRule(input: $i) { webhookSecret rule { id email { addresses ownersAndAdmins } } } }`;
type Created = { createAlertRule: { webhookSecret: string | null; rule: { id: string; email: { addresses: string[]; ownersAndAdmins: boolean } | null } } };
const DELIVERIES = `query($f: DeliveryFilter, $p: PageInput) { deliveries(filter: $f, page: $p) { totalCount nodes { id kind kindLabel recipient summary status attempts lastError createdAt deliveredAt } } }`;
type DeliveryRow = Pick<DeliveryView, 'id' | 'kind' | 'kindLabel' | 'recipient' | 'summary' | 'status' | 'attempts' | 'lastError'>;
const deliveries = (p: { token: string }, f: Record<string, unknown> = {}) => t.gql<{ deliveries: { totalCount: number; nodes: DeliveryRow[] } }>(DELIVERIES, { f }, { token: p.token });
const alertsOf = (tenant: TenantPersonas) =>
  t.gql<{ securityAlerts: { id: string; subject: string; delivery: string; attempts: number; lastError: string | null }[] }>(`{ securityAlerts { id subject delivery attempts lastError } }`, {}, { token: tenant.admin.token });

let operators: Receiver;

beforeAll(async () => {
  operators = await receiver();
  t = await startTestServer(
    [platformPlugin, identityPlugin, auditPlugin],
    {
      BULWARK_OUTBOX_RETRY_BASE_MS: '10',
      BULWARK_OPERATOR_WEBHOOK_URL: operators.url,
      BULWARK_OPERATOR_WEBHOOK_SECRET: OPERATOR_SECRET,
      BULWARK_PUBLIC_URL: 'https://desk.example',
    },
    { mail },
  );
  a = await createPersonas(t, 'alertmail');
  b = await createPersonas(t, 'otherco');
});
afterAll(async () => {
  await t?.close();
  await close(operators);
});

describe('G9 an alert is written with the change that raises it and delivered by a job', () => {
  it('stores the alert and its webhook in the failed sign-in that crosses the threshold, then delivers it signed', async () => {
    const hook = await receiver();
    try {
      const tenant = await createPersonas(t, 'burst');
      const created = ok(await t.gql<Created>(CREATE, { i: { name: 'Burst', kind: 'failed_logins', threshold: 3, windowMinutes: 10, webhookUrl: hook.url } }, { token: tenant.admin.token }));
      const secret = created.createAlertRule.webhookSecret!;
      for (let i = 0; i < 2; i++) await failLogin('burst', tenant.agent.email);
      expect(await t.ownerSql(`select 1 from audit_alerts where tenant_id = $1`, [tenant.tenantId])).toHaveLength(0);
      await failLogin('burst', tenant.agent.email);
      // No waiting: the sign-in's own commit holds the alerts and their outbox rows.
      const rows = await t.ownerSql<{ kind: string; status: string }>(`select kind, status from outbox where tenant_id = $1 and kind like 'audit.%' order by kind`, [tenant.tenantId]);
      expect(await t.ownerSql(`select 1 from audit_alerts where tenant_id = $1`, [tenant.tenantId])).toHaveLength(2);
      expect(rows.map((r) => r.kind)).toEqual(['audit.alert-webhook', 'audit.alert-webhook', 'audit.operator-webhook', 'audit.operator-webhook']);

      await t.drainOutbox();
      await eventually(() => hook.hits.length === 2);
      for (const h of hook.hits) expect(verifyWebhook(secret, h.headers, h.body, Math.floor(Date.now() / 1000))).toBe(true);
      // The operators get the same alerts, signed with their own secret.
      const mine = await eventually(() => {
        const m = operators.hits.filter((h) => h.body.includes(tenant.tenantId));
        return m.length === 2 ? m : null;
      });
      for (const h of mine) expect(verifyWebhook(OPERATOR_SECRET, h.headers, h.body, Math.floor(Date.now() / 1000))).toBe(true);
      const alerts = await eventually(async () => {
        const l = ok(await alertsOf(tenant)).securityAlerts;
        return l.every((x) => x.delivery === 'delivered') ? l : null;
      });
      expect(alerts.map((x) => x.attempts)).toEqual([1, 1]);
      // The webhook's id is the alert's: a receiver drops a repeat by it.
      expect(hook.hits.map((h) => h.headers['bulwark-webhook-id']).sort()).toEqual(alerts.map((x) => x.id).sort());
    } finally {
      await close(hook);
    }
  });

  it('retries a webhook endpoint that is down, recording attempts and the error, and delivers once it is up', async () => {
    // A port nobody listens on yet.
    const probe = await receiver();
    const port = (probe.server.address() as AddressInfo).port;
    await close(probe);
    const tenant = await createPersonas(t, 'downhook');
    ok(await t.gql<Created>(CREATE, { i: { name: 'Down', kind: 'failed_logins', threshold: 1, webhookUrl: `http://127.0.0.1:${port}/hook` } }, { token: tenant.admin.token }));
    await failLogin('downhook', tenant.agent.email);
    const failing = await eventually(async () => {
      const l = ok(await alertsOf(tenant)).securityAlerts;
      return l.length === 2 && l.every((x) => x.attempts >= 1) ? l : null;
    });
    for (const x of failing) {
      expect(x.delivery).toBe('pending');
      expect(x.lastError).toMatch(/ECONNREFUSED/);
    }
    const hook = await receiver(port);
    try {
      const done = await eventually(async () => {
        const l = ok(await alertsOf(tenant)).securityAlerts;
        return l.every((x) => x.delivery === 'delivered') ? l : null;
      }, 20_000);
      expect(done.every((x) => x.attempts >= 2 && x.lastError === null)).toBe(true);
      await new Promise((r) => setTimeout(r, 500));
      expect(hook.hits).toHaveLength(2);
    } finally {
      await close(hook);
    }
  }, 40_000);

  it("takes a receiver's 4xx as final: the alert and its delivery are marked failed after one try; an admin sends it again once it is fixed", async () => {
    const hook = await receiver();
    hook.answer = 410;
    try {
      const tenant = await createPersonas(t, 'gonehook');
      ok(await t.gql<Created>(CREATE, { i: { name: 'Gone', kind: 'failed_logins', threshold: 1, webhookUrl: hook.url } }, { token: tenant.admin.token }));
      await failLogin('gonehook', tenant.agent.email);
      const failed = await eventually(async () => {
        const l = ok(await alertsOf(tenant)).securityAlerts;
        return l.length === 2 && l.every((x) => x.delivery === 'failed') ? l : null;
      });
      expect(failed.map((x) => [x.attempts, x.lastError])).toEqual([
        [1, 'HTTP 410'],
        [1, 'HTTP 410'],
      ]);
      const log = ok(await deliveries(tenant.admin, { kind: 'audit.alert-webhook' })).deliveries.nodes;
      expect(log.map((d) => [d.status, d.attempts, d.lastError])).toEqual([
        ['failed', 1, 'HTTP 410'],
        ['failed', 1, 'HTTP 410'],
      ]);
      // The receiver is fixed; an admin sends one again (audited), an agent may not.
      hook.answer = 204;
      const RETRY = `mutation($id: ID!) { retryDelivery(id: $id) { status attempts } }`;
      expect(code(await t.gql(RETRY, { id: log[0].id }, { token: tenant.agent.token }))).toBe('FORBIDDEN');
      expect(code(await t.gql(RETRY, { id: log[0].id }, { token: a.admin.token }))).toBe('NOT_FOUND');
      expect(ok(await t.gql<{ retryDelivery: unknown }>(RETRY, { id: log[0].id }, { token: tenant.admin.token })).retryDelivery).toEqual({ status: 'pending', attempts: 0 });
      expect(code(await t.gql(RETRY, { id: log[0].id }, { token: tenant.admin.token }))).toBe('CONFLICT');
      await eventually(() => hook.hits.length === 1);
      const after = await eventually(async () => {
        const l = ok(await alertsOf(tenant)).securityAlerts;
        return l.some((x) => x.delivery === 'delivered') ? l : null;
      });
      expect(after.map((x) => x.delivery).sort()).toEqual(['delivered', 'failed']);
      expect(await t.ownerSql(`select 1 from audit_events where tenant_id = $1 and action = 'audit.deliveryRetried' and target_id = $2`, [tenant.tenantId, log[0].id])).toHaveLength(1);
    } finally {
      await close(hook);
    }
  });
});

describe('alert rules can mail (an alert rule delivery kind)', () => {
  it('mails each alert to the listed addresses and every owner and admin, in words with a link to the console', async () => {
    const created = ok(
      await t.gql<Created>(CREATE, { i: { name: 'Sign-in attacks', kind: 'failed_logins', threshold: 2, windowMinutes: 5, email: { addresses: [' SecOps@Example.test ', 'secops@example.test'], ownersAndAdmins: true } } }, { token: a.admin.token }),
    );
    expect(created.createAlertRule.rule.email).toEqual({ addresses: ['secops@example.test'], ownersAndAdmins: true });
    expect(created.createAlertRule.webhookSecret).toBeNull();
    const before = mail.sent.length;
    await failLogin('alertmail', a.agent.email);
    await failLogin('alertmail', a.agent.email);
    await t.drainOutbox();
    const sent = await eventually(() => {
      const s = mail.sent.slice(before).filter((m) => m.subject.startsWith('Security alert'));
      return s.length >= 6 ? s : null;
    });
    // Two alerts (the account, the address), each to three people, one message per person.
    expect(sent.map((m) => m.to).sort()).toEqual([a.admin.email, a.admin.email, a.owner.email, a.owner.email, 'secops@example.test', 'secops@example.test'].sort());
    for (const m of sent) {
      expect(m.subject).toBe('Security alert in Tenant alertmail: Sign-in attacks');
      expect(m.text).toContain('What happened: 2 or more failed sign-ins within 5 minutes');
      expect(m.text).toMatch(/When: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
      expect(m.text).toContain('https://desk.example/#/security-alerts');
      // Words, not ids.
      expect(m.text).not.toContain(a.agent.id);
      expect(m.text).not.toContain(a.tenantId);
      expect(m.text).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-/);
    }
    expect(sent.find((m) => m.text.includes('to the account'))!.text).toContain(`to the account ${a.agent.email}`);
    expect(sent.find((m) => m.text.includes('from the address'))!.text).toContain('from the address 127.0.0.1');
    // The delivery log lists them as Email, to each person.
    const log = ok(await deliveries(a.admin, { kind: 'platform.mail', status: 'delivered' })).deliveries.nodes;
    expect(log.filter((d) => d.summary === 'Security alert: Sign-in attacks')).toHaveLength(6);
    expect(log.every((d) => d.kindLabel === 'Email')).toBe(true);
  });

  it('refuses a bad choice of recipients with field errors', async () => {
    const bad = async (email: unknown) => {
      const r = await t.gql(CREATE, { i: { name: 'x', kind: 'export', email } }, { token: a.admin.token });
      return { code: code(r), fields: (r.errors?.[0]?.extensions as { fields?: Record<string, string> } | undefined)?.fields };
    };
    expect(await bad({ addresses: ['not an address'] })).toEqual({ code: 'BAD_USER_INPUT', fields: { 'email.addresses': 'not an email address' } });
    expect(await bad({ addresses: [], ownersAndAdmins: false })).toEqual({ code: 'BAD_USER_INPUT', fields: { email: 'nobody chosen' } });
    expect((await bad({ addresses: Array.from({ length: 21 }, (_, i) => `p${i}@example.test`) })).code).toBe('BAD_USER_INPUT');
    expect((await bad({ ownersAndAdmins: true, cc: ['x@example.test'] })).code).toBe('BAD_USER_INPUT');
    // Mail can be turned off again by saving the rule without it.
    const id = ok(await t.gql<Created>(CREATE, { i: { name: 'To off', kind: 'export', email: { ownersAndAdmins: true } } }, { token: a.admin.token })).createAlertRule.rule.id;
    const r = ok(await t.gql<{ updateAlertRule: { rule: { email: unknown } } }>(`mutation($id: ID!) { updateAlertRule(id: $id, input: { name: "To off", kind: "export" }) { rule { email { ownersAndAdmins } } } }`, { id }, { token: a.admin.token }));
    expect(r.updateAlertRule.rule.email).toBeNull();
  });
});

describe('the delivery log (G5)', () => {
  it("answers admins, refuses agents and auditors, and D5/D6 isolation: tenant B never sees tenant A's deliveries", async () => {
    const mine = ok(await deliveries(a.admin)).deliveries;
    expect(mine.totalCount).toBeGreaterThan(0);
    expect(ok(await deliveries(a.owner)).deliveries.totalCount).toBe(mine.totalCount);
    for (const p of [a.agent, a.auditor, a.lightAgent, a.requester]) expect(code(await deliveries(p))).toBe('FORBIDDEN');
    const theirs = ok(await deliveries(b.admin)).deliveries;
    const ids = new Set(mine.nodes.map((d) => d.id));
    expect(theirs.nodes.filter((d) => ids.has(d.id))).toEqual([]);
    expect(JSON.stringify(theirs)).not.toContain('alertmail');
    // Nor through a filter: B's failed rows are B's only.
    expect(ok(await deliveries(b.admin, { status: 'delivered', kind: 'platform.mail' })).deliveries.nodes.filter((d) => ids.has(d.id))).toEqual([]);
  });

  it("pages and filters, names kinds in words, hides the operators' copy, and refuses an unknown status or kind", async () => {
    const page = ok(await t.gql<{ deliveries: { totalCount: number; nodes: DeliveryRow[] } }>(DELIVERIES, { p: { limit: 2, offset: 0 } }, { token: a.admin.token })).deliveries;
    expect(page.nodes).toHaveLength(2);
    const all = ok(await deliveries(a.admin, {})).deliveries;
    expect(all.nodes.some((d) => d.kind === 'audit.operator-webhook')).toBe(false);
    expect(new Set(all.nodes.map((d) => d.kindLabel))).toEqual(new Set(['Email']));
    expect(code(await deliveries(a.admin, { kind: 'audit.operator-webhook' }))).toBe('BAD_USER_INPUT');
    expect(code(await deliveries(a.admin, { kind: 'nonsense' }))).toBe('BAD_USER_INPUT');
    expect(code(await deliveries(a.admin, { status: 'lost' }))).toBe('BAD_USER_INPUT');
    expect(code(await t.gql(DELIVERIES, { p: { limit: 1000 } }, { token: a.admin.token }))).toBe('BAD_USER_INPUT');
  });
});
