import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { PageInput, type RequestContext } from '@bulwark/platform-api';
import { OrganizationInput, OrganizationPage, OrganizationView } from './organizations.types';
import { createOrganization, deleteOrganization, getOrganization, listOrganizations, memberCounts, updateOrganization } from './organizations.service';

@Resolver()
export class OrganizationResolver {
  @Query(() => OrganizationPage, { description: 'Organizations by name; search matches names, or an exact domain' })
  organizations(
    @Ctx() ctx: RequestContext,
    @Arg('search', () => String, { nullable: true }) search?: string,
    @Arg('page', () => PageInput, { nullable: true }) page?: PageInput,
    @Arg('ids', () => [ID], { nullable: true, description: 'Only these (at most 100): the names for a page of people or tickets' }) ids?: string[],
  ) {
    return listOrganizations(ctx, { search: search?.slice(0, 200), ids }, page ?? new PageInput());
  }

  @Query(() => OrganizationView)
  organization(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext) {
    return getOrganization(ctx, id);
  }

  @Mutation(() => OrganizationView, { description: 'New requesters at its domains join it' })
  createOrganization(@Arg('input', () => OrganizationInput) input: OrganizationInput, @Ctx() ctx: RequestContext) {
    return createOrganization(ctx, input);
  }

  @Mutation(() => OrganizationView, { description: 'Renames it and replaces its domains; its people stay' })
  updateOrganization(@Arg('id', () => ID) id: string, @Arg('input', () => OrganizationInput) input: OrganizationInput, @Ctx() ctx: RequestContext) {
    return updateOrganization(ctx, id, input);
  }

  @Mutation(() => Boolean, { description: 'Its people stay, in no organization' })
  deleteOrganization(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext) {
    return deleteOrganization(ctx, id);
  }
}

/** Organization fields that read other rows: batched per request (no query per row). */
@Resolver(() => OrganizationView)
export class OrganizationFieldsResolver {
  @FieldResolver(() => Int, { description: 'People in it (deleted people are not counted)' })
  memberCount(@Root() org: OrganizationView, @Ctx() ctx: RequestContext) {
    return memberCounts(ctx).load(org.id);
  }
}
