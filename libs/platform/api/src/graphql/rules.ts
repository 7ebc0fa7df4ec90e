import { allow, rule } from 'graphql-shield';
import { hasPermission, type RequestContext } from '../context';
import { unauthenticated } from '../errors';
import type { Permission } from '../permissions';

/**
 * Shield rules only wrap plain checks (STYLE.md 4). Rule names are unique per check because
 * graphql-shield's `contextual` cache keys by name alone (STACK.md).
 */
export const isAuthenticated = rule('isAuthenticated', { cache: 'contextual' })(
  (_p: unknown, _a: unknown, ctx: RequestContext) => (ctx.principal ? true : unauthenticated()),
);

const canRules = new Map<Permission, ReturnType<ReturnType<typeof rule>>>();

/** Allowed when the signed-in principal holds `permission`; UNAUTHENTICATED when nobody is signed in. */
export function can(permission: Permission) {
  let r = canRules.get(permission);
  if (!r) {
    r = rule(`can:${permission}`, { cache: 'contextual' })((_p: unknown, _a: unknown, ctx: RequestContext) =>
      !ctx.principal ? unauthenticated() : hasPermission(ctx.principal, permission),
    );
    canRules.set(permission, r);
  }
  return r;
}

/**
 * For the few root fields anyone may call (sign-in). Named, so that the reviewed rule snapshot
 * shows `public` rather than an anonymous allow.
 */
export const publicAccess = rule('public', { cache: 'strict' })(() => true);

/**
 * For object types whose only way in is a root field that already checked access. Fields under
 * `reachable` are left unwrapped (graphql-shield's per-field cost is large: STACK.md).
 */
export const reachable = allow;
