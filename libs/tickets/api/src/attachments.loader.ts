import DataLoader from 'dataloader';
import { loader, type RequestContext } from '@bulwark/platform-api';
import type { AttachmentView } from './attachments.service';

interface Row {
  id: string;
  owner: string;
  filename: string;
  content_type: string;
  size_bytes: string | number;
  created_at: string | Date;
}

/**
 * The files of many tickets' first messages (`by: 'ticket'`) or of many comments (`'comment'`),
 * one statement per kind per request whatever the page size. The caller already sees the ticket
 * or comment (the loaders are only reached through them), so no scope is repeated here; the
 * tenant is named and RLS holds underneath.
 */
function attachmentsBy(ctx: RequestContext, by: 'ticket' | 'comment'): DataLoader<string, AttachmentView[]> {
  return loader(ctx, `tickets.attachmentsBy.${by}`, () =>
    new DataLoader<string, AttachmentView[]>(async (ids) => {
      const owner = by === 'ticket' ? 'ticket_id' : 'comment_id';
      const onlyTicket = by === 'ticket' ? ' and comment_id is null' : '';
      const rows = await ctx.em
        .getConnection()
        .execute<Row[]>(
          `select id, ${owner} as owner, filename, content_type, size_bytes, created_at from ticket_attachments
            where tenant_id = ? and ${owner} in (?)${onlyTicket} order by created_at, id`,
          [ctx.tenantId, [...ids]],
          'all',
          ctx.em.getTransactionContext(),
        );
      const byOwner = new Map<string, AttachmentView[]>(ids.map((id) => [id, []]));
      for (const r of rows) {
        byOwner.get(r.owner)?.push({ id: r.id, filename: r.filename, contentType: r.content_type, size: Number(r.size_bytes), createdAt: new Date(r.created_at) });
      }
      return ids.map((id) => byOwner.get(id) ?? []);
    }),
  );
}

export const attachmentsByTicket = (ctx: RequestContext) => attachmentsBy(ctx, 'ticket');
export const attachmentsByComment = (ctx: RequestContext) => attachmentsBy(ctx, 'comment');
