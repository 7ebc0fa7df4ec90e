import { can, reachable } from '@bulwark/platform-api';
import { TicketPermission } from './tickets.permissions';
import { AttachmentPermission } from './attachments.permissions';

/** The limits are no secret to who may write on a ticket (the upload shows them); admins set them. */
export const attachmentRules = {
  Query: { attachmentSettings: can(TicketPermission.read) },
  Mutation: { updateAttachmentSettings: can(AttachmentPermission.manage) },
  Attachment: reachable,
  AttachmentKind: reachable,
  AttachmentSettings: reachable,
};
