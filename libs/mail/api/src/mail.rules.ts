import { can, reachable } from '@bulwark/platform-api';
import { MailPermission } from './mail.permissions';

/** Mail settings, the held queue and the wording of outbound mail are one job, the mail admin's (deny by default otherwise). */
const manage = can(MailPermission.manage);

export const mailRules = {
  Query: { mailSettings: manage, heldMails: manage, mailTemplates: manage, previewMailTemplate: manage, mailSigningKey: manage },
  Mutation: { updateMailSettings: manage, rotateMailInboundSecret: manage, releaseHeldMail: manage, discardHeldMail: manage, updateMailTemplate: manage, resetMailTemplate: manage },
  MailSettings: reachable,
  MailListener: reachable,
  MailInboundSecret: reachable,
  MailAuthenticationSummary: reachable,
  HeldMail: reachable,
  HeldMailPage: reachable,
  MailTemplate: reachable,
  MailPreview: reachable,
  MailSigningKey: reachable,
};
