import { audit, rootFieldArguments, type RequestGuard } from '@bulwark/platform-api';
import { SupportAudit } from './support.audit';

/** Argument names whose values never go into the log (B9). */
const SECRET = /password|secret|token|code/i;
/** Enough to tell which records were read; a long body is cut. */
const MAX_VALUE = 200;

function redacted(value: unknown, key = ''): unknown {
  if (SECRET.test(key)) return '[redacted]';
  if (typeof value === 'string') return value.length > MAX_VALUE ? `${value.slice(0, MAX_VALUE)}…` : value;
  if (Array.isArray(value)) return value.slice(0, 50).map((v) => redacted(v));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redacted(v, k)]));
  return value;
}

/**
 * H1 "every request under it, reads included, is audited as the operator": one event per
 * operation with each root field and what it was asked for (ids, filters; secrets redacted),
 * recorded before any field runs, so it stands whether the operation reads, writes or is refused
 * (a failed field rolls back only its own events). What an operator changes is recorded besides,
 * as the change, with the same actor and grant. This guard runs before the access guard (plugin
 * order), so a lockdown refusal is on record too.
 *
 * Operations that run alone move to the tenant their input names (a sign-in): they are audited by
 * their own events, and an event of this tenant would be in the wrong one.
 */
export const supportActivityGuard: RequestGuard = {
  name: 'support activity',
  async check(ctx, op) {
    if (ctx.principal?.kind !== 'support') return;
    if (op.fields.some((f) => ctx.app.operations.has(f, 'runsAlone'))) return;
    const r = op.request;
    const asked = r ? rootFieldArguments(r.schema, r.operation, r.document, r.variables) : op.fields.map((field) => ({ field, args: {} }));
    const calls = asked.map((c) => ({ field: c.field, args: redacted(c.args) }));
    audit(ctx, SupportAudit.operation, { targetId: op.fields.join(', ').slice(0, 200), details: { type: op.type, calls } });
  },
};
