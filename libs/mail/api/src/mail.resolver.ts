import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { PageInput, type RequestContext } from '@bulwark/platform-api';
import { emailAs } from '@bulwark/identity-api';
import { discardHeldMail, listHeldMail, mailSettings, releaseHeldMail, rotateMailInboundSecret, updateMailSettings } from './mail.service';
import { HeldMailPage, HeldMailView, MailInboundSecretView, MailSettingsInput, MailSettingsView } from './mail.types';

@Resolver(() => HeldMailView)
export class MailResolver {
  @Query(() => MailSettingsView, { description: 'How the workspace takes email in: its address, forwarding, sender verification' })
  mailSettings(@Ctx() ctx: RequestContext) {
    return mailSettings(ctx);
  }

  @Mutation(() => MailSettingsView, { description: 'Change the sender policy or the forwarding addresses (recorded); needs a recent reauthenticate' })
  updateMailSettings(@Arg('input', () => MailSettingsInput) input: MailSettingsInput, @Ctx() ctx: RequestContext) {
    return updateMailSettings(ctx, input);
  }

  @Mutation(() => MailInboundSecretView, { description: 'A new secret for the inbound HTTP endpoint, shown once; the old one stops working (recorded); needs a recent reauthenticate' })
  rotateMailInboundSecret(@Ctx() ctx: RequestContext) {
    return rotateMailInboundSecret(ctx);
  }

  @Query(() => HeldMailPage, { description: 'Email held because its sender could not be verified, newest first' })
  heldMails(@Ctx() ctx: RequestContext, @Arg('page', () => PageInput, { nullable: true }) page?: PageInput) {
    return listHeldMail(ctx, page ?? new PageInput());
  }

  @Mutation(() => HeldMailView, { description: 'File a held email as from the address it claims: you vouch for its sender (recorded)' })
  releaseHeldMail(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext) {
    return releaseHeldMail(ctx, id);
  }

  @Mutation(() => HeldMailView, { description: 'Drop a held email; nothing is filed (recorded)' })
  discardHeldMail(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext) {
    return discardHeldMail(ctx, id);
  }

  @FieldResolver(() => String, { description: 'The sender it claims to be from' })
  from(@Root() m: HeldMailView, @Ctx() ctx: RequestContext) {
    // A person's email: masked without users.viewPii, like theirs (D13).
    return emailAs(ctx.principal, { id: '', email: m.from });
  }
}
