import type { ConsolePlugin } from './plugin';

export interface Who {
  role: string;
  permissions: readonly string[];
}

/**
 * Whether the signed-in person gets the requesters' portal instead of the console: when every
 * permission they hold is one the portal serves. Anyone holding more (agents, admins, auditors, a
 * custom staff role) gets the console. A session restricted to its own account (two-factor sign-in
 * to set up, an expired password) holds no permission until that is done, so there the role says
 * which of the two it belongs to.
 */
export function usesPortal(plugins: readonly ConsolePlugin[], who: Who): boolean {
  if (!plugins.some((p) => p.portal?.pages.length)) return false;
  if (!who.permissions.length) return who.role === 'requester';
  const served = new Set<string>(plugins.flatMap((p) => p.portal?.serves ?? []));
  return who.permissions.every((p) => served.has(p));
}
