import { Arg, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '@bulwark/platform-api';
import { SupportAccessStatus, SupportGrantInput, SupportGrantView, SupportOperatorView, SupportSignInInput, SupportSignInPayload, VendorSupportInput } from './support.types';
import { grantSupportAccess, listGrants, listOperators, requestVendorSupport, revokeSupportAccess, supportSignIn, supportStatus, type GrantView } from './support.service';

@Resolver()
export class SupportResolver {
  @Mutation(() => SupportSignInPayload, { description: "A vendor support operator's sign-in to a workspace where an admin granted them access (password and authenticator code)" })
  supportSignIn(@Arg('input', () => SupportSignInInput) input: SupportSignInInput, @Ctx() ctx: RequestContext) {
    return supportSignIn(ctx, input);
  }

  @Mutation(() => SupportGrantView, { description: 'Open a vendor support request and grant the vendor access with it (re-authenticated)' })
  async requestVendorSupport(@Arg('input', () => VendorSupportInput) input: VendorSupportInput, @Ctx() ctx: RequestContext) {
    const g = await requestVendorSupport(ctx, input);
    return view(ctx, g.id);
  }

  @Mutation(() => SupportGrantView, { description: 'Grant access again through an open vendor support request whose access ended (re-authenticated)' })
  async grantSupportAccess(@Arg('ticketId', () => ID) ticketId: string, @Arg('input', () => SupportGrantInput) input: SupportGrantInput, @Ctx() ctx: RequestContext) {
    const g = await grantSupportAccess(ctx, ticketId, input);
    return view(ctx, g.id);
  }

  @Mutation(() => SupportGrantView, { description: 'End vendor support access now: operators signed in under it are out at their next request' })
  async revokeSupportAccess(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext) {
    const g = await revokeSupportAccess(ctx, id);
    return view(ctx, g.id);
  }

  @Query(() => [SupportGrantView], { description: 'Vendor support access, newest first (up to 200)' })
  supportGrants(@Arg('activeOnly', { defaultValue: false }) activeOnly: boolean, @Ctx() ctx: RequestContext) {
    return listGrants(ctx, { activeOnly });
  }

  @Query(() => [SupportOperatorView], { description: 'The vendor support operators a grant may name' })
  supportOperators(@Ctx() ctx: RequestContext) {
    return listOperators(ctx);
  }

  @Query(() => SupportAccessStatus, { description: 'Open vendor support access, for the console banner' })
  supportAccessStatus(@Ctx() ctx: RequestContext) {
    return supportStatus(ctx);
  }
}

/** The grant with the names a person reads (the ORM flushes what the query needs first). */
async function view(ctx: RequestContext, id: string): Promise<GrantView> {
  const [g] = await listGrants(ctx, { activeOnly: false, id });
  return g;
}
