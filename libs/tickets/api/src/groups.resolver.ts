import { Arg, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '@bulwark/platform-api';
import { createGroup, deleteGroup, listGroups, updateGroup } from './groups.service';
import { TicketGroupInput, TicketGroupView } from './groups.types';

@Resolver()
export class GroupResolver {
  @Query(() => [TicketGroupView], { description: 'Groups of staff, by name' })
  ticketGroups(@Ctx() ctx: RequestContext) {
    return listGroups(ctx);
  }

  @Mutation(() => TicketGroupView)
  createTicketGroup(@Arg('input', () => TicketGroupInput) input: TicketGroupInput, @Ctx() ctx: RequestContext) {
    return createGroup(ctx, input);
  }

  @Mutation(() => TicketGroupView, { description: 'Renames it and replaces its members' })
  updateTicketGroup(@Arg('id', () => ID) id: string, @Arg('input', () => TicketGroupInput) input: TicketGroupInput, @Ctx() ctx: RequestContext) {
    return updateGroup(ctx, id, input);
  }

  @Mutation(() => Boolean, { description: 'Its tickets stay, without a group' })
  deleteTicketGroup(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext) {
    return deleteGroup(ctx, id);
  }
}
