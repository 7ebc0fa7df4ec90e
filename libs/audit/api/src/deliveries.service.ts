import { audit, badInput, conflict, isUuid, notFound, OutboxMessage, retryOutboxRow, type PageInput, type RequestContext } from '@bulwark/platform-api';
import { AuditLogAudit } from './audit.permissions';
import type { FilterQuery } from '@mikro-orm/core';
import type { DeliveryFilter, DeliveryPage, DeliveryView } from './deliveries.types';
import { operatorWebhookDelivery } from './webhook';

/**
 * Kinds the workspace does not see in its log: the operators' copy of its alerts goes to the
 * vendor, whose receiver and its errors are none of the workspace's business.
 */
const HIDDEN = [operatorWebhookDelivery.name];

/** The delivery log (G5): the outbox rows of the caller's tenant (filter and RLS), newest first. */
export async function listDeliveries(ctx: RequestContext, filter: DeliveryFilter, page: PageInput): Promise<DeliveryPage> {
  // D14: a kind that does not exist (or is hidden) is refused, not answered with an empty page.
  if (filter.kind && (!ctx.app.deliveries.has(filter.kind) || HIDDEN.includes(filter.kind))) throw badInput('No such kind of delivery', { kind: 'unknown' });
  const where: FilterQuery<OutboxMessage> = { kind: filter.kind ? filter.kind : { $nin: HIDDEN } };
  if (filter.status) where.status = filter.status as OutboxMessage['status'];
  const [rows, totalCount] = await ctx.em.findAndCount(OutboxMessage, where, {
    orderBy: { createdAt: 'desc', id: 'desc' },
    limit: page.limit,
    offset: page.offset,
  });
  return { nodes: rows.map((r) => view(ctx, r)), totalCount };
}

/**
 * Sends a failed message again (the receiver was fixed), audited. Not found for another tenant's
 * row, a hidden kind or a bad id alike; a row that is not failed is a conflict.
 */
export async function retryDelivery(ctx: RequestContext, id: string): Promise<DeliveryView> {
  const row = isUuid(id) ? await ctx.em.findOne(OutboxMessage, { id, kind: { $nin: HIDDEN } }) : null;
  if (!row) throw notFound('Delivery');
  if (row.status !== 'failed') throw conflict(row.status === 'delivered' ? 'It was delivered already' : 'It is still being tried');
  if (!(await retryOutboxRow(ctx, id))) throw conflict('It cannot be sent again: its content is gone');
  audit(ctx, AuditLogAudit.deliveryRetried, { targetId: id, details: { kind: row.kind, recipient: row.recipient, summary: row.summary, attempts: row.attempts, lastError: row.lastError ?? null } });
  await ctx.em.refresh(row);
  return view(ctx, row);
}

function view(ctx: RequestContext, r: OutboxMessage): DeliveryView {
  return {
    id: r.id,
    kind: r.kind,
    kindLabel: ctx.app.deliveries.get(r.kind)?.label ?? r.kind,
    recipient: r.recipient,
    summary: r.summary,
    status: r.status,
    attempts: r.attempts,
    lastError: r.lastError ? shownError(r.kind, r.lastError) : null,
    createdAt: r.createdAt,
    nextAttemptAt: r.status === 'pending' ? r.nextAttemptAt : null,
    deliveredAt: r.deliveredAt ?? null,
  };
}

/**
 * Mail goes through the platform's own mail server: its connection errors would show that
 * server's address, so they read as words; what a receiving server answered (an SMTP reply such
 * as "550 mailbox unavailable") is the workspace's to know and stays.
 */
function shownError(kind: string, error: string): string {
  if (kind !== 'platform.mail') return error;
  const reply = /\b([45]\d\d)[ -]([^\n]*)/.exec(error);
  if (reply) return `the receiving server answered ${reply[1]} ${reply[2].slice(0, 200)}`.trim();
  return 'the mail server could not be reached; it is tried again';
}
