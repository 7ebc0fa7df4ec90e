import { actingUserId, hasPermission, type RequestContext } from '@bulwark/platform-api';
import { TicketPermission } from './tickets.permissions';

/**
 * Which tickets the acting person may see at all, decided once for both ways tickets are read:
 * - `all` with `tickets.viewAll`;
 * - else `own`: the tickets they requested or are assigned (requesters are never assignees), and
 *   with `tickets.viewGroup` also those of the groups they are in (`withGroups`);
 * - `none` for a principal that is no person (an API token acts as its creator, so has one).
 * A ticket out of scope answers NOT_FOUND like a missing one. The ORM path (tickets.service) and
 * the list's SQL (ticket-list.query) each render this value; neither decides anything itself.
 */
export type TicketScope = { kind: 'all' } | { kind: 'none' } | { kind: 'own'; userId: string; withGroups: boolean };

export function ticketScope(ctx: RequestContext): TicketScope {
  const p = ctx.principal;
  if (!p) return { kind: 'none' };
  if (hasPermission(p, TicketPermission.viewAll)) return { kind: 'all' };
  const userId = actingUserId(p);
  if (!userId) return { kind: 'none' };
  return { kind: 'own', userId, withGroups: hasPermission(p, TicketPermission.viewGroup) };
}

/**
 * Staff of the desk, who see its own notes about tickets (tags, history): those who may change
 * tickets or see all of them. Requesters (and light agents limited to their own) see neither.
 */
export function isDeskStaff(ctx: RequestContext): boolean {
  return hasPermission(ctx.principal, TicketPermission.update) || hasPermission(ctx.principal, TicketPermission.viewAll);
}
