import { forbidden, type Permission, type RequestContext } from '@bulwark/platform-api';
import type { User } from './user.entity';

/**
 * Nobody acts on a person whose role can do more than their own (an admin cannot suspend, delete,
 * re-role or reset an owner), as nobody may hand out permissions they lack.
 */
export async function assertNotAbove(ctx: RequestContext, user: User): Promise<void> {
  const theirs = (await ctx.app.roles.permissionsOf(ctx, user.role)) ?? new Set<Permission>();
  const mine = ctx.principal?.permissions ?? new Set<Permission>();
  if ([...theirs].some((p) => !mine.has(p))) throw forbidden();
}
