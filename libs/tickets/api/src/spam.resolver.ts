import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { PageInput, type RequestContext } from '@bulwark/platform-api';
import { emailAs, userSummaries, UserSummary } from '@bulwark/identity-api';
import { blockQuarantine, deleteQuarantinedTickets, listQuarantines, releaseQuarantine, spamSettings, updateSpamSettings } from './spam.service';
import { QuarantineFilter, QuarantinePage, QuarantineView, SpamSettingsInput, SpamSettingsView } from './spam.types';
import type { QuarantineStatus } from './spam.entities';

@Resolver(() => QuarantineView)
export class SpamResolver {
  @Query(() => SpamSettingsView, { description: "The spam watcher's rules" })
  spamSettings(@Ctx() ctx: RequestContext) {
    return spamSettings(ctx);
  }

  @Mutation(() => SpamSettingsView, { description: "Change the spam watcher's rules (recorded)" })
  updateSpamSettings(@Arg('input', () => SpamSettingsInput) input: SpamSettingsInput, @Ctx() ctx: RequestContext) {
    return updateSpamSettings(ctx, input);
  }

  @Query(() => QuarantinePage, { description: 'Requesters whose tickets the spam watcher holds, newest first' })
  spamQuarantines(
    @Ctx() ctx: RequestContext,
    @Arg('filter', () => QuarantineFilter, { nullable: true }) filter?: QuarantineFilter,
    @Arg('page', () => PageInput, { nullable: true }) page?: PageInput,
  ) {
    return listQuarantines(ctx, (filter?.status ?? []) as QuarantineStatus[], page ?? new PageInput());
  }

  @Mutation(() => QuarantineView, { description: 'Let the held tickets through, in the order they were filed (recorded)' })
  releaseQuarantine(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext) {
    return releaseQuarantine(ctx, id);
  }

  @Mutation(() => QuarantineView, { description: 'Refuse their new tickets until released; what is held stays held (recorded)' })
  blockQuarantine(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext) {
    return blockQuarantine(ctx, id);
  }

  @Mutation(() => QuarantineView, { description: 'Delete the held tickets; the person stays (recorded)' })
  deleteQuarantinedTickets(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext) {
    return deleteQuarantinedTickets(ctx, id);
  }

  @FieldResolver(() => String, { nullable: true, description: 'The sender or network address, for anonymous channels' })
  address(@Root() q: QuarantineView, @Ctx() ctx: RequestContext) {
    // A sender's address is a person's email: masked without users.viewPii, like theirs (D13).
    return q.address && q.subjectKind === 'sender' ? emailAs(ctx.principal, { id: '', email: q.address }) : q.address;
  }

  @FieldResolver(() => UserSummary, { nullable: true, description: 'The requester, when the subject is one' })
  requester(@Root() q: QuarantineView, @Ctx() ctx: RequestContext) {
    return q.requesterId ? userSummaries(ctx).load(q.requesterId) : null;
  }

  @FieldResolver(() => UserSummary, { nullable: true, description: 'Who made the last decision' })
  decidedBy(@Root() q: QuarantineView, @Ctx() ctx: RequestContext) {
    return q.decidedById ? userSummaries(ctx).load(q.decidedById) : null;
  }
}
