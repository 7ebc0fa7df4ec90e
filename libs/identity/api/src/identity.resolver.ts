import { Arg, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import { PageInput, type RequestContext } from '@bulwark/platform-api';
import { LoginInput, LoginPayload, Me, TenantInfo, UserFilter, UserPage } from './identity.types';
import { listUsers } from './users.service';
import { login, logout, me, meSettingsFlags, meTenant } from './identity.service';

@Resolver()
export class IdentityResolver {
  @Mutation(() => LoginPayload, { description: 'Sign in with a password; starts a session (cookie and token)' })
  login(@Arg('input', () => LoginInput) input: LoginInput, @Ctx() ctx: RequestContext) {
    return login(ctx, input);
  }

  @Mutation(() => Boolean, { description: 'Ends the current session' })
  logout(@Ctx() ctx: RequestContext) {
    return logout(ctx);
  }

  @Query(() => Me)
  me(@Ctx() ctx: RequestContext) {
    return me(ctx);
  }

  @Query(() => UserPage)
  users(
    @Ctx() ctx: RequestContext,
    @Arg('filter', () => UserFilter, { nullable: true }) filter?: UserFilter,
    @Arg('page', () => PageInput, { nullable: true }) page?: PageInput,
  ) {
    return listUsers(ctx, filter ?? {}, page ?? new PageInput());
  }
}

/** The fields of Me that read more than the user's row, each read only when the client asks for it. */
@Resolver(() => Me)
export class MeResolver {
  @FieldResolver(() => TenantInfo)
  tenant(@Root() me: Me, @Ctx() ctx: RequestContext) {
    return meTenant(ctx, me);
  }

  @FieldResolver(() => Boolean, { description: "The workspace requires two-factor sign-in for this user's role and the user has not enrolled yet" })
  async twoFactorEnrolmentRequired(@Root() me: Me, @Ctx() ctx: RequestContext) {
    return (await meSettingsFlags(ctx, me)).twoFactorEnrolmentRequired;
  }

  @FieldResolver(() => Boolean, { description: 'The password is older than the workspace allows: change it to regain access' })
  async passwordExpired(@Root() me: Me, @Ctx() ctx: RequestContext) {
    return (await meSettingsFlags(ctx, me)).passwordExpired;
  }

  @FieldResolver(() => Boolean, { description: "The workspace signs this user's role in with single sign-on only: no password sign-in (an owner keeps a break-glass one)" })
  async singleSignOnOnly(@Root() me: Me, @Ctx() ctx: RequestContext) {
    return (await meSettingsFlags(ctx, me)).singleSignOnOnly;
  }
}
