import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { authenticate } from 'mailauth';
import { SMTPServer } from 'smtp-server';
import { memoryMailSender, platformPlugin, type MailMessage } from '@bulwark/platform-api';
import { eventually, startTestServer, type TestServer } from '@bulwark/platform-api/testing';
import { identityPlugin } from '@bulwark/identity-api';
import { createPersonas, type Persona, type TenantPersonas } from '@bulwark/identity-api/testing';
import { ticketsPlugin } from '@bulwark/tickets-api';
import { auditPlugin } from '@bulwark/audit-api';
import { mailPlugin, readReplyToken } from './index';

/**
 * Outbound mail (issue 19 §3, G9): what a ticket change sends is decided in its transaction and
 * leaves through the outbox. Real PostgreSQL; the memory sender, and a real SMTP sink for DKIM.
 */
const mail = memoryMailSender();
let t: TestServer;
let a: TenantPersonas;
let b: TenantPersonas;

const CREATE = `mutation($input: CreateTicketInput!) { createTicket(input: $input) { id } }`;
const UPDATE = `mutation($id: ID!, $input: UpdateTicketInput!) { updateTicket(id: $id, input: $input) { id } }`;
const COMMENT = `mutation($id: ID!, $input: AddCommentInput!) { addComment(ticketId: $id, input: $input) { id } }`;
const TEMPLATES = `{ mailTemplates { kind title variables subject text html customized } }`;
const SAVE = `mutation($input: MailTemplateInput!) { updateMailTemplate(input: $input) { kind subject customized } }`;
const PREVIEW = `query($input: MailTemplateInput!) { previewMailTemplate(input: $input) { subject text html } }`;

const code = (r: { errors?: { extensions?: { code?: string } }[] }) => r.errors?.[0]?.extensions?.code;

beforeAll(async () => {
  t = await startTestServer([platformPlugin, identityPlugin, ticketsPlugin, mailPlugin, auditPlugin], { BULWARK_PUBLIC_URL: 'https://desk.example' }, { mail });
  a = await createPersonas(t, 'acme');
  b = await createPersonas(t, 'globex');
});
afterAll(() => t?.close());

async function fileTicket(by: Persona, input: Record<string, unknown> = {}): Promise<string> {
  const r = await t.gql<{ createTicket: { id: string } }>(CREATE, { input: { subject: 'Printer jammed', body: 'Error E42 since this morning', ...input } }, { token: by.token });
  expect(r.errors).toBeUndefined();
  return r.data!.createTicket.id;
}

/** Everything sent since `mark`, once the outbox is empty. */
async function sentSince(mark: number): Promise<MailMessage[]> {
  await t.drainOutbox();
  return mail.sent.slice(mark);
}

const to = (m: MailMessage) => [m.to].flat();

