import { Arg, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { enterTenant, type RequestContext } from '@bulwark/platform-api';
import { ChangeRoleInput, ReauthPayload, SessionView, SignUpInput } from './admin.types';
import { toSummary, UserSummary } from './identity.types';
import { tenantIdBySlug } from './identity.service';
import { mySessions, reauthenticate, revokeOtherSessions, revokeSession, signOutEveryone, signOutUser } from './sessions.service';
import { changeUserRole, deleteUser, reactivateUser, signUpRequester, suspendUser, updateUser } from './users-admin.service';
import { UpdateUserInput } from './organizations.types';
import type { User } from './user.entity';

const summary = (u: User): UserSummary => toSummary(u);

@Resolver()
export class AdminResolver {
  @Query(() => [SessionView], { description: 'B7: your signed-in devices' })
  mySessions(@Ctx() ctx: RequestContext) {
    return mySessions(ctx);
  }

  @Mutation(() => Boolean)
  revokeSession(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext) {
    return revokeSession(ctx, id);
  }

  @Mutation(() => Int, { description: 'Ends every session of yours but this one; returns how many ended' })
  revokeOtherSessions(@Ctx() ctx: RequestContext) {
    return revokeOtherSessions(ctx);
  }

  @Mutation(() => ReauthPayload, { description: 'B8: confirm your password for sensitive operations (valid 5 minutes)' })
  reauthenticate(@Arg('password') password: string, @Ctx() ctx: RequestContext) {
    return reauthenticate(ctx, password.slice(0, 1024));
  }

  @Mutation(() => Int, { description: 'Single sign-out of one person' })
  signOutUser(@Arg('userId', () => ID) userId: string, @Ctx() ctx: RequestContext) {
    return signOutUser(ctx, userId);
  }

  @Mutation(() => Int, { description: 'Single sign-out of the whole workspace (except your current session)' })
  signOutEveryone(@Ctx() ctx: RequestContext) {
    return signOutEveryone(ctx);
  }

  @Mutation(() => UserSummary, { description: 'Ends their sessions; they cannot sign in until reactivated' })
  async suspendUser(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext) {
    return summary(await suspendUser(ctx, id));
  }

  @Mutation(() => UserSummary)
  async reactivateUser(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext) {
    return summary(await reactivateUser(ctx, id));
  }

  @Mutation(() => Boolean, {
    description: 'Removes the person’s access and personal data; tickets they requested or were assigned stay, shown as "Deleted user"',
  })
  deleteUser(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext) {
    return deleteUser(ctx, id);
  }

  @Mutation(() => UserSummary, { description: 'Needs a recent re-authentication (B8)' })
  async changeUserRole(@Arg('input', () => ChangeRoleInput) input: ChangeRoleInput, @Ctx() ctx: RequestContext) {
    return summary(await changeUserRole(ctx, input.id, input.role));
  }

  @Mutation(() => UserSummary, { description: "Changes a person's details (their organization); what the input leaves out stays" })
  async updateUser(@Arg('id', () => ID) id: string, @Arg('input', () => UpdateUserInput) input: UpdateUserInput, @Ctx() ctx: RequestContext) {
    return summary(await updateUser(ctx, id, input));
  }

  @Mutation(() => Boolean, { description: 'Requester self-service sign-up, where the workspace allows it' })
  async signUp(@Arg('input', () => SignUpInput) input: SignUpInput, @Ctx() ctx: RequestContext) {
    const tenantId = await tenantIdBySlug(ctx, input.tenant.trim().toLowerCase());
    if (tenantId) await enterTenant(ctx, tenantId, { replacePrincipal: true });
    return signUpRequester(ctx, { tenantId, email: input.email, name: input.name, password: input.password });
  }
}
