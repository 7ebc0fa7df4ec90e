import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import nodemailer from 'nodemailer';
import { dkimSign } from 'mailauth';
import { platformPlugin } from '@bulwark/platform-api';
import { startTestServer, type TestServer } from '@bulwark/platform-api/testing';
import { identityPlugin } from '@bulwark/identity-api';
import { createPersonas, type TenantPersonas } from '@bulwark/identity-api/testing';
import { ticketsPlugin } from '@bulwark/tickets-api';
import { auditPlugin } from '@bulwark/audit-api';
import { mailPlugin, replyAddress } from './index';
import { senderDomain, tableResolver } from './sender.fixture';

/**
 * What a security review of the channel found, kept found (H5 and abuse): a group in From: that
 * shows one address while another is authenticated; a DKIM signature that covers only part of the
 * body; a requester using the copied addresses to relay text; one address holding every connection.
 */
const DOMAIN = 'mail.bulwark.test';
const evil = senderDomain('evil.test', { selector: 'sel', spf: 'v=spf1 -all' });
const acme = senderDomain('acme.test', { selector: 'sel', spf: 'v=spf1 -all' });
let t: TestServer;
let a: TenantPersonas;
let port: number;

/** Signs `raw` as `signer` and sends it over SMTP; `appended` goes after the signed text (unsigned). */
async function sendSigned(raw: string, signer: typeof evil, envelopeFrom: string, opts: { maxBodyLength?: number; to?: string; appended?: string } = {}) {
  const signed = (await dkimSign(raw, { signatureData: [{ signingDomain: signer.domain, selector: signer.selector, privateKey: signer.privateKey, maxBodyLength: opts.maxBodyLength }] } as never)) as { signatures: string };
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
  try {
    return await transport.sendMail({ envelope: { from: envelopeFrom, to: [opts.to ?? `acme@${DOMAIN}`] }, raw: signed.signatures + raw + (opts.appended ?? '') });
  } finally {
    transport.close();
  }
}

const rowsAbout = (subject: string) =>
  t.ownerSql<{ direction: string; status: string; to_addresses: string[]; ticket_id: string | null }>(
    `select direction, status, to_addresses, ticket_id from mail_messages where tenant_id = $1 and subject like $2 order by created_at`,
    [a.tenantId, `%${subject}%`],
  );

beforeAll(async () => {
  t = await startTestServer([platformPlugin, identityPlugin, ticketsPlugin, mailPlugin, auditPlugin], { BULWARK_MAIL_DOMAIN: DOMAIN, BULWARK_SMTP_LISTEN_PORT: '0' }, { dns: tableResolver(evil, acme) });
  port = t.server.listeners.smtp.port;
  a = await createPersonas(t, 'acme');
});
afterAll(() => t?.close());

describe('H5 a sender is verified only as the one address the checks vouched for', () => {
  it('holds mail whose From: group shows a requester while another domain signed it', async () => {
    const subject = `Reset my MFA ${randomUUID()}`;
    const raw = `From: g: ${a.requester.email};, x@evil.test\r\nTo: acme@${DOMAIN}\r\nSubject: ${subject}\r\nMessage-ID: <${randomUUID()}@evil.test>\r\n\r\nplease\r\n`;
    await sendSigned(raw, evil, 'x@evil.test');
    const rows = await rowsAbout(subject);
    expect(rows.map((r) => [r.status, r.ticket_id])).toEqual([['held', null]]);
    const [held] = await t.ownerSql<{ reason: string }>(`select reason from mail_messages where tenant_id = $1 and subject = $2`, [a.tenantId, subject]);
    expect(held.reason).toMatch(/shows another address than the one evil\.test vouched for/);
    expect(await t.ownerSql(`select 1 from tickets where tenant_id = $1 and subject like $2`, [a.tenantId, `%${subject}%`])).toEqual([]);
  });

  it('does not trust a DKIM signature that covers only the start of the body (l=)', async () => {
    const subject = `Invoice ${randomUUID()}`;
    const body = 'Hello,\r\n';
    const raw = `From: ${a.requester.email}\r\nTo: acme@${DOMAIN}\r\nSubject: ${subject}\r\nMessage-ID: <${randomUUID()}@acme.test>\r\n\r\n${body}`;
    // Someone replays the signed start and adds their own words after it.
    await sendSigned(raw, acme, a.requester.email, { maxBodyLength: body.length, appended: 'Pay to IBAN XX00 1234 now.\r\n' });
    expect((await rowsAbout(subject)).map((r) => r.status)).toEqual(['held']);
  });
});