describe('G9 ticket mail is written with the change and delivered through the outbox', () => {
  it('acknowledges a new ticket to its requester, with a signed reply address and a recorded Message-ID', async () => {
    const mark = mail.sent.length;
    const id = await fileTicket(a.requester);
    const sent = await sentSince(mark);
    expect(sent).toHaveLength(1);
    const ack = sent[0];
    expect(to(ack)).toEqual([a.requester.email]);
    expect(ack.subject).toBe('[Tenant acme] We received your request: Printer jammed');
    expect(ack.text).toContain('Error E42 since this morning');
    expect(ack.text).toContain(`https://desk.example/#/tickets/${id}/show`);
    expect(ack.headers).toEqual({ 'Auto-Submitted': 'auto-replied' });
    expect(ack.from).toBe('"Tenant acme" <acme@mail.localhost>');
    const token = /^acme\+([^@]+)@mail\.localhost$/.exec(ack.replyTo!)![1];
    expect(readReplyToken(t.server.app.config, a.tenantId, token)).toBe(id);
    expect(readReplyToken(t.server.app.config, b.tenantId, token)).toBeNull();
    const rows = await t.ownerSql<{ message_id: string; direction: string; status: string }>(`select message_id, direction, status from mail_messages where tenant_id = $1 and ticket_id = $2`, [a.tenantId, id]);
    expect(rows).toEqual([{ message_id: ack.messageId, direction: 'out', status: 'queued' }]);
    const [outbox] = await t.ownerSql<{ status: string; recipient: string; payload: string | null }>(`select status, recipient, payload from outbox where tenant_id = $1 and summary = $2`, [a.tenantId, ack.subject]);
    expect(outbox).toEqual({ status: 'delivered', recipient: a.requester.email, payload: null });
  });

  it('sends a public reply to the requester threaded on the conversation, and nothing for an internal note', async () => {
    const id = await fileTicket(a.requester);
    await t.drainOutbox();
    const ack = mail.sent.at(-1)!;
    let mark = mail.sent.length;
    expect((await t.gql(COMMENT, { id, input: { body: 'Looking at it now.', public: false } }, { token: a.agent.token })).errors).toBeUndefined();
    expect(await sentSince(mark)).toEqual([]);

    mark = mail.sent.length;
    expect((await t.gql(COMMENT, { id, input: { body: 'A technician is on the way.', public: true } }, { token: a.agent.token })).errors).toBeUndefined();
    const [reply, ...more] = await sentSince(mark);
    expect(more).toEqual([]);
    expect(to(reply)).toEqual([a.requester.email]);
    expect(reply.subject).toBe('Re: Printer jammed');
    expect(reply.text).toContain('agent of acme wrote:\n\nA technician is on the way.');
    expect(reply.text).not.toContain('Looking at it now');
    expect(reply.inReplyTo).toBe(ack.messageId);
    expect(reply.references).toEqual([ack.messageId]);
    expect(reply.messageId).toMatch(/@mail\.localhost$/);
    expect(reply.headers).toBeUndefined(); // a person's words: not an automatic message
  });

  it('never mails the requester their own words', async () => {
    const id = await fileTicket(a.requester);
    await t.drainOutbox();
    const mark = mail.sent.length;
    expect((await t.gql(COMMENT, { id, input: { body: 'Any news?', public: true } }, { token: a.requester.token })).errors).toBeUndefined();
    expect(await sentSince(mark)).toEqual([]);
  });

  it('tells an agent of a ticket assigned to them, and a group’s members of one routed to it, never the one who did it', async () => {
    const id = await fileTicket(a.requester);
    await t.drainOutbox();
    let mark = mail.sent.length;
    expect((await t.gql(UPDATE, { id, input: { assigneeId: a.agent.id } }, { token: a.admin.token })).errors).toBeUndefined();
    const [notice, ...rest] = await sentSince(mark);
    expect(rest).toEqual([]);
    expect(to(notice)).toEqual([a.agent.email]);
    expect(notice.subject).toBe('[Tenant acme] Assigned to agent of acme: Printer jammed');
    expect(notice.text).toContain('admin of acme assigned a ticket to agent of acme.');
    expect(notice.replyTo).toBeUndefined();
    expect(notice.headers).toEqual({ 'Auto-Submitted': 'auto-generated' });

    const g = await t.gql<{ createTicketGroup: { id: string } }>(`mutation($input: TicketGroupInput!) { createTicketGroup(input: $input) { id } }`, { input: { name: 'Printers', memberIds: [a.agent.id, a.admin.id] } }, { token: a.admin.token });
    mark = mail.sent.length;
    expect((await t.gql(UPDATE, { id, input: { groupId: g.data!.createTicketGroup.id } }, { token: a.admin.token })).errors).toBeUndefined();
    const routed = await sentSince(mark);
    expect(routed.map((m) => to(m)[0])).toEqual([a.agent.email]); // the admin routed it: not told
    expect(routed[0].subject).toBe('[Tenant acme] Assigned to Printers: Printer jammed');

    mark = mail.sent.length;
    expect((await t.gql(UPDATE, { id, input: { assigneeId: a.agent.id, subject: 'Printer still jammed' } }, { token: a.agent.token })).errors).toBeUndefined();
    expect(await sentSince(mark)).toEqual([]); // not a new assignment, and their own doing
  });
});

