import { Arg, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '@bulwark/platform-api';
import { attachmentsByComment, attachmentsByTicket } from './attachments.loader';
import { attachmentLimits, downloadUrl, updateAttachmentLimits, type AttachmentLimits, type AttachmentView } from './attachments.service';
import { DEFAULT_ALLOWED_TYPES, DEFAULT_MAX_BYTES, FILE_KINDS, NEVER_ALLOWED } from './attachments.sniff';
import { AttachmentSettingsInput, AttachmentSettingsType, AttachmentType } from './attachments.types';
import { CommentView, TicketView } from './tickets.types';

const settingsView = (l: AttachmentLimits): AttachmentSettingsType => ({
  maxBytes: l.maxBytes,
  allowedTypes: l.allowedTypes,
  kinds: Object.entries(FILE_KINDS)
    .filter(([type]) => !NEVER_ALLOWED.includes(type))
    .map(([contentType, label]) => ({ contentType, label, allowed: l.allowedTypes.includes(contentType) })),
  defaultMaxBytes: DEFAULT_MAX_BYTES,
  defaultAllowedTypes: [...DEFAULT_ALLOWED_TYPES],
});

@Resolver(() => AttachmentType)
export class AttachmentResolver {
  @FieldResolver(() => String, {
    nullable: true,
    description: 'A link to the file, good for a few minutes and only for you (it checks again that you may see the ticket); null for who is no person',
  })
  url(@Root() a: AttachmentView, @Ctx() ctx: RequestContext) {
    return downloadUrl(ctx, a.id);
  }

  @Query(() => AttachmentSettingsType, { description: 'What files the workspace accepts' })
  async attachmentSettings(@Ctx() ctx: RequestContext) {
    return settingsView(await attachmentLimits(ctx));
  }

  @Mutation(() => AttachmentSettingsType, { description: 'Change what files the workspace accepts (recorded)' })
  async updateAttachmentSettings(@Arg('input', () => AttachmentSettingsInput) input: AttachmentSettingsInput, @Ctx() ctx: RequestContext) {
    return settingsView(await updateAttachmentLimits(ctx, input));
  }
}

@Resolver(() => TicketView)
export class TicketAttachmentsResolver {
  @FieldResolver(() => [AttachmentType], { description: 'Files of the ticket’s first message' })
  attachments(@Root() t: TicketView, @Ctx() ctx: RequestContext) {
    return attachmentsByTicket(ctx).load(t.id);
  }
}

@Resolver(() => CommentView)
export class CommentAttachmentsResolver {
  @FieldResolver(() => [AttachmentType])
  attachments(@Root() c: CommentView, @Ctx() ctx: RequestContext) {
    return attachmentsByComment(ctx).load(c.id);
  }
}
