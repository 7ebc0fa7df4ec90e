import { Arg, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { requireRecentAuth, signedInPerson } from './sessions.service';
import { badInput, forbidden, type RequestContext, Tenant } from '@bulwark/platform-api';
import { contextWordsFor, PASSWORD_MAX } from '@bulwark/identity-shared';
import { toSummary, UserSummary } from './identity.types';
import { cleanPhone, createUser, tenantIdBySlug } from './identity.service';
import { acceptInvitation, changePassword, inviteUser, requestPasswordReset, resetPassword, unlockUser } from './passwords.service';
import {
  ChangePasswordInput,
  IdentitySettingsInput,
  IdentitySettingsView,
  InviteUserInput,
  PasswordPolicyView,
  PasswordResetRequestInput,
  ProfileInput,
  TokenPasswordInput,
} from './security.types';
import { identitySettings } from './settings';
import { User } from './user.entity';

@Resolver()
export class SecurityResolver {
  @Query(() => IdentitySettingsView)
  identitySettings(@Ctx() ctx: RequestContext) {
    return identitySettings(ctx);
  }

  @Mutation(() => IdentitySettingsView)
  async updateIdentitySettings(@Arg('input', () => IdentitySettingsInput) input: IdentitySettingsInput, @Ctx() ctx: RequestContext) {
    const settings = await identitySettings(ctx);
    const { passwordExpiryDays, ...rest } = input;
    if (passwordExpiryDays !== undefined && passwordExpiryDays !== null && passwordExpiryDays !== 0 && passwordExpiryDays < 30) {
      throw badInput('Password expiry is 30 to 3650 days, or 0 for none', { passwordExpiryDays: 'out of range' });
    }
    // Built-in or this tenant's custom roles only (a deleted custom role is refused too).
    for (const field of ['twoFactorRequiredRoles', 'ssoRequiredRoles'] as const) {
      for (const [i, role] of (rest[field] ?? []).entries()) {
        if (!(await ctx.app.roles.permissionsOf(ctx, role))) throw badInput(`Unknown role ${role}`, { [`${field}.${i}`]: 'unknown role' });
      }
    }
    // Who may sign in how is an SSO setting (B8): a recent re-authentication, when it changes.
    if (rest.ssoRequiredRoles && [...rest.ssoRequiredRoles].sort().join() !== [...settings.ssoRequiredRoles].sort().join()) {
      await requireRecentAuth(ctx);
      // Nobody puts a role above their own behind single sign-on: an admin requiring it of owners
      // would leave owners (without two-factor) only the way in that the admin set up.
      const mine = ctx.principal?.permissions ?? new Set();
      const owner = ctx.principal?.kind === 'user' && ctx.principal.role === 'owner';
      for (const role of rest.ssoRequiredRoles.filter((r) => !settings.ssoRequiredRoles.includes(r))) {
        const theirs = (await ctx.app.roles.permissionsOf(ctx, role)) ?? new Set();
        if ((role === 'owner' && !owner) || [...theirs].some((p) => !mine.has(p))) throw forbidden();
      }
    }
    // An explicit null leaves a setting as it is, like an absent one (every column is NOT NULL).
    Object.assign(settings, Object.fromEntries(Object.entries(rest).filter(([, v]) => v != null)), { updatedAt: ctx.app.now() });
    if (passwordExpiryDays != null) settings.passwordExpiryDays = passwordExpiryDays === 0 ? null : passwordExpiryDays;
    return settings;
  }

  @Query(() => PasswordPolicyView, { description: "The signed-in user's password rules" })
  async passwordPolicy(@Ctx() ctx: RequestContext): Promise<PasswordPolicyView> {
    const me = signedInPerson(ctx);
    const settings = await identitySettings(ctx);
    const tenant = await ctx.em.findOneOrFail(Tenant, { id: me.tenantId });
    const user = await ctx.em.findOneOrFail(User, { id: me.userId });
    return { minLength: settings.passwordMinLength, maxLength: PASSWORD_MAX, contextWords: contextWordsFor(tenant.name, tenant.slug, user.email) };
  }

  @Mutation(() => Boolean, { description: 'A6: needs the current password; ends your other sessions' })
  changePassword(@Arg('input', () => ChangePasswordInput) input: ChangePasswordInput, @Ctx() ctx: RequestContext) {
    return changePassword(ctx, input.currentPassword, input.newPassword);
  }

  @Mutation(() => Boolean, { description: 'Mails a reset link if the account exists; answers true either way' })
  requestPasswordReset(@Arg('input', () => PasswordResetRequestInput) input: PasswordResetRequestInput, @Ctx() ctx: RequestContext) {
    return requestPasswordReset(ctx, input, (slug) => tenantIdBySlug(ctx, slug));
  }

  @Mutation(() => Boolean)
  resetPassword(@Arg('input', () => TokenPasswordInput) input: TokenPasswordInput, @Ctx() ctx: RequestContext) {
    return resetPassword(ctx, input.token, input.password);
  }

  @Mutation(() => UserSummary, { description: 'Your own name and phone number' })
  async updateMyProfile(@Arg('input', () => ProfileInput) input: ProfileInput, @Ctx() ctx: RequestContext) {
    const u = await ctx.em.findOneOrFail(User, { id: signedInPerson(ctx).userId });
    u.name = input.name.trim();
    u.phone = cleanPhone(input.phone);
    return toSummary(u);
  }

  @Mutation(() => UserSummary, { description: 'Creates the person as invited and mails them a link (valid 7 days)' })
  async inviteUser(@Arg('input', () => InviteUserInput) input: InviteUserInput, @Ctx() ctx: RequestContext) {
    const u = await inviteUser(ctx, input, createUser);
    return toSummary(u);
  }

  @Mutation(() => Boolean)
  acceptInvitation(@Arg('input', () => TokenPasswordInput) input: TokenPasswordInput, @Ctx() ctx: RequestContext) {
    return acceptInvitation(ctx, input.token, input.password);
  }

  @Mutation(() => Boolean, { description: 'Lifts a lockout before it expires' })
  unlockUser(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext) {
    return unlockUser(ctx, id);
  }
}
