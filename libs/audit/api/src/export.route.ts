import { drained, withClaimedLink, withSystemContext, type HttpHandler } from '@bulwark/platform-api';
import { parseTenantToken } from '@bulwark/identity-api';
import { AuditExport } from './audit.entities';
import { listEvents, type AuditFilterArgs, type AuditRow } from './audit.query';

const PAGE = 1000;
const CSV_COLUMNS = ['seq', 'id', 'occurred_at', 'actor_type', 'actor_id', 'actor_name', 'action', 'target_type', 'target_id', 'outcome', 'ip', 'user_agent', 'request_id', 'changes', 'details', 'hash'] as const;

function cell(value: unknown): string {
  let s = value === null || value === undefined ? '' : value instanceof Date ? value.toISOString() : Buffer.isBuffer(value) ? value.toString('hex') : typeof value === 'object' ? JSON.stringify(value) : String(value);
  // A spreadsheet must not run what a requester typed (CSV injection).
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function line(format: 'csv' | 'ndjson', r: AuditRow): string {
  if (format === 'csv') return CSV_COLUMNS.map((c) => cell(r[c])).join(',') + '\r\n';
  const { hash, occurred_at, ...rest } = r;
  return JSON.stringify({ ...rest, seq: Number(r.seq), occurred_at: new Date(occurred_at).toISOString(), hash: hash.toString('hex') }) + '\n';
}

/**
 * GET /api/audit/export/<bwx_ token>: streams the export the mutation prepared, newest first, in
 * pages of 1,000 rows, each page its own short transaction. Events after the first page's start
 * are left out, so the file is one consistent cut of an append-only log. Memory stays flat: the
 * next page is read only when the socket has taken the previous one.
 */
export const exportRoute: HttpHandler = async (req, res, services) => {
  const link = parseTenantToken('bwx_', String(req.params.token ?? ''));
  const job = await withClaimedLink(services, req, res, link, { entity: AuditExport, what: 'export', reason: 'audit export' }, async (ctx, exp) => {
    // Raw SQL naming the tenant, under the tenant's RLS scope (see audit.query.ts).
    const [{ top }] = await ctx.em.getConnection().execute<{ top: string | null }[]>('select max(seq) as top from audit_events where tenant_id = ?', [exp.tenantId], 'all', ctx.em.getTransactionContext());
    return { filter: exp.filter as AuditFilterArgs, format: exp.format, top: top === null ? null : String(Number(top) + 1) };
  });
  if (!link || !job) return; // answered: gone or refused
  const { tenantId } = link;
  const filter: AuditFilterArgs = { ...job.filter, from: job.filter.from ? new Date(job.filter.from) : null, to: job.filter.to ? new Date(job.filter.to) : null };
  const stamp = services.now().toISOString().replace(/[:.]/g, '-');
  res.status(200);
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Type', job.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson');
  res.setHeader('Content-Disposition', `attachment; filename="audit-${stamp}.${job.format === 'csv' ? 'csv' : 'ndjson'}"`);
  if (job.format === 'csv') res.write(CSV_COLUMNS.join(',') + '\r\n');
  let cursor = job.top;
  while (cursor !== null && !res.destroyed) {
    const page = await withSystemContext(services.orm, services, tenantId, 'audit export', (ctx) => listEvents(ctx, filter, PAGE, cursor));
    for (const r of page.rows) {
      if (!res.write(line(job.format, r))) await drained(res);
    }
    cursor = page.hasMore ? page.rows[page.rows.length - 1].seq : null;
  }
  res.end();
};
