/**
 * Inbound email (issue 19; SECURITY.md H5, D2, D4, D14, F3, B8): real MIME over real SMTP on
 * loopback (nodemailer into the server's listener) and over the HTTP endpoint; DKIM signed with a
 * key made here and checked by mailauth against DNS answers from a table (no network).
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import nodemailer from 'nodemailer';
import type Mail from 'nodemailer/lib/mailer';
import { platformPlugin } from '@bulwark/platform-api';
import { startTestServer, type GqlResult, type TestServer } from '@bulwark/platform-api/testing';
import { identityPlugin } from '@bulwark/identity-api';
import { createPersonas, PERSONA_PASSWORD, type Persona, type TenantPersonas } from '@bulwark/identity-api/testing';
import { ticketsPlugin } from '@bulwark/tickets-api';
import { auditPlugin } from '@bulwark/audit-api';
import { mailPlugin, replyAddress, replyToken, UNVERIFIED_SENDER_EMAIL } from './index';

const DOMAIN = 'mail.bulwark.test';
const plugins = [platformPlugin, identityPlugin, ticketsPlugin, mailPlugin, auditPlugin];

/** DNS as the tests publish it: `name|TYPE` → answer. Anything else does not exist. */
const records = new Map<string, unknown>();
const dns = async (name: string, rrtype: string) => {
  const answer = records.get(`${name.toLowerCase()}|${rrtype.toUpperCase()}`);
  if (answer === undefined) throw Object.assign(new Error(`queryTxt ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
  return answer;
};

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PRIVATE_PEM = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const PUBLIC_B64 = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
/** Publishes a domain's DKIM key, and its DMARC policy (null: the domain publishes none). */
function publish(domain: string, dmarc: string | null = 'v=DMARC1; p=reject') {
  records.set(`sel._domainkey.${domain}|TXT`, [[`v=DKIM1; k=rsa; p=${PUBLIC_B64}`]]);
  if (dmarc) records.set(`_dmarc.${domain}|TXT`, [[dmarc]]);
  records.set(`${domain}|TXT`, [['v=spf1 -all']]);
}

let t: TestServer;
let a: TenantPersonas;
let b: TenantPersonas;
let smtpPort: number;

const code = (r: GqlResult<unknown>) => r.errors?.[0]?.extensions?.code;
function ok<T>(r: GqlResult<T>): T {
  if (!r.data || r.errors) throw new Error(JSON.stringify(r.errors));
  return r.data;
}

interface Message extends Mail.Options {
  /** Sign with the test key for this domain (the From: domain when true). */
  sign?: string | boolean;
}

function dkimOf(m: Message) {
  if (!m.sign) return undefined;
  const domain = m.sign === true ? String(m.from).replace(/^.*@/, '').replace(/>.*$/, '') : m.sign;
  return { domainName: domain, keySelector: 'sel', privateKey: PRIVATE_PEM };
}

/** Sends over real SMTP into the server's listener. Resolves with the server's answer, or rejects with its refusal. */
async function smtp(m: Message, envelope?: { from: string; to: string[] }) {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: smtpPort, secure: false, ignoreTLS: true, connectionTimeout: 10_000 });
  try {
    return await transport.sendMail({ ...m, dkim: dkimOf(m), envelope });
  } finally {
    transport.close();
  }
}

/** The raw MIME nodemailer would send, for the HTTP endpoint. */
async function mime(m: Message): Promise<Buffer> {
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true });
  const info = await transport.sendMail({ ...m, dkim: dkimOf(m) });
  return info.message as Buffer;
}

async function post(raw: Buffer | string, secret: string | null, query = '', type = 'message/rfc822') {
  const headers: Record<string, string> = { 'content-type': type };
  if (secret) headers.authorization = `Bearer ${secret}`;
  const res = await fetch(`${t.url}/api/mail/inbound${query}`, { method: 'POST', headers, body: typeof raw === 'string' ? raw : new Uint8Array(raw) });
  return { status: res.status, body: (await res.json().catch(() => null)) as { status?: string; errors?: { extensions: { code: string } }[] } | null };
}

async function sudo(p: Persona): Promise<string> {
  const r = await t.gql<{ reauthenticate: { token: string } }>(`mutation($p: String!) { reauthenticate(password: $p) { token } }`, { p: PERSONA_PASSWORD }, { token: p.token });
  return (p.token = ok(r).reauthenticate.token);
}

const ticketsOf = (tenantId: string, subject: string) =>
  t.ownerSql<{ id: string; subject: string; body: string; channel: string; requester_id: string; sender_address: string | null; quarantine_id: string | null }>(
    `select id, subject, body, channel, requester_id, sender_address, quarantine_id from tickets where tenant_id = $1 and subject like $2 order by created_at`,
    [tenantId, `%${subject}%`],
  );
const commentsOf = (tenantId: string, ticketId: string) =>
  t.ownerSql<{ body: string; public: boolean; author_id: string }>(`select body, public, author_id from ticket_comments where tenant_id = $1 and ticket_id = $2 order by created_at`, [tenantId, ticketId]);
const mailOf = (tenantId: string, messageId: string) =>
  t.ownerSql<{ id: string; status: string; reason: string | null; ticket_id: string | null; comment_id: string | null; raw: Buffer | null; authentication: { authenticated: boolean; dmarc: string } }>(
    `select id, status, reason, ticket_id, comment_id, raw, authentication from mail_messages where tenant_id = $1 and message_id = $2`,
    [tenantId, messageId],
  );
const eventsOf = (tenantId: string, action: string) =>
  t.ownerSql<{ actor_type: string; actor_id: string | null; target_id: string; details: Record<string, unknown> }>(
    `select actor_type, actor_id, target_id, details from audit_events where tenant_id = $1 and action = $2 order by occurred_at`,
    [tenantId, action],
  );
const userByEmail = async (tenantId: string, email: string) =>
  (await t.ownerSql<{ id: string; role: string; password_hash: string | null; status: string }>(`select id, role, password_hash, status from users where tenant_id = $1 and email = $2`, [tenantId, email]))[0];

let seq = 0;
const uniq = (what: string) => `${what} ${++seq} ${randomUUID().slice(0, 8)}`;
const mid = (domain: string) => `${randomUUID()}@${domain}`;

beforeAll(async () => {
  t = await startTestServer(plugins, { BULWARK_MAIL_DOMAIN: DOMAIN, BULWARK_SMTP_LISTEN_PORT: '0', BULWARK_MAIL_MAX_BYTES: String(64 * 1024) }, { dns });
  smtpPort = t.server.listeners.smtp.port;
  a = await createPersonas(t, 'acme');
  b = await createPersonas(t, 'globex');
  for (const d of ['acme.test', 'globex.test', 'good-customer.com', 'partner.com']) publish(d);
  publish('no-dmarc.com', null);
  // B's own ticket, which the cross-tenant cases aim at.
  ok(await t.gql(`mutation { createTicket(input: { subject: "Globex own ticket", body: "ours" }) { id } }`, {}, { token: b.requester.token }));
}, 120_000);
afterAll(() => t?.close());

describe('inbound mail over SMTP', () => {
  it('listens on the bound port and refuses a recipient that names no workspace here (550), or another domain', async () => {
    expect(smtpPort).toBeGreaterThan(0);
    await expect(smtp({ from: 'x@good-customer.com', to: `nobody-here@${DOMAIN}`, subject: 'x', text: 'x', sign: true })).rejects.toMatchObject({ responseCode: 550 });
    await expect(smtp({ from: 'x@good-customer.com', to: 'acme@elsewhere.example', subject: 'x', text: 'x', sign: true })).rejects.toMatchObject({ responseCode: 550 });
  });

  it('H5 files a correctly signed new message as a ticket (channel email) of the sender, created as a requester without a password', async () => {
    const subject = uniq('Printer on fire');
    const messageId = mid('good-customer.com');
    const info = await smtp({ from: 'Pat Doe <pat@good-customer.com>', to: `acme@${DOMAIN}`, cc: 'boss@good-customer.com, acme@mail.bulwark.test', subject, text: 'It is on fire.\n\nPat', messageId: `<${messageId}>`, sign: true });
    expect(info.response).toMatch(/^250/);
    const [ticket] = await ticketsOf(a.tenantId, subject);
    expect(ticket).toMatchObject({ channel: 'email', body: 'It is on fire.\n\nPat', sender_address: 'pat@good-customer.com', quarantine_id: null });
    const pat = await userByEmail(a.tenantId, 'pat@good-customer.com');
    expect(pat).toMatchObject({ id: ticket.requester_id, role: 'requester', password_hash: null, status: 'active' });
    const [rec] = await mailOf(a.tenantId, messageId);
    expect(rec).toMatchObject({ status: 'ticket', ticket_id: ticket.id, raw: null, authentication: expect.objectContaining({ authenticated: true, dmarc: 'pass' }) });
    const [thread] = await t.ownerSql<{ cc_addresses: string[]; root_message_id: string }>(`select cc_addresses, root_message_id from mail_threads where tenant_id = $1 and ticket_id = $2`, [a.tenantId, ticket.id]);
    expect(thread).toEqual({ cc_addresses: ['boss@good-customer.com'], root_message_id: messageId });
    expect((await eventsOf(a.tenantId, 'mail.messageReceived')).find((e) => e.target_id === rec.id)).toMatchObject({ actor_type: 'system' });
    // Nothing of it reached the other workspace.
    expect(await ticketsOf(b.tenantId, subject)).toEqual([]);
  });

  it('H5 attaches a signed message from an existing person to that person, who sees it as their own', async () => {
    const subject = uniq('My laptop');
    await smtp({ from: a.requester.email, to: `acme@${DOMAIN}`, subject, text: 'It will not start.', sign: true });
    const [ticket] = await ticketsOf(a.tenantId, subject);
    expect(ticket.requester_id).toBe(a.requester.id);
    const mine = ok(await t.gql<{ tickets: { nodes: { id: string; channel: string }[] } }>(`{ tickets(page: { limit: 100 }) { nodes { id channel } } }`, {}, { token: a.requester.token }));
    expect(mine.tickets.nodes).toContainEqual({ id: ticket.id, channel: 'EMAIL' });
  });

  it('keeps a message’s files as attachments under the workspace’s limits; a refused one is left out with a note, not the message', async () => {
    const subject = uniq('Screenshots');
    const png = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.alloc(100, 1)]);
    const exe = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(100, 0x90)]);
    await smtp({
      from: 'lee@good-customer.com',
      to: `acme@${DOMAIN}`,
      subject,
      text: 'See the screenshot.',
      attachments: [
        { filename: 'screen.png', content: png },
        { filename: 'harmless.png', content: exe, contentType: 'image/png' },
      ],
      sign: true,
    });
    const [ticket] = await ticketsOf(a.tenantId, subject);
    expect(ticket.body).toMatch(/^See the screenshot\.\n\nAttachments left out \(this help desk's limits\):\n- harmless\.png: this kind of file is not accepted here \(Windows program/);
    const files = await t.ownerSql<{ filename: string; content_type: string; size_bytes: string; comment_id: string | null }>(
      `select filename, content_type, size_bytes, comment_id from ticket_attachments where tenant_id = $1 and ticket_id = $2`,
      [a.tenantId, ticket.id],
    );
    expect(files).toEqual([{ filename: 'screen.png', content_type: 'image/png', size_bytes: String(png.length), comment_id: null }]);
    // A reply's files go on its comment.
    const address = replyAddress(t.server.app.config, 'acme', a.tenantId, ticket.id);
    await smtp({ from: 'lee@good-customer.com', to: address, subject: `Re: ${subject}`, text: 'And another.', attachments: [{ filename: 'second.png', content: png }], sign: true });
    const onComment = await t.ownerSql<{ filename: string; comment_id: string | null }>(`select filename, comment_id from ticket_attachments where tenant_id = $1 and ticket_id = $2 and comment_id is not null`, [a.tenantId, ticket.id]);
    expect(onComment).toEqual([{ filename: 'second.png', comment_id: expect.any(String) }]);
  });

  it('threads a reply by the signed reply address and by In-Reply-To, as a public comment of the requester, quoted history trimmed', async () => {
    const subject = uniq('VPN');
    const first = mid('good-customer.com');
    await smtp({ from: 'kim@good-customer.com', to: `acme@${DOMAIN}`, subject, text: 'VPN drops.', messageId: `<${first}>`, sign: true });
    const [ticket] = await ticketsOf(a.tenantId, subject);
    const kim = await userByEmail(a.tenantId, 'kim@good-customer.com');

    // By token: a reply address the outbound side hands out; no In-Reply-To at all.
    const address = replyAddress(t.server.app.config, 'acme', a.tenantId, ticket.id);
    await smtp({ from: 'kim@good-customer.com', to: address.toUpperCase(), subject: `Re: ${subject}`, text: 'Still dropping.\n\nOn Mon, 7 Dec 2026 at 10:00, Acme Support <acme@mail.bulwark.test> wrote:\n> What do you see?\n> Anything?\n', sign: true });
    // By In-Reply-To, Outlook style.
    await smtp({
      from: 'kim@good-customer.com',
      to: `acme@${DOMAIN}`,
      subject: `RE: ${subject}`,
      text: 'Fixed after a restart.\r\n\r\n-----Original Message-----\r\nFrom: Kim <kim@good-customer.com>\r\nSent: Monday\r\nSubject: VPN\r\n\r\nVPN drops.',
      inReplyTo: `<${first}>`,
      references: [`<${first}>`],
      sign: true,
    });
    // Plain bottom-quoted with a signature.
    await smtp({ from: 'kim@good-customer.com', to: `acme@${DOMAIN}`, subject: `Re: ${subject}`, text: '> VPN drops.\nThanks all.\n-- \nKim, IT', references: `<${first}>`, sign: true });
    // Outlook on the web: a rule line and a header block.
    await smtp({
      from: 'kim@good-customer.com',
      to: `acme@${DOMAIN}`,
      subject: `RE: ${subject}`,
      text: 'One more thing.\n\n________________________________\nFrom: Acme Support <acme@mail.bulwark.test>\nSent: Monday, December 7, 2026 10:00\nTo: Kim\nSubject: VPN\n\nOld text',
      inReplyTo: `<${first}>`,
      sign: true,
    });
    const comments = await commentsOf(a.tenantId, ticket.id);
    expect(comments).toEqual([
      { body: 'Still dropping.', public: true, author_id: kim.id },
      { body: 'Fixed after a restart.', public: true, author_id: kim.id },
      { body: 'Thanks all.', public: true, author_id: kim.id },
      { body: 'One more thing.', public: true, author_id: kim.id },
    ]);
    // One ticket, not five.
    expect(await ticketsOf(a.tenantId, subject)).toHaveLength(1);
    // An HTML-only reply is read as text.
    await smtp({ from: 'kim@good-customer.com', to: address, subject: 'Re', html: '<p>From <b>HTML</b> only</p>', sign: true });
    expect((await commentsOf(a.tenantId, ticket.id)).at(-1)?.body).toBe('From HTML only');
  });

  it('takes a reply from a person copied on the thread and from staff, but files an outsider’s “reply” as a ticket of their own', async () => {
    const [ticket] = await ticketsOf(a.tenantId, 'Printer on fire');
    const address = replyAddress(t.server.app.config, 'acme', a.tenantId, ticket.id);
    await smtp({ from: 'boss@good-customer.com', to: address, subject: 'Re: fire', text: 'Approved, replace it.', sign: true });
    await smtp({ from: a.agent.email, to: address, subject: 'Re: fire', text: 'Ordered a new one.', sign: true });
    const outsider = uniq('Outsider');
    await smtp({ from: 'nosy@partner.com', to: address, subject: outsider, text: 'Me too!', sign: true });
    const boss = await userByEmail(a.tenantId, 'boss@good-customer.com');
    expect(await commentsOf(a.tenantId, ticket.id)).toEqual([
      { body: 'Approved, replace it.', public: true, author_id: boss.id },
      { body: 'Ordered a new one.', public: true, author_id: a.agent.id },
    ]);
    const [own] = await ticketsOf(a.tenantId, outsider);
    expect(own.requester_id).toBe((await userByEmail(a.tenantId, 'nosy@partner.com')).id);
  });

  it('H5 holds a forged From: (no signature, DMARC fails), audits it, and attaches nothing to the person it claims', async () => {
    const subject = uniq('Urgent wire transfer');
    const messageId = mid('evil.example');
    const before = ok(await t.gql<{ tickets: { totalCount: number } }>(`{ tickets { totalCount } }`, {}, { token: a.requester.token })).tickets.totalCount;
    await smtp({ from: a.requester.email, to: `acme@${DOMAIN}`, subject, text: 'Pay now.', messageId: `<${messageId}>` });
    // Signed, but by another domain than From: (not aligned): held too.
    const other = mid('evil.example');
    await smtp({ from: a.requester.email, to: `acme@${DOMAIN}`, subject, text: 'Pay now, signed.', messageId: `<${other}>`, sign: 'partner.com' });
    for (const id of [messageId, other]) {
      const [rec] = await mailOf(a.tenantId, id);
      expect(rec).toMatchObject({ status: 'held', ticket_id: null, authentication: expect.objectContaining({ authenticated: false, dmarc: 'fail' }) });
      expect(rec.raw?.length).toBeGreaterThan(100);
      expect(rec.reason).toMatch(/DMARC failed/);
      const [event] = (await eventsOf(a.tenantId, 'mail.messageHeld')).filter((e) => e.target_id === rec.id);
      expect(event).toMatchObject({ actor_type: 'system', details: expect.objectContaining({ from: a.requester.email, authentication: expect.objectContaining({ dmarc: 'fail' }) }) });
    }
    expect(await ticketsOf(a.tenantId, subject)).toEqual([]);
    expect(ok(await t.gql<{ tickets: { totalCount: number } }>(`{ tickets { totalCount } }`, {}, { token: a.requester.token })).tickets.totalCount).toBe(before);
    // And a forged reply onto the person's own ticket adds nothing to it.
    const [theirs] = await ticketsOf(a.tenantId, 'My laptop');
    await smtp({ from: a.requester.email, to: replyAddress(t.server.app.config, 'acme', a.tenantId, theirs.id), subject: 'Re', text: 'forged reply' });
    expect((await commentsOf(a.tenantId, theirs.id)).map((c) => c.body)).not.toContain('forged reply');
  });

  it('treats a domain with no DMARC record by alignment: its own signature authenticates, no signature does not', async () => {
    const signed = uniq('No DMARC signed');
    const unsigned = uniq('No DMARC unsigned');
    await smtp({ from: 'lee@no-dmarc.com', to: `acme@${DOMAIN}`, subject: signed, text: 'x', sign: true });
    await smtp({ from: 'lee@no-dmarc.com', to: `acme@${DOMAIN}`, subject: unsigned, text: 'x' });
    expect(await ticketsOf(a.tenantId, signed)).toHaveLength(1);
    expect(await ticketsOf(a.tenantId, unsigned)).toHaveLength(0);
    const held = await t.ownerSql<{ status: string; authentication: { dmarc: string } }>(`select status, authentication from mail_messages where tenant_id = $1 and subject = $2`, [a.tenantId, unsigned]);
    expect(held).toEqual([{ status: 'held', authentication: expect.objectContaining({ dmarc: 'none' }) }]);
  });

  it('never files automatic mail: Auto-Submitted, Precedence bulk, X-Autoreply, List-Id, our own Message-IDs, our own addresses, bounces', async () => {
    const cases: [string, Message][] = [
      ['auto-submitted', { headers: { 'Auto-Submitted': 'auto-replied' } }],
      ['precedence', { headers: { Precedence: 'bulk' } }],
      ['x-autoreply', { headers: { 'X-Autoreply': 'yes' } }],
      ['list-id', { headers: { 'List-Id': '<news.good-customer.com>' } }],
      ['own message id', { messageId: `<${randomUUID()}@${DOMAIN}>` }],
      ['own address', { from: `acme@${DOMAIN}` }],
    ];
    for (const [what, extra] of cases) {
      const subject = uniq(`auto ${what}`);
      await smtp({ from: 'robot@good-customer.com', to: `acme@${DOMAIN}`, subject, text: 'I am away', sign: 'good-customer.com', ...extra });
      expect({ what, tickets: await ticketsOf(a.tenantId, subject) }).toEqual({ what, tickets: [] });
      const [rec] = await t.ownerSql<{ status: string; reason: string }>(`select status, reason from mail_messages where tenant_id = $1 and subject = $2`, [a.tenantId, subject]);
      expect({ what, status: rec?.status }).toEqual({ what, status: 'ignored' });
    }
    // A bounce (null reverse path).
    const subject = uniq('Undeliverable');
    await smtp({ from: 'mailer-daemon@good-customer.com', to: `acme@${DOMAIN}`, subject, text: 'bounced', sign: true }, { from: '', to: [`acme@${DOMAIN}`] });
    expect(await ticketsOf(a.tenantId, subject)).toEqual([]);
    // A forwarding address of the workspace itself is ours too.
    await sudo(a.admin);
    ok(await t.gql(`mutation { updateMailSettings(input: { forwardingAddresses: ["Support@Acme.test"] }) { forwardingAddresses } }`, {}, { token: a.admin.token }));
    const looped = uniq('forwarded loop');
    await smtp({ from: 'support@acme.test', to: `acme@${DOMAIN}`, subject: looped, text: 'x', sign: true });
    expect(await ticketsOf(a.tenantId, looped)).toEqual([]);
  });

  it('files a redelivered message (same Message-ID) once', async () => {
    const subject = uniq('Twice');
    const messageId = mid('good-customer.com');
    for (let i = 0; i < 3; i++) await smtp({ from: 'dup@good-customer.com', to: `acme@${DOMAIN}`, subject, text: 'once', messageId: `<${messageId}>`, sign: true });
    expect(await ticketsOf(a.tenantId, subject)).toHaveLength(1);
    expect(await mailOf(a.tenantId, messageId)).toHaveLength(1);
  });

  it('answers 451 when it cannot store a message, so the sender keeps it and retries; the retry is filed once', async () => {
    const subject = uniq('Retry me');
    const messageId = mid('good-customer.com');
    const message = { from: 'retry@good-customer.com', to: `acme@${DOMAIN}`, subject, text: 'please', messageId: `<${messageId}>`, sign: true };
    t.expectErrors(/inbound mail could not be stored/);
    await t.ownerSql(`revoke insert on mail_messages from bulwark_app`);
    try {
      await expect(smtp(message)).rejects.toMatchObject({ responseCode: 451 });
    } finally {
      await t.ownerSql(`grant insert on mail_messages to bulwark_app`);
    }
    // Nothing half-filed: the ticket rolled back with the record.
    expect(await ticketsOf(a.tenantId, subject)).toEqual([]);
    expect((await smtp(message)).response).toMatch(/^250/);
    expect((await smtp(message)).response).toMatch(/^250/);
    expect(await ticketsOf(a.tenantId, subject)).toHaveLength(1);
    expect(await mailOf(a.tenantId, messageId)).toHaveLength(1);
  });

  it('refuses a message over BULWARK_MAIL_MAX_BYTES with 552 and stores nothing', async () => {
    const subject = uniq('Huge');
    await expect(smtp({ from: 'big@good-customer.com', to: `acme@${DOMAIN}`, subject, text: 'x'.repeat(80 * 1024), sign: true })).rejects.toMatchObject({ responseCode: 552 });
    expect(await ticketsOf(a.tenantId, subject)).toEqual([]);
  });
});

describe('H5 cross-tenant: mail to one workspace never lands in another', () => {
  it('H5 files mail to A whose headers name B (To, Cc, References, a reply address with B’s token) in A alone', async () => {
    const [bTicket] = await ticketsOf(b.tenantId, 'Globex own ticket');
    const bRoot = mid('globex.test');
    await t.ownerSql(`insert into mail_messages (id, tenant_id, direction, message_id, ticket_id, from_address, status) values ($1, $2, 'in', $3, $4, 'x@globex.test', 'ticket')`, [randomUUID(), b.tenantId, bRoot, bTicket.id]);
    const bReply = replyAddress(t.server.app.config, 'globex', b.tenantId, bTicket.id);
    const subject = uniq('Cross');
    await smtp(
      { from: 'sam@good-customer.com', to: [`globex@${DOMAIN}`, bReply], cc: `globex@${DOMAIN}`, subject, text: 'hello', inReplyTo: `<${bRoot}>`, references: [`<${bRoot}>`], sign: true },
      { from: 'sam@good-customer.com', to: [`acme@${DOMAIN}`] },
    );
    expect(await ticketsOf(a.tenantId, subject)).toHaveLength(1);
    expect(await ticketsOf(b.tenantId, subject)).toEqual([]);
    expect(await commentsOf(b.tenantId, bTicket.id)).toEqual([]);
    expect(await t.ownerSql(`select 1 from users where tenant_id = $1 and email = 'sam@good-customer.com'`, [b.tenantId])).toEqual([]);
  });

  it('H5 does not thread a token of B at A’s address, nor A’s token naming B’s ticket', async () => {
    const [bTicket] = await ticketsOf(b.tenantId, 'Globex own ticket');
    const cfg = t.server.app.config;
    for (const token of [replyToken(cfg, b.tenantId, bTicket.id), replyToken(cfg, a.tenantId, bTicket.id)]) {
      const subject = uniq('Token');
      await smtp({ from: 'sam@good-customer.com', to: `acme+${token}@${DOMAIN}`, subject, text: 'which ticket?', sign: true });
      expect(await ticketsOf(a.tenantId, subject)).toHaveLength(1); // a new ticket in A
      expect(await commentsOf(b.tenantId, bTicket.id)).toEqual([]);
    }
  });

  it('H5 files one message to both workspaces once in each, separately', async () => {
    const subject = uniq('Both');
    const messageId = mid('good-customer.com');
    await smtp({ from: 'both@good-customer.com', to: [`acme@${DOMAIN}`, `globex@${DOMAIN}`], subject, text: 'hi both', messageId: `<${messageId}>`, sign: true });
    const [ta] = await ticketsOf(a.tenantId, subject);
    const [tb] = await ticketsOf(b.tenantId, subject);
    expect(ta.id).not.toBe(tb.id);
    expect((await mailOf(a.tenantId, messageId)).map((r) => r.ticket_id)).toEqual([ta.id]);
    expect((await mailOf(b.tenantId, messageId)).map((r) => r.ticket_id)).toEqual([tb.id]);
  });

  it('H5 the HTTP endpoint files with A’s secret into A only, whatever the recipients and headers say', async () => {
    await sudo(a.admin);
    const secret = ok(await t.gql<{ rotateMailInboundSecret: { secret: string } }>(`mutation { rotateMailInboundSecret { secret settings { inboundSecretSet } } }`, {}, { token: a.admin.token })).rotateMailInboundSecret.secret;
    expect(secret).toMatch(/^bwm_/);
    // Recorded once, by the admin, without the secret (B9).
    const rotated = await eventsOf(a.tenantId, 'mail.inboundSecretRotated');
    expect(rotated).toEqual([expect.objectContaining({ actor_type: 'user', actor_id: a.admin.id, details: expect.objectContaining({ replacedOne: false }) })]);
    expect(JSON.stringify(rotated)).not.toContain(secret.slice(4 + 22));
    const [bTicket] = await ticketsOf(b.tenantId, 'Globex own ticket');
    const subject = uniq('HTTP cross');
    const raw = await mime({ from: 'http@good-customer.com', to: [`globex@${DOMAIN}`, replyAddress(t.server.app.config, 'globex', b.tenantId, bTicket.id)], subject, text: 'via http', sign: true });
    const r = await post(raw, secret);
    expect(r).toEqual({ status: 202, body: { status: 'ticket' } });
    expect(await ticketsOf(a.tenantId, subject)).toHaveLength(1);
    expect(await ticketsOf(b.tenantId, subject)).toEqual([]);
    expect(await commentsOf(b.tenantId, bTicket.id)).toEqual([]);
    // A secret edited to name B's tenant finds nothing there.
    const tenantPart = Buffer.from(b.tenantId.replace(/-/g, ''), 'hex').toString('base64url');
    expect((await post(raw, `bwm_${tenantPart}${secret.slice(4 + 22)}`)).status).toBe(401);
  });
});

describe('the HTTP endpoint', () => {
  let secret: string;
  beforeAll(async () => {
    await sudo(b.admin);
    secret = ok(await t.gql<{ rotateMailInboundSecret: { secret: string } }>(`mutation { rotateMailInboundSecret { secret } }`, {}, { token: b.admin.token })).rotateMailInboundSecret.secret;
  });

  it('files raw MIME (202), threads a reply by its reply address, and takes the envelope for SPF', async () => {
    const subject = uniq('HTTP new');
    const r = await post(await mime({ from: 'web@partner.com', to: `globex@${DOMAIN}`, subject, text: 'hello', sign: true }), secret, '?ip=192.0.2.1&helo=mx.partner.com&sender=web%40partner.com');
    expect(r).toEqual({ status: 202, body: { status: 'ticket' } });
    const [ticket] = await ticketsOf(b.tenantId, subject);
    const reply = await mime({ from: 'web@partner.com', to: replyAddress(t.server.app.config, 'globex', b.tenantId, ticket.id), subject: 'Re', text: 'thanks\n\nOn Mon, Dec 7, 2026 at 10:00 AM Globex <globex@mail.bulwark.test>\nwrote:\n> hi', sign: true });
    expect(await post(reply, secret, '', 'application/octet-stream')).toEqual({ status: 202, body: { status: 'reply' } });
    expect(await post(reply, secret)).toEqual({ status: 200, body: { status: 'duplicate' } });
    expect((await commentsOf(b.tenantId, ticket.id)).map((c) => c.body)).toEqual(['thanks']);
  });

  it('answers 401 without a secret or with a wrong or rotated one, 413 too large, 400 not mail, 415 not raw', async () => {
    const raw = await mime({ from: 'web@partner.com', to: `globex@${DOMAIN}`, subject: 'x', text: 'x', sign: true });
    expect((await post(raw, null)).status).toBe(401);
    expect((await post(raw, 'bwm_nonsense')).status).toBe(401);
    expect((await post(raw, `${secret.slice(0, -2)}AA`)).status).toBe(401);
    expect((await post(Buffer.alloc(70 * 1024, 'a'), secret)).status).toBe(413);
    expect((await post('not a message at all', secret)).status).toBe(400);
    expect((await post('{"a":1}', secret, '', 'application/json')).status).toBe(415);
    expect((await post(raw, secret, '?ip=not-an-ip')).status).toBe(400);
    // D14: an argument it does not take is refused, never dropped.
    expect(await post(raw, secret, `?tenant=${a.tenantId}`)).toMatchObject({ status: 400, body: { errors: [{ extensions: { code: 'BAD_USER_INPUT' } }] } });
    await sudo(b.admin);
    const next = ok(await t.gql<{ rotateMailInboundSecret: { secret: string } }>(`mutation { rotateMailInboundSecret { secret } }`, {}, { token: b.admin.token })).rotateMailInboundSecret.secret;
    expect((await post(raw, secret)).status).toBe(401);
    secret = next;
    expect((await post(raw, secret)).status).toBe(202);
  });
});

describe('sender policy and the held queue', () => {
  const HELD = `query { heldMails { totalCount nodes { id from subject reason receivedAt status authentication { dmarc spf dkim authenticated } } } }`;

  it('releases a held message as from the person it claims (audited with who decided), and discards another', async () => {
    const subject = uniq('Held then released');
    await smtp({ from: a.requester2.email, to: `acme@${DOMAIN}`, subject, text: 'please help' });
    const held = ok(await t.gql<{ heldMails: { nodes: { id: string; from: string; subject: string; reason: string; authentication: { dmarc: string } }[] } }>(HELD, {}, { token: a.admin.token }));
    const item = held.heldMails.nodes.find((n) => n.subject === subject)!;
    expect(item).toMatchObject({ from: a.requester2.email, authentication: { dmarc: 'fail' } });
    expect(item.reason).toMatch(/forged/);
    const released = ok(await t.gql<{ releaseHeldMail: { status: string; ticketId: string } }>(`mutation($id: ID!) { releaseHeldMail(id: $id) { status ticketId } }`, { id: item.id }, { token: a.admin.token }));
    expect(released.releaseHeldMail.status).toBe('released');
    const [ticket] = await ticketsOf(a.tenantId, subject);
    expect(ticket).toMatchObject({ id: released.releaseHeldMail.ticketId, requester_id: a.requester2.id, channel: 'email' });
    const [event] = (await eventsOf(a.tenantId, 'mail.messageReleased')).filter((e) => e.target_id === item.id);
    expect(event).toMatchObject({ actor_type: 'user', actor_id: a.admin.id });
    const [rec] = await t.ownerSql<{ raw: Buffer | null }>(`select raw from mail_messages where tenant_id = $1 and id = $2`, [a.tenantId, item.id]);
    expect(rec.raw).toBeNull();
    // Deciding twice: the second answers CONFLICT.
    expect(code(await t.gql(`mutation($id: ID!) { discardHeldMail(id: $id) { status } }`, { id: item.id }, { token: a.admin.token }))).toBe('CONFLICT');

    const other = uniq('Held then discarded');
    await smtp({ from: a.requester2.email, to: `acme@${DOMAIN}`, subject: other, text: 'spoof' });
    const again = ok(await t.gql<{ heldMails: { nodes: { id: string; subject: string }[] } }>(HELD, {}, { token: a.admin.token })).heldMails.nodes.find((n) => n.subject === other)!;
    expect(ok(await t.gql<{ discardHeldMail: { status: string } }>(`mutation($id: ID!) { discardHeldMail(id: $id) { status } }`, { id: again.id }, { token: a.admin.token })).discardHeldMail.status).toBe('discarded');
    expect(await ticketsOf(a.tenantId, other)).toEqual([]);
    expect((await eventsOf(a.tenantId, 'mail.messageDiscarded')).filter((e) => e.target_id === again.id)).toEqual([expect.objectContaining({ actor_id: a.admin.id })]);
  });

  it('H5 policy "unverified" files at once under the unverified-sender account, never the claimed person, and never threads', async () => {
    await sudo(b.admin);
    expect(ok(await t.gql<{ updateMailSettings: { senderPolicy: string } }>(`mutation { updateMailSettings(input: { senderPolicy: UNVERIFIED }) { senderPolicy } }`, {}, { token: b.admin.token })).updateMailSettings.senderPolicy).toBe('UNVERIFIED');
    const [theirs] = await ticketsOf(b.tenantId, 'Globex own ticket');
    const subject = uniq('Unverified');
    await smtp({ from: b.requester.email, to: replyAddress(t.server.app.config, 'globex', b.tenantId, theirs.id), subject, text: 'trust me' });
    const [ticket] = await ticketsOf(b.tenantId, subject);
    const placeholder = await userByEmail(b.tenantId, UNVERIFIED_SENDER_EMAIL);
    expect(placeholder).toMatchObject({ status: 'suspended', password_hash: null });
    expect(ticket).toMatchObject({ requester_id: placeholder.id, sender_address: b.requester.email });
    expect(ticket.subject).toMatch(/^\[Unverified sender\]/);
    expect(ticket.body).toMatch(new RegExp(`^Unverified sender: ${b.requester.email.replace('.', '\\.')}`));
    expect(await commentsOf(b.tenantId, theirs.id)).toEqual([]);
    // The claimed person sees nothing new.
    const mine = ok(await t.gql<{ tickets: { nodes: { id: string }[] } }>(`{ tickets(page: { limit: 100 }) { nodes { id } } }`, {}, { token: b.requester.token })).tickets.nodes.map((n) => n.id);
    expect(mine).not.toContain(ticket.id);
    const [event] = (await eventsOf(b.tenantId, 'mail.messageReceived')).filter((e) => e.details.ticketId === ticket.id);
    expect(event.details).toMatchObject({ unverified: true, authentication: expect.objectContaining({ authenticated: false }) });
    await sudo(b.admin);
    ok(await t.gql(`mutation { updateMailSettings(input: { senderPolicy: HOLD }) { senderPolicy } }`, {}, { token: b.admin.token }));
  });

  it('the spam watcher applies to mail: a flood is stored and held, not lost', async () => {
    await sudo(a.admin);
    ok(await t.gql(`mutation { updateSpamSettings(input: { enabled: true, limit: 2, windowMinutes: 30 }) { limit } }`, {}, { token: a.admin.token }));
    const subject = uniq('Flood');
    for (let i = 0; i < 3; i++) await smtp({ from: 'flood@good-customer.com', to: `acme@${DOMAIN}`, subject: `${subject} ${i}`, text: 'again', sign: true });
    const tickets = await ticketsOf(a.tenantId, subject);
    expect(tickets.map((x) => !!x.quarantine_id)).toEqual([false, false, true]);
    const recs = await t.ownerSql<{ status: string; reason: string | null }>(`select status, reason from mail_messages where tenant_id = $1 and subject like $2 order by created_at`, [a.tenantId, `${subject}%`]);
    expect(recs.map((r) => r.status)).toEqual(['ticket', 'ticket', 'ticket']);
    expect(recs[2].reason).toMatch(/spam watcher/);
    ok(await t.gql(`mutation { updateSpamSettings(input: { enabled: true, limit: 50, windowMinutes: 30 }) { limit } }`, {}, { token: a.admin.token }));
  });
});

describe('mail settings (GraphQL)', () => {
  const SETTINGS = `{ mailSettings { workspaceAddress domain forwardingAddresses senderPolicy inboundSecretSet inboundUrl maxBytes listener { host port tls } } }`;

  it('shows the workspace address, the policy and the listener to an admin', async () => {
    const s = ok(await t.gql<{ mailSettings: Record<string, unknown> }>(SETTINGS, {}, { token: a.admin.token })).mailSettings;
    expect(s).toMatchObject({ workspaceAddress: `acme@${DOMAIN}`, domain: DOMAIN, senderPolicy: 'HOLD', maxBytes: 64 * 1024, listener: { host: '127.0.0.1', port: smtpPort, tls: false } });
    expect(s.inboundUrl).toBe(`${t.url}/api/mail/inbound`);
  });

  it('D1 refuses an agent, a requester and an auditor without mail.manage (FORBIDDEN), for every field', async () => {
    for (const p of [a.agent, a.requester, a.auditor]) {
      expect(code(await t.gql(SETTINGS, {}, { token: p.token }))).toBe('FORBIDDEN');
      expect(code(await t.gql(`{ heldMails { totalCount } }`, {}, { token: p.token }))).toBe('FORBIDDEN');
      expect(code(await t.gql(`mutation { updateMailSettings(input: { senderPolicy: UNVERIFIED }) { senderPolicy } }`, {}, { token: p.token }))).toBe('FORBIDDEN');
      expect(code(await t.gql(`mutation { rotateMailInboundSecret { secret } }`, {}, { token: p.token }))).toBe('FORBIDDEN');
      expect(code(await t.gql(`mutation($id: ID!) { releaseHeldMail(id: $id) { id } }`, { id: randomUUID() }, { token: p.token }))).toBe('FORBIDDEN');
      expect(code(await t.gql(`mutation($id: ID!) { discardHeldMail(id: $id) { id } }`, { id: randomUUID() }, { token: p.token }))).toBe('FORBIDDEN');
    }
  });

  it('B8 needs a recent re-authentication to change the policy or make a secret', async () => {
    await t.ownerSql(`update sessions set reauth_at = null where tenant_id = $1`, [a.tenantId]);
    expect(code(await t.gql(`mutation { updateMailSettings(input: { senderPolicy: UNVERIFIED }) { senderPolicy } }`, {}, { token: a.admin.token }))).toBe('REAUTH_REQUIRED');
    expect(code(await t.gql(`mutation { rotateMailInboundSecret { secret } }`, {}, { token: a.admin.token }))).toBe('REAUTH_REQUIRED');
  });

  it('refuses bad forwarding addresses on their field, and records a change with before and after', async () => {
    await sudo(a.admin);
    for (const bad of ['not an address', `help@${DOMAIN}`]) {
      const r = await t.gql(`mutation($f: [String!]) { updateMailSettings(input: { forwardingAddresses: $f }) { forwardingAddresses } }`, { f: ['ok@acme.test', bad] }, { token: a.admin.token });
      expect(code(r)).toBe('BAD_USER_INPUT');
      expect(r.errors?.[0].extensions?.fields).toHaveProperty('forwardingAddresses');
    }
    const r = ok(await t.gql<{ updateMailSettings: { forwardingAddresses: string[] } }>(`mutation { updateMailSettings(input: { forwardingAddresses: ["Help@Acme.test", "help@acme.test"] }) { forwardingAddresses } }`, {}, { token: a.admin.token }));
    expect(r.updateMailSettings.forwardingAddresses).toEqual(['help@acme.test']);
    const [last] = (await eventsOf(a.tenantId, 'mail.settingsChanged')).slice(-1) as unknown as { target_id: string }[];
    const [row] = await t.ownerSql<{ changes: unknown }>(`select changes from audit_events where tenant_id = $1 and action = 'mail.settingsChanged' and target_id = $2 order by occurred_at desc limit 1`, [a.tenantId, last.target_id]);
    expect(row.changes).toEqual({ forwardingAddresses: { before: ['support@acme.test'], after: ['help@acme.test'] } });
  });

  it('D2 a held message of B is not found from A, and is left as it was', async () => {
    const subject = uniq('B held');
    await smtp({ from: b.requester2.email, to: `globex@${DOMAIN}`, subject, text: 'x' });
    const [rec] = await t.ownerSql<{ id: string }>(`select id from mail_messages where tenant_id = $1 and subject = $2`, [b.tenantId, subject]);
    for (const m of ['releaseHeldMail', 'discardHeldMail']) {
      const cross = await t.gql(`mutation($id: ID!) { ${m}(id: $id) { id } }`, { id: rec.id }, { token: a.admin.token });
      const missing = await t.gql(`mutation($id: ID!) { ${m}(id: $id) { id } }`, { id: randomUUID() }, { token: a.admin.token });
      expect([code(cross), cross.errors?.[0].message]).toEqual([code(missing), missing.errors?.[0].message]);
    }
    expect(await t.ownerSql(`select status from mail_messages where tenant_id = $1 and id = $2`, [b.tenantId, rec.id])).toEqual([{ status: 'held' }]);
    expect(ok(await t.gql<{ heldMails: { nodes: { id: string }[] } }>(`{ heldMails(page: { limit: 100 }) { nodes { id } } }`, {}, { token: a.admin.token })).heldMails.nodes.map((n) => n.id)).not.toContain(rec.id);
  });
});
