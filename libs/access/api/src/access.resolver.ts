import { Arg, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '@bulwark/platform-api';
import { accessSettings, createRole, deleteRole, listRoles, setIpAllowlist, setLockdown, updateRole } from './access.service';
import { AccessSettingsView, AccessStatus, IpAllowlistInput, PermissionInfo, RoleInput, RoleView } from './access.types';
import { tenantLockdown } from './access.guard';

@Resolver()
export class AccessResolver {
  @Query(() => [RoleView])
  roles(@Ctx() ctx: RequestContext) {
    return listRoles(ctx);
  }

  @Mutation(() => RoleView, { description: 'Needs a recent re-authentication; only permissions you hold' })
  createRole(@Arg('input', () => RoleInput) input: RoleInput, @Ctx() ctx: RequestContext) {
    return createRole(ctx, input);
  }

  @Mutation(() => RoleView)
  updateRole(@Arg('key', () => ID) key: string, @Arg('input', () => RoleInput) input: RoleInput, @Ctx() ctx: RequestContext) {
    return updateRole(ctx, key, input);
  }

  @Mutation(() => Boolean, { description: 'Refused while people hold the role' })
  deleteRole(@Arg('key', () => ID) key: string, @Ctx() ctx: RequestContext) {
    return deleteRole(ctx, key);
  }

  @Query(() => [PermissionInfo])
  permissionCatalog(@Ctx() ctx: RequestContext): PermissionInfo[] {
    return ctx.app.catalog.definitions.map((d) => ({ key: d.key, feature: d.feature, description: d.description }));
  }

  @Query(() => AccessStatus, { description: 'Lockdown state, for the console banner' })
  async accessStatus(@Ctx() ctx: RequestContext): Promise<AccessStatus> {
    return { lockdown: await tenantLockdown(ctx) };
  }

  @Query(() => AccessSettingsView)
  accessSettings(@Ctx() ctx: RequestContext) {
    return accessSettings(ctx);
  }

  @Mutation(() => AccessSettingsView, { description: 'Replaces the IP allowlist; refused if it would lock you out' })
  setIpAllowlist(@Arg('input', () => IpAllowlistInput) input: IpAllowlistInput, @Ctx() ctx: RequestContext) {
    return setIpAllowlist(ctx, input);
  }

  @Mutation(() => AccessSettingsView, { description: 'Lockdown: mutations refused except for admins on allowlisted networks' })
  setLockdown(@Arg('on') on: boolean, @Ctx() ctx: RequestContext) {
    return setLockdown(ctx, on);
  }
}
