import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Ctx, FieldResolver, ID, Info, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { badInput, forbidden, hasPermission, PageInput, selectsField, type RequestContext } from '@bulwark/platform-api';
import { maskEmail, OrganizationPermission, organizationSummaries, OrganizationView, UserPermission, userSummaries, UserSummary } from '@bulwark/identity-api';
import { commentsByTicket } from './comments.loader';
import { addComment, createTicket, deleteTicket, getTicket, listTickets, updateTicket } from './tickets.service';
import { startTicketExport } from './ticket-export.service';
import { ticketHistory } from './history.service';
import { isDeskStaff } from './ticket-scope';
import { queryTagCounts } from './ticket-list.query';
import { createView, deleteView, listViews } from './views.service';
import {
  AddCommentInput,
  CommentView,
  CreateTicketInput,
  CreateViewInput,
  ExportFormatEnum,
  TagCount,
  TicketHistoryEntry,
  TicketListView,
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

  @Query(() => TicketView, { description: 'One ticket, by its id or by its number (#1001 is number: 1001)' })
  ticket(
    @Ctx() ctx: RequestContext,
    @Arg('id', () => ID, { nullable: true }) id?: string,
    @Arg('number', () => Int, { nullable: true }) number?: number,
  ) {
    return getTicket(ctx, id ?? undefined, number ?? undefined);
  }

  @Query(() => [TicketListView], { description: 'The built-in views and your saved ones, with how many tickets each holds now' })
  views(@Ctx() ctx: RequestContext) {
    return listViews(ctx);
  }

  @Mutation(() => TicketListView, { description: 'Saves a filter of the ticket list as a view of your own' })
  createView(@Arg('input', () => CreateViewInput) input: CreateViewInput, @Ctx() ctx: RequestContext) {
    return createView(ctx, input.name, input.filter);
  }

  @Mutation(() => Boolean, { description: 'Deletes one of your saved views' })
  deleteView(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext) {
    return deleteView(ctx, id);
  }

  @Query(() => [TagCount], { description: 'Tags of the tickets you can see, most used first' })
  ticketTags(@Ctx() ctx: RequestContext, @Arg('search', () => String, { nullable: true }) search?: string) {
    if (!isDeskStaff(ctx)) throw forbidden();
    if (search && search.length > 40) throw badInput('A tag has at most 40 characters', { search: 'too long' });
    return queryTagCounts(ctx, search ?? undefined, 50);
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

  @FieldResolver(() => OrganizationView, { nullable: true, description: "The requester's organization (needs organizations.read: requesters are refused)" })
  async organization(@Root() t: TicketView, @Ctx() ctx: RequestContext) {
    if (!hasPermission(ctx.principal, OrganizationPermission.read)) throw forbidden();
    const requester = await userSummaries(ctx).load(t.requesterId);
    return requester?.organizationId ? organizationSummaries(ctx).load(requester.organizationId) : null;
  }

  @FieldResolver(() => [String], { description: 'Addresses copied on public replies (masked without users.viewPii)' })
  ccEmails(@Root() t: TicketView, @Ctx() ctx: RequestContext) {
    return hasPermission(ctx.principal, UserPermission.viewPii) ? t.ccEmails : t.ccEmails.map(maskEmail);
  }

  @FieldResolver(() => [String], { description: "The desk's tags (staff only: requesters are refused)" })
  tags(@Root() t: TicketView, @Ctx() ctx: RequestContext) {
    if (!isDeskStaff(ctx)) throw forbidden();
    return t.tags;
  }

  @FieldResolver(() => [TicketHistoryEntry], { description: "What happened to it, from the audit log, in words (staff only: requesters are refused)" })
  history(@Root() t: TicketView, @Ctx() ctx: RequestContext) {
    if (!isDeskStaff(ctx)) throw forbidden();
    return ticketHistory(ctx, t.id);
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
