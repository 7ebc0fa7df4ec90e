import DataLoader from 'dataloader';
import { loader, type RequestContext } from '@bulwark/platform-api';
import type { UserSummary } from './identity.types';
import { User } from './user.entity';

/**
 * People by id, batched per request (D9: a loader never outlives its request). Other features
 * resolve their user references through this, so a page of N rows costs one query, not N.
 */
export function userSummaries(ctx: RequestContext): DataLoader<string, UserSummary | null> {
  return loader(ctx, 'identity.userSummaries', () =>
    new DataLoader<string, UserSummary | null>(async (ids) => {
      const qb = ctx.em.createQueryBuilder(User, 'u').select(['id', 'name', 'email', 'phone', 'role', 'status', 'organizationId']).where({ id: { $in: [...ids] } });
      // Query builders skip ORM filters unless asked; RLS would still hold, but keep both walls.
      await qb.applyFilters();
      const rows = await qb.execute<UserSummary[]>('all');
      const byId = new Map(rows.map((r) => [r.id, r]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
  );
}
