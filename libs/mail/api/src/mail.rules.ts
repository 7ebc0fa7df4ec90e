import { can, reachable } from '@bulwark/platform-api';
import { MailPermission } from './mail.permissions';

/** Mail settings and the held queue are one job, the mail admin's (deny by default otherwise). */
const manage = can(MailPermission.manage);

export const mailRules = {
  Query: { mailSettings: manage, heldMails: manage },
  Mutation: { updateMailSettings: manage, rotateMailInboundSecret: manage, releaseHeldMail: manage, discardHeldMail: manage },
  MailSettings: reachable,
  MailListener: reachable,
  MailInboundSecret: reachable,
  MailAuthenticationSummary: reachable,
  HeldMail: reachable,
  HeldMailPage: reachable,
};
