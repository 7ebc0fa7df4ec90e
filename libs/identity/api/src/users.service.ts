import type { PageInput, RequestContext } from '@bulwark/platform-api';
import { toSummary, type UserFilter, type UserPage } from './identity.types';
import { User } from './user.entity';

export async function listUsers(ctx: RequestContext, filter: UserFilter, page: PageInput): Promise<UserPage> {
  const where: Record<string, unknown> = { status: { $ne: 'deleted' } };
  if (filter.role) where.role = filter.role;
  else if (filter.staffOnly) where.role = { $ne: 'requester' };
  if (filter.ids) where.id = { $in: filter.ids };
  if (filter.search) {
    const like = `%${filter.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    where.$or = [{ name: { $ilike: like } }, { email: { $ilike: like } }];
  }
  const [users, totalCount] = await ctx.em.findAndCount(User, where, {
    orderBy: { name: 'asc', id: 'asc' },
    limit: page.limit,
    offset: page.offset,
    fields: ['id', 'name', 'email', 'phone', 'role', 'status'],
  });
  return { nodes: users.map(toSummary), totalCount };
}
