import DataLoader from 'dataloader';
import { hasPermission, loader, type RequestContext } from '@bulwark/platform-api';
import { Comment } from './ticket.entity';
import { TicketPermission } from './tickets.permissions';
import type { CommentView } from './tickets.types';

interface CommentRow {
  id: string;
  body: string;
  body_html: string | null;
  public: boolean;
  created_at: string | Date; // raw rows carry timestamps as strings
  ticket_id: string;
  author_id: string;
}

/** Comments of many tickets in one query; internal notes only for those allowed to read them. */
export function commentsByTicket(ctx: RequestContext): DataLoader<string, CommentView[]> {
  return loader(ctx, 'tickets.commentsByTicket', () =>
    new DataLoader<string, CommentView[]>(async (ticketIds) => {
      const where: Record<string, unknown> = { ticket: { $in: [...ticketIds] } };
      if (!hasPermission(ctx.principal, TicketPermission.internalNotes)) where.public = true;
      const qb = ctx.em
        .createQueryBuilder(Comment, 'c')
        .select(['id', 'body', 'bodyHtml', 'public', 'createdAt', 'ticket', 'author'])
        .where(where)
        .orderBy([{ createdAt: 'asc' }, { id: 'asc' }]);
      await qb.applyFilters(); // the tenant filter; RLS holds underneath regardless
      const rows = await qb.execute<CommentRow[]>('all', false);
      const byTicket = new Map<string, CommentView[]>(ticketIds.map((id) => [id, []]));
      for (const r of rows) {
        byTicket.get(r.ticket_id)?.push({
          id: r.id,
          body: r.body,
          htmlBody: r.body_html,
          public: r.public,
          createdAt: new Date(r.created_at),
          ticketId: r.ticket_id,
          authorId: r.author_id,
        });
      }
      return ticketIds.map((id) => byTicket.get(id) ?? []);
    }),
  );
}
