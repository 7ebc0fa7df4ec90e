import { can, reachable } from '@bulwark/platform-api';
import { MailPermission } from './mail.permissions';

/** Mail settings and the held queue are one job, the mail admin's (deny by default otherwise). */
export const mailRules = {
  Query: { mailSettings: can(MailPermission.manage), heldMails: can(MailPermission.manage) },
  Mutation: {
    updateMailSettings: can(MailPermission.manage),
    rotateMailInboundSecret: can(MailPermission.manage),
    releaseHeldMail: can(MailPermission.manage),
    discardHeldMail: can(MailPermission.manage),
  },
  MailSettings: reachable,
  MailListener: reachable,
  MailInboundSecret: reachable,
  MailAuthenticationSummary: reachable,
  HeldMail: reachable,
  HeldMailPage: reachable,
};
