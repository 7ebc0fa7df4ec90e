import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Ctx, FieldResolver, ID, Info, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { PageInput, selectsField, type RequestContext } from '@bulwark/platform-api';
import { userSummaries, UserSummary } from '@bulwark/identity-api';
import { commentsByTicket } from './comments.loader';
import { addComment, createTicket, deleteTicket, getTicket, listTickets, updateTicket } from './tickets.service';
import { startTicketExport } from './ticket-export.service';
import {
  AddCommentInput,
  CommentView,
  CreateTicketInput,
  ExportFormatEnum,
  TicketExportLink,
  TicketFilter,
  TicketPage,
  TicketSort,
  TicketView,
  UpdateTicketInput,
} from './tickets.types';

@Resolver(() => TicketView)
export class TicketResolver {
  @Query(() => TicketPage, { description: 'Tickets one can see, filtered, sorted and paged' })
  tickets(
    @Ctx() ctx: RequestContext,
    @Info() info: GraphQLResolveInfo,
    @Arg('filter', () => TicketFilter, { nullable: true }) filter?: TicketFilter,
    @Arg('sort', () => TicketSort, { nullable: true }) sort?: TicketSort,
    @Arg('page', () => PageInput, { nullable: true }) page?: PageInput,
  ) {
    return listTickets(ctx, filter ?? {}, sort ?? new TicketSort(), page ?? new PageInput(), selectsField(info, 'totalCount'));
  }

  @Query(() => TicketView)
  ticket(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext) {
    return getTicket(ctx, id);
  }

  @Mutation(() => TicketView)
  createTicket(@Arg('input', () => CreateTicketInput) input: CreateTicketInput, @Ctx() ctx: RequestContext) {
    return createTicket(ctx, input);
  }

  @Mutation(() => TicketView)
  updateTicket(
    @Arg('id', () => ID) id: string,
    @Arg('input', () => UpdateTicketInput) input: UpdateTicketInput,
    @Ctx() ctx: RequestContext,
  ) {
    return updateTicket(ctx, id, input);
  }

  @Mutation(() => Boolean)
  deleteTicket(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext) {
    return deleteTicket(ctx, id);
  }

  @Mutation(() => TicketExportLink, {
    description: 'The tickets one can see (filtered like the list) as a file, through a one-time link. Needs a recent re-authentication; recorded',
  })
  exportTickets(
    @Arg('format', () => ExportFormatEnum) format: ExportFormatEnum,
    @Ctx() ctx: RequestContext,
    @Arg('filter', () => TicketFilter, { nullable: true }) filter?: TicketFilter,
  ) {
    return startTicketExport(ctx, format, filter ?? {});
  }

  @Mutation(() => CommentView, { description: 'A public reply, or an internal note (public: false)' })
  addComment(
    @Arg('ticketId', () => ID) ticketId: string,
    @Arg('input', () => AddCommentInput) input: AddCommentInput,
    @Ctx() ctx: RequestContext,
  ) {
    return addComment(ctx, ticketId, input);
  }

  @FieldResolver(() => UserSummary)
  async requester(@Root() t: TicketView, @Ctx() ctx: RequestContext) {
    return userSummaries(ctx).load(t.requesterId);
  }

  @FieldResolver(() => UserSummary, { nullable: true })
  async assignee(@Root() t: TicketView, @Ctx() ctx: RequestContext) {
    return t.assigneeId ? userSummaries(ctx).load(t.assigneeId) : null;
  }

  @FieldResolver(() => [CommentView])
  comments(@Root() t: TicketView, @Ctx() ctx: RequestContext) {
    return commentsByTicket(ctx).load(t.id);
  }
}

@Resolver(() => TicketPage)
export class TicketPageResolver {
  @FieldResolver(() => Int)
  totalCount(@Root() page: TicketPage) {
    return page.count();
  }
}

@Resolver(() => CommentView)
export class CommentResolver {
  @FieldResolver(() => UserSummary, { nullable: true })
  author(@Root() c: CommentView, @Ctx() ctx: RequestContext) {
    return userSummaries(ctx).load(c.authorId);
  }
}
