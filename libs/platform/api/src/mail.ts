import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import type { Logger } from './logger';

/**
 * One message. Threading (`messageId`, `inReplyTo`, `references`, without angle brackets) and
 * `replyTo` serve conversations by mail (the mail feature); `html` is an alternative to `text`,
 * which every message has.
 */
export interface MailMessage {
  to: string | string[];
  cc?: string[];
  /** Default: BULWARK_MAIL_FROM. */
  from?: string;
  replyTo?: string;
  subject: string;
  text: string;
  html?: string;
  messageId?: string;
  inReplyTo?: string;
  references?: string[];
  headers?: Record<string, string>;
}

/** How the platform sends mail (password resets, invitations). Chosen by BULWARK_SMTP_URL. */
export interface MailSender {
  send(message: MailMessage): Promise<void>;
}

/** A DKIM key outbound mail is signed with (BULWARK_DKIM_*). */
export interface DkimKey {
  domainName: string;
  keySelector: string;
  privateKey: string;
}

const bracketed = (id: string) => `<${id}>`;

/**
 * SMTP through nodemailer; `smtp://user:pass@host:port` or `smtps://...`. With a DKIM key every
 * message is signed, so receivers can tell our mail from a forgery (the mail feature checks the
 * same of what it receives).
 */
export function smtpMailSender(url: string, from: string, dkim?: DkimKey): MailSender {
  const transport = nodemailer.createTransport({
    url,
    ...(dkim ? { dkim } : {}),
    // The outbox sends inside the transaction that holds its row, which PostgreSQL ends after 60 s
    // idle: a relay that stalls must fail the try well before (nodemailer waits minutes).
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  });
  return {
    async send(m) {
      await transport.sendMail({
        from: m.from ?? from,
        to: m.to,
        cc: m.cc,
        replyTo: m.replyTo,
        subject: m.subject,
        text: m.text,
        html: m.html,
        messageId: m.messageId && bracketed(m.messageId),
        inReplyTo: m.inReplyTo && bracketed(m.inReplyTo),
        references: m.references?.map(bracketed),
        headers: m.headers,
      });
    },
  };
}

/**
 * Development: each message becomes a file in an outbox folder (mode 0600), so a reset link can be
 * followed without a mail server, and no secret link ever reaches the log (SECURITY.md B9).
 * Production refuses to start without SMTP.
 */
export function outboxMailSender(dir: string, log: Logger): MailSender {
  return {
    async send(m) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const file = join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomBytes(3).toString('hex')}.txt`);
      writeFileSync(file, `To: ${[m.to].flat().join(', ')}\nSubject: ${m.subject}\n\n${m.text}\n`, { mode: 0o600 });
      log.info('mail written to the development outbox', { to: m.to, subject: m.subject, file });
    },
  };
}

/** Keeps messages in memory; for tests that need no SMTP server. */
export function memoryMailSender(): MailSender & { sent: MailMessage[] } {
  const sent: MailMessage[] = [];
  return { sent, send: async (m) => void sent.push(m) };
}
