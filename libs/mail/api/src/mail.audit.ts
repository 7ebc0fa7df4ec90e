import { defineAuditActions } from '@bulwark/platform-api';

/**
 * The email channel's events. What mail became is recorded in the transaction that files it (F5),
 * with the sender checks' results in the details; an admin's decisions on held mail name who
 * decided. Mail ignored as an auto-reply, a loop or a duplicate is kept in mail_messages with its
 * reason, not in the audit log: a mail loop must not be able to flood the chain.
 */
export const MailAudit = defineAuditActions('mail', {
  messageReceived: { description: 'Filed an inbound email as a ticket or a reply', target: 'MailMessage' },
  messageHeld: { description: 'Held an inbound email whose sender could not be verified (DMARC)', target: 'MailMessage' },
  messageReleased: { description: 'Released a held email: filed as from the address it claims', target: 'MailMessage' },
  messageDiscarded: { description: 'Discarded a held email', target: 'MailMessage' },
  settingsChanged: { description: 'Changed the mail settings', target: 'MailSettings', config: true },
  inboundSecretRotated: { description: 'Made a new secret for the inbound mail endpoint (the old one stops working)', target: 'MailSettings', config: true },
});
