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

/**
 * The email channel (issue 19): every workspace's address `<slug>@<BULWARK_MAIL_DOMAIN>`, mail in
 * through an SMTP listener or an HTTP endpoint (a ticket or a reply, never attached to a person
 * whose address it only claims: H5), and the threading index outbound mail shares.
 */
export const mailPlugin = defineApiPlugin({
  name: 'mail',
  permissions: [MailPermission],
  entities: [MailSettings, MailRecord, MailThread],
  resolvers: [MailResolver],
  rules: mailRules,
  auditActions: [MailAudit],
  migrations: [{ name: 'Migration20261207001200Mail', class: Migration20261207001200Mail }],
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
