import { Arg, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '@bulwark/platform-api';
import { mailSigningKey, mailTemplates, previewMailTemplate, resetMailTemplate, updateMailTemplate } from './templates.service';
import { MailPreviewView, MailSigningKeyView, MailTemplateInput, MailTemplateKind, MailTemplateView } from './templates.types';
import type { TemplateKind } from './templates';

@Resolver()
export class MailTemplateResolver {
  @Query(() => [MailTemplateView], { description: 'The wording of each kind of mail the workspace sends' })
  mailTemplates(@Ctx() ctx: RequestContext) {
    return mailTemplates(ctx);
  }

  @Query(() => MailPreviewView, { description: 'A template rendered with sample values (nothing is saved or sent)' })
  previewMailTemplate(@Arg('input', () => MailTemplateInput) input: MailTemplateInput) {
    return previewMailTemplate(input);
  }

  @Query(() => MailSigningKeyView, { nullable: true, description: 'The DKIM record to publish for outbound mail; null when no key is configured' })
  mailSigningKey(@Ctx() ctx: RequestContext) {
    return mailSigningKey(ctx);
  }

  @Mutation(() => MailTemplateView, { description: 'Saves the workspace’s wording of a kind of mail' })
  updateMailTemplate(@Arg('input', () => MailTemplateInput) input: MailTemplateInput, @Ctx() ctx: RequestContext) {
    return updateMailTemplate(ctx, input);
  }

  @Mutation(() => MailTemplateView, { description: 'Puts a kind of mail back to the default wording' })
  resetMailTemplate(@Arg('kind', () => MailTemplateKind) kind: TemplateKind, @Ctx() ctx: RequestContext) {
    return resetMailTemplate(ctx, kind);
  }
}