describe('mail templates', () => {
  it('are the mail admin’s: an agent, a requester and an auditor are refused', async () => {
    expect(code(await t.gql(TEMPLATES, {}, { token: a.admin.token }))).toBeUndefined();
    for (const p of [a.agent, a.requester, a.auditor]) {
      expect(code(await t.gql(TEMPLATES, {}, { token: p.token }))).toBe('FORBIDDEN');
      expect(code(await t.gql(SAVE, { input: { kind: 'reply', subject: 'x', text: 'y' } }, { token: p.token }))).toBe('FORBIDDEN');
    }
  });

  it('refuse mistakes on their field, preview with sample values, and reword one tenant’s mail only', async () => {
    const bad = await t.gql(SAVE, { input: { kind: 'acknowledgement', subject: 'Got it {{ticket.secret}}', text: 'Hello' } }, { token: a.admin.token });
    expect(bad.status).toBe(200);
    expect(bad.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: { subject: expect.stringMatching(/\{\{ticket.secret\}\} is not a value/) } });

    const input = { kind: 'acknowledgement', subject: 'Ticket received: {{ticket.subject}}', text: 'Hi {{recipient.name}}, thanks.', html: '<p>Hi <b>{{recipient.name}}</b></p><script>x()</script>' };
    const preview = await t.gql<{ previewMailTemplate: { subject: string; text: string; html: string } }>(PREVIEW, { input }, { token: a.admin.token });
    expect(preview.data!.previewMailTemplate).toEqual({ subject: 'Ticket received: The printer on floor 3 is jammed', text: 'Hi Riley Requester, thanks.', html: '<p>Hi <b>Riley Requester</b></p>' });

    expect((await t.gql(SAVE, { input }, { token: a.admin.token })).data).toEqual({ updateMailTemplate: { kind: 'acknowledgement', subject: input.subject, customized: true } });
    const events = await t.ownerSql<{ action: string }>(`select action from audit_events where tenant_id = $1 and action like 'mail.template%'`, [a.tenantId]);
    expect(events).toEqual([{ action: 'mail.templateChanged' }]);

    const mark = mail.sent.length;
    await fileTicket(a.requester, { subject: 'Badge lost' });
    await fileTicket(b.requester, { subject: 'Badge lost' });
    const sent = await sentSince(mark);
    const ofA = sent.find((m) => to(m)[0] === a.requester.email)!;
    const ofB = sent.find((m) => to(m)[0] === b.requester.email)!;
    expect(ofA.subject).toBe('Ticket received: Badge lost');
    expect(ofA.html).toBe('<p>Hi <b>requester of acme</b></p>');
    expect(ofB.subject).toBe('[Tenant globex] We received your request: Badge lost');

    const reset = await t.gql<{ resetMailTemplate: { customized: boolean } }>(`mutation { resetMailTemplate(kind: acknowledgement) { customized } }`, {}, { token: a.admin.token });
    expect(reset.data).toEqual({ resetMailTemplate: { customized: false } });
    const listed = await t.gql<{ mailTemplates: { kind: string; customized: boolean }[] }>(TEMPLATES, {}, { token: b.admin.token });
    expect(listed.data!.mailTemplates.map((x) => [x.kind, x.customized])).toEqual([
      ['acknowledgement', false],
      ['reply', false],
      ['assignment', false],
    ]);
  });
});

describe('DKIM: outbound mail is signed with the configured key', () => {
  it('reaches a real SMTP server signed, and mailauth verifies it against the record the console shows', async () => {
    const received: Buffer[] = [];
    const smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      onData(stream, _session, cb) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          received.push(Buffer.concat(chunks));
          cb();
        });
      },
    });
    await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', () => r()));
    const port = (smtp.server.address() as { port: number }).port;
    const dir = mkdtempSync(join(tmpdir(), 'bulwark-dkim-'));
    const keyFile = join(dir, 'dkim.pem');
    writeFileSync(keyFile, generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const s = await startTestServer(
      [platformPlugin, identityPlugin, ticketsPlugin, mailPlugin],
      { BULWARK_SMTP_URL: `smtp://127.0.0.1:${port}`, BULWARK_MAIL_DOMAIN: 'help.example.com', BULWARK_DKIM_PRIVATE_KEY_FILE: keyFile, BULWARK_DKIM_DOMAIN: 'help.example.com', BULWARK_DKIM_SELECTOR: 'desk2026' },
      { mail: 'configured' },
    );
    try {
      const p = await createPersonas(s, 'initech');
      const key = await s.gql<{ mailSigningKey: { name: string; value: string; domain: string } }>(`{ mailSigningKey { name value domain } }`, {}, { token: p.admin.token });
      expect(key.data!.mailSigningKey).toMatchObject({ name: 'desk2026._domainkey.help.example.com', domain: 'help.example.com', value: expect.stringMatching(/^v=DKIM1; k=rsa; p=[A-Za-z0-9+/=]+$/) });
      const r = await s.gql(CREATE, { input: { subject: 'Signed?', body: 'Please sign.' } }, { token: p.requester.token });
      expect(r.errors).toBeUndefined();
      await eventually(() => received.length > 0, 15_000, 'the acknowledgement');
      const raw = received[0];
      expect(raw.toString()).toMatch(/^DKIM-Signature: .*d=help\.example\.com/m);
      // A receiver's check, with the DNS answer the console told the admin to publish.
      const record = key.data!.mailSigningKey;
      const resolver = async (name: string, type: string) => {
        if (type === 'TXT' && name === record.name) return [[record.value]];
        throw Object.assign(new Error(`no ${type} for ${name}`), { code: 'ENOTFOUND' });
      };
      const result = await authenticate(raw, { ip: '127.0.0.1', helo: 'localhost', sender: 'initech@help.example.com', resolver: resolver as never });
      expect(result.dkim.results.map((x: { signingDomain: string; status: { result: string } }) => [x.signingDomain, x.status.result])).toEqual([['help.example.com', 'pass']]);
      expect(raw.toString()).toMatch(/^Reply-To: initech\+[a-z0-9]+@help\.example\.com/im);
    } finally {
      await s.close();
      await new Promise<void>((r) => smtp.close(() => r()));
    }
  });
});
