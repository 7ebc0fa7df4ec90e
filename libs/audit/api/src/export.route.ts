import { hasPermission, streamExport, withClaimedLink, withSystemContext, type HttpHandler } from '@bulwark/platform-api';
import { parseTenantToken } from '@bulwark/identity-api';
import { AuditExport } from './audit.entities';
import { AuditPermission } from './audit.permissions';
import { listEvents, type AuditFilterArgs, type AuditRow } from './audit.query';

const PAGE = 1000;
const CSV_COLUMNS = ['seq', 'id', 'occurred_at', 'actor_type', 'actor_id', 'actor_name', 'action', 'target_type', 'target_id', 'outcome', 'ip', 'user_agent', 'request_id', 'changes', 'details', 'hash'] as const;

/** NDJSON: numbers, times and the hash as a reader expects them, not as the driver hands them. */
function json(r: AuditRow) {
  const { hash, occurred_at, ...rest } = r;
  return { ...rest, seq: Number(r.seq), occurred_at: new Date(occurred_at).toISOString(), hash: hash.toString('hex') };
}

/**
 * GET /api/audit/export/<bwx_ token>: streams the export the mutation prepared, newest first, in
 * pages of 1,000 rows, each page its own short transaction (streamExport). Events after the first
 * page's start are left out, so the file is one consistent cut of an append-only log.
 */
export const exportRoute: HttpHandler = async (req, res, services) => {
  const link = parseTenantToken('bwx_', String(req.params.token ?? ''));
  const job = await withClaimedLink(services, req, res, link, { entity: AuditExport, what: 'export', reason: 'audit export' }, async (ctx, exp) => {
    // Judged now, as its maker: nothing for one who lost the permission since making the link.
    if (!hasPermission(ctx.principal, AuditPermission.export)) return null;
    // Raw SQL naming the tenant, under the tenant's RLS scope (see audit.query.ts).
    const [{ top }] = await ctx.em.getConnection().execute<{ top: string | null }[]>('select max(seq) as top from audit_events where tenant_id = ?', [exp.tenantId], 'all', ctx.em.getTransactionContext());
    return { filter: exp.filter as AuditFilterArgs, format: exp.format, top: top === null ? null : String(Number(top) + 1) };
  });
  if (!link || !job) return; // answered: gone or refused
  const { tenantId } = link;
  const filter: AuditFilterArgs = { ...job.filter, from: job.filter.from ? new Date(job.filter.from) : null, to: job.filter.to ? new Date(job.filter.to) : null };
  await streamExport<AuditRow, string>(res, {
    format: job.format,
    name: 'audit',
    now: services.now(),
    columns: CSV_COLUMNS,
    json,
    start: job.top,
    page: async (cursor) => {
      const page = await withSystemContext(services.orm, services, tenantId, 'audit export', (ctx) => listEvents(ctx, filter, PAGE, cursor));
      return { rows: page.rows, next: page.hasMore ? page.rows[page.rows.length - 1].seq : null };
    },
  });
};
