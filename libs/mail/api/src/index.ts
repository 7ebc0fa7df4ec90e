import { defineApiPlugin } from '@bulwark/platform-api';
import { inboundMailRoute } from './inbound.route';
import { MailAudit } from './mail.audit';
import { mailConfig } from './mail.config';
import { MailRecord, MailSettings, MailThread } from './mail.entities';
import { Migration20261207001200Mail } from './mail.migration';
import { MailPermission } from './mail.permissions';
import { MailResolver } from './mail.resolver';
import { mailRules } from './mail.rules';
import { startSmtpListener } from './smtp.listener';
import { ticketMail } from './notifications';
import { TemplateAudit } from './templates.audit';
import { MailTemplate } from './templates.entity';
import { Migration20261207001250MailTemplates } from './templates.migration';
import { MailTemplateResolver } from './templates.resolver';

/**
 * The email channel (issue 19): every workspace's address `<slug>@<BULWARK_MAIL_DOMAIN>`, mail in
 * through an SMTP listener or an HTTP endpoint (a ticket or a reply, never attached to a person
 * whose address it only claims: H5), and the threading index outbound mail shares.
 */
export const mailPlugin = defineApiPlugin({
  name: 'mail',
  permissions: [MailPermission],
  entities: [MailSettings, MailRecord, MailThread, MailTemplate],
  resolvers: [MailResolver, MailTemplateResolver],
  rules: mailRules,
  auditActions: [MailAudit, TemplateAudit],
  // Outbound: what ticket changes send, decided in their transaction, sent through the outbox.
  reactions: [ticketMail],
  migrations: [
    { name: 'Migration20261207001200Mail', class: Migration20261207001200Mail },
    { name: 'Migration20261207001250MailTemplates', class: Migration20261207001250MailTemplates },
  ],
  routes: (router) => router.post('/inbound', inboundMailRoute),
  listen: startSmtpListener,
  config: mailConfig,
});

export { mailConfig, type MailConfig } from './mail.config';
export { MailSettings, MailRecord, MailThread, SENDER_POLICIES, MAIL_STATUSES, type SenderPolicy, type MailStatus, type MailDirection, type MailAuthentication } from './mail.entities';
export { replyAddress, replyToken, readReplyToken } from './reply-address';
export { MailPermission } from './mail.permissions';
export { MailAudit } from './mail.audit';
export { UNVERIFIED_SENDER_EMAIL } from './inbound.service';
