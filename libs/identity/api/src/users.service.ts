import type { PageInput, RequestContext } from '@bulwark/platform-api';
import { toSummary, type UserFilter, type UserPage } from './identity.types';
import { User } from './user.entity';
import { piiReadable } from './user-summary.resolver';

export async function listUsers(ctx: RequestContext, filter: UserFilter, page: PageInput): Promise<UserPage> {
  const where: Record<string, unknown> = { status: { $ne: 'deleted' } };
  // Both filters apply when both are given (staffOnly with role "requester" finds nobody).
  if (filter.role || filter.staffOnly) where.role = { ...(filter.role ? { $eq: filter.role } : {}), ...(filter.staffOnly ? { $ne: 'requester' } : {}) };
  if (filter.ids) where.id = { $in: filter.ids };
  if (filter.organizationId) where.organizationId = filter.organizationId;
  if (filter.search) {
    const like = `%${filter.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    // D13: match only what the caller may read. Without users.viewPii the addresses are masked, so
    // a substring search on them would spell out what the mask hides; only one's own still matches.
    // (Phone numbers are masked alike and are not searched for anyone.)
    const readable = piiReadable(ctx.principal);
    const email = { email: { $ilike: like } };
    const onEmail = readable === 'all' ? [email] : readable === 'none' ? [] : [{ id: readable.own, ...email }];
    where.$or = [{ name: { $ilike: like } }, ...onEmail];
  }
  const [users, totalCount] = await ctx.em.findAndCount(User, where, {
    orderBy: { name: 'asc', id: 'asc' },
    limit: page.limit,
    offset: page.offset,
    fields: ['id', 'name', 'email', 'phone', 'role', 'status', 'organizationId'],
  });
  return { nodes: users.map(toSummary), totalCount };
}
