import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import type { Logger } from './logger';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
}

/** How the platform sends mail (password resets, invitations). Chosen by BULWARK_SMTP_URL. */
export interface MailSender {
  send(message: MailMessage): Promise<void>;
}

/** SMTP through nodemailer; `smtp://user:pass@host:port` or `smtps://...`. */
export function smtpMailSender(url: string, from: string): MailSender {
  const transport = nodemailer.createTransport(url);
  return {
    async send(m) {
      await transport.sendMail({ from, to: m.to, subject: m.subject, text: m.text });
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
      writeFileSync(file, `To: ${m.to}\nSubject: ${m.subject}\n\n${m.text}\n`, { mode: 0o600 });
      log.info('mail written to the development outbox', { to: m.to, subject: m.subject, file });
    },
  };
}

/** Keeps messages in memory; for tests that need no SMTP server. */
export function memoryMailSender(): MailSender & { sent: MailMessage[] } {
  const sent: MailMessage[] = [];
  return { sent, send: async (m) => void sent.push(m) };
}
