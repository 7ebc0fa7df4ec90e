import { audit, type RequestGuard } from '@bulwark/platform-api';
import { SupportAudit } from './support.audit';

/**
 * H1 "every request under it, reads included, is audited as the operator": one event per
 * operation, recorded before any field runs, so it stands whether the operation reads, writes or
 * fails (a failed field rolls back only its own events). What an operator changes is recorded
 * besides, as the change, with the same actor and grant.
 */
export const supportActivityGuard: RequestGuard = {
  name: 'support activity',
  async check(ctx, op) {
    if (ctx.principal?.kind !== 'support') return;
    audit(ctx, SupportAudit.operation, { targetId: op.fields.join(', ').slice(0, 200), details: { type: op.type, fields: op.fields } });
  },
};
