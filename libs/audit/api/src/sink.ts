import { auditJson, type AuditEvent, type AuditSink, type RequestContext } from '@bulwark/platform-api';
import { raiseAlerts } from './alerts';
import { eventsAbout } from './audit.query';

/**
 * Stores the operation's events in one statement: bulwark_audit_append numbers and chains them
 * under the tenant's chain lock, inside the operation's transaction (F5). The alerts they raise,
 * and those alerts' deliveries (outbox rows), are written right after, in the same transaction
 * (G9): with the events, or not at all.
 */
export const auditSink: AuditSink = {
  async append(ctx: RequestContext, events: AuditEvent[]) {
    const row = await ctx.em
      .getConnection()
      .execute<{ last: string }>('select bulwark_audit_append(?::jsonb) as last', [auditJson(events)], 'get', ctx.em.getTransactionContext());
    const last = Number(row.last);
    events.forEach((e, i) => (e.seq = last - events.length + 1 + i));
    await raiseAlerts(ctx, events);
  },
  eventsAbout,
};