describe('abuse', () => {
  it('lets no one reply by mail where the console would not let them: an auditor’s mail to a ticket’s reply address is not a reply', async () => {
    const r = await t.gql<{ createTicket: { id: string } }>(`mutation { createTicket(input: { subject: "Audit me", body: "x" }) { id } }`, {}, { token: a.requester.token });
    const ticketId = r.data!.createTicket.id;
    const to = replyAddress(t.server.app.config, 'acme', a.tenantId, ticketId).replace('@mail.localhost', `@${DOMAIN}`);
    const subject = `Re: Audit me ${randomUUID()}`;
    const raw = `From: ${a.auditor.email}\r\nTo: ${to}\r\nSubject: ${subject}\r\nMessage-ID: <${randomUUID()}@acme.test>\r\n\r\nClosing this for you.\r\n`;
    await sendSigned(raw, acme, a.auditor.email, { to });
    expect(await t.ownerSql(`select 1 from ticket_comments where tenant_id = $1 and ticket_id = $2`, [a.tenantId, ticketId])).toEqual([]);
    expect((await rowsAbout(subject)).filter((x) => x.direction === 'in').map((x) => [x.status, x.ticket_id === ticketId])).toEqual([['ticket', false]]);
  });

  it('never relays a requester’s words to the addresses they copied', async () => {
    const subject = `Relay ${randomUUID()}`;
    const first = `${randomUUID()}@evil.test`;
    await sendSigned(`From: x@evil.test\r\nTo: acme@${DOMAIN}\r\nCc: victim1@example.com, victim2@example.org\r\nSubject: ${subject}\r\nMessage-ID: <${first}>\r\n\r\nfirst\r\n`, evil, 'x@evil.test');
    await sendSigned(`From: x@evil.test\r\nTo: acme@${DOMAIN}\r\nSubject: Re: ${subject}\r\nIn-Reply-To: <${first}>\r\nMessage-ID: <${randomUUID()}@evil.test>\r\n\r\nBUY CHEAP PILLS\r\n`, evil, 'x@evil.test');
    await t.drainOutbox();
    const rows = await rowsAbout(subject);
    expect(rows.filter((r) => r.direction === 'in').map((r) => r.status)).toEqual(['ticket', 'reply']);
    const out = rows.filter((r) => r.direction === 'out').flatMap((r) => r.to_addresses);
    expect(out).toEqual(['x@evil.test']); // the acknowledgement, to the sender alone
  });

  it('lets one client address hold at most 10 connections (421 after)', async () => {
    const open = await Promise.all(
      Array.from({ length: 11 }, () => new Promise<{ greeting: string; close: () => void }>((resolve) => {
        const s = connect(port, '127.0.0.1');
        s.once('data', (d) => resolve({ greeting: d.toString(), close: () => s.destroy() }));
      })),
    );
    try {
      const greetings = open.map((o) => o.greeting.slice(0, 3));
      expect(greetings.filter((g) => g === '220')).toHaveLength(10);
      expect(greetings.filter((g) => g === '421')).toHaveLength(1);
    } finally {
      for (const o of open) o.close();
    }
    // They are counted down as they close: a new connection is welcome again.
    await new Promise((r) => setTimeout(r, 200));
    const again = await new Promise<string>((resolve) => connect(port, '127.0.0.1').once('data', function (this: { destroy(): void }, d: Buffer) { resolve(d.toString()); this.destroy(); }));
    expect(again.slice(0, 3)).toBe('220');
  });
});

describe('held mail is bounded (anyone can send unverified mail)', () => {
  it('tells senders to try later once a workspace holds BULWARK_MAIL_HELD_MAX messages, by SMTP (452)', async () => {
    const s = await startTestServer([platformPlugin, identityPlugin, ticketsPlugin, mailPlugin], { BULWARK_MAIL_DOMAIN: DOMAIN, BULWARK_SMTP_LISTEN_PORT: '0', BULWARK_MAIL_HELD_MAX: '2' }, { dns: tableResolver(evil, acme) });
    try {
      const p = await createPersonas(s, 'heldcorp');
      const unsigned = (i: number) => `From: ${p.requester.email}\r\nTo: heldcorp@${DOMAIN}\r\nSubject: Unverified ${i}\r\nMessage-ID: <${randomUUID()}@acme.test>\r\n\r\nhello\r\n`;
      const transport = nodemailer.createTransport({ host: '127.0.0.1', port: s.server.listeners.smtp.port, secure: false, ignoreTLS: true });
      const send = (i: number) => transport.sendMail({ envelope: { from: p.requester.email, to: [`heldcorp@${DOMAIN}`] }, raw: unsigned(i) }).then(() => 250, (e: { responseCode?: number }) => e.responseCode);
      expect([await send(1), await send(2), await send(3)]).toEqual([250, 250, 452]);
      transport.close();
      const held = await s.ownerSql<{ n: number }>(`select count(*)::int as n from mail_messages where tenant_id = $1 and status = 'held'`, [p.tenantId]);
      expect(held).toEqual([{ n: 2 }]);
    } finally {
      await s.close();
    }
  });
});
