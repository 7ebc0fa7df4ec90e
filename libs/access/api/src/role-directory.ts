import { isBuiltInRole, isUuid, loader, type Permission, type RequestContext, type RoleDirectory } from '@bulwark/platform-api';
import { Role } from './access.entities';

/** A user's role is a built-in key (`agent`) or a custom role (`role:<uuid>`). */
export const CUSTOM_PREFIX = 'role:';
export const customRoleKey = (id: string) => `${CUSTOM_PREFIX}${id}`;
export const customRoleId = (key: string) => (key.startsWith(CUSTOM_PREFIX) && isUuid(key.slice(CUSTOM_PREFIX.length)) ? key.slice(CUSTOM_PREFIX.length) : null);

/**
 * Built-in roles cost nothing (the catalog); a custom role is read once per request, under the
 * tenant filter and RLS, so a role of another tenant does not exist. Permissions the catalog no
 * longer declares are dropped.
 */
export const roleDirectory: RoleDirectory = {
  async permissionsOf(ctx: RequestContext, role: string) {
    if (isBuiltInRole(role)) return ctx.app.catalog.forRole(role);
    const id = customRoleId(role);
    if (!id) return null;
    return loader(ctx, `access.role:${id}`, async () => {
      const found = await ctx.em.findOne(Role, { id }, { fields: ['permissions'] });
      if (!found) return null;
      const known = new Set<string>(ctx.app.catalog.definitions.map((d) => d.key));
      return new Set(found.permissions.filter((p) => known.has(p)) as Permission[]) as ReadonlySet<Permission>;
    });
  },
};
