import { can, reachable } from '@bulwark/platform-api';
import { MailPermission } from './mail.permissions';

/** The wording of outbound mail and the signing key's record: the mail admin's, like the settings. */
export const templateRules = {
  Query: { mailTemplates: can(MailPermission.manage), previewMailTemplate: can(MailPermission.manage), mailSigningKey: can(MailPermission.manage) },
  Mutation: { updateMailTemplate: can(MailPermission.manage), resetMailTemplate: can(MailPermission.manage) },
  MailTemplate: reachable,
  MailPreview: reachable,
  MailSigningKey: reachable,
};
