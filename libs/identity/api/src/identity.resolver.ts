import { Arg, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import { PageInput, type RequestContext } from '@bulwark/platform-api';
import { LoginInput, LoginPayload, Me, UserFilter, UserPage } from './identity.types';
import { listUsers } from './users.service';
import { login, logout, me } from './identity.service';

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
