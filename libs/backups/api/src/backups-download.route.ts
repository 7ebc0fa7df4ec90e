import { drained, hasPermission, Tenant, withClaimedLink, type HttpHandler } from '@bulwark/platform-api';
import { parseTenantToken } from '@bulwark/identity-api';
import { BackupDownload } from './backup-download.entity';
import { BackupRun } from './backup-run.entity';
import { BackupPermission } from './backups.audit';
import { backupFileName } from './backups-download.service';
import { storageFor } from './storage';

/**
 * GET /api/backups/download/<bwd_ token>: the stored file exactly as written and verified (still
 * encrypted), once. The link is claimed before a byte is read; a file that cannot be read then is
 * a 500 (or a cut-short body, which Content-Length makes the browser report as failed).
 */
export const downloadRoute: HttpHandler = async (req, res, services) => {
  const link = parseTenantToken('bwd_', String(req.params.token ?? ''));
  const file = await withClaimedLink(services, req, res, link, { entity: BackupDownload, what: 'download', reason: 'backup download' }, async (ctx, d) => {
    // Judged now, as its maker: nothing for one who lost the permission since making the link.
    if (!hasPermission(ctx.principal, BackupPermission.download)) return null;
    const run = await ctx.em.findOne(BackupRun, { id: d.runId, status: 'succeeded' });
    if (!run?.storageKey || !run.sizeBytes) return null;
    const tenant = await ctx.em.findOneOrFail(Tenant, { id: d.tenantId });
    return { key: run.storageKey, size: String(run.sizeBytes), name: backupFileName(tenant.slug, run) };
  });
  if (!file) return; // answered: gone or refused
  const body = storageFor(services.config).get(file.key);
  res.status(200);
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Type', 'application/octet-stream');
  res.setHeader('Content-Disposition', `attachment; filename="${file.name}"`);
  res.setHeader('Content-Length', file.size);
  for await (const chunk of body) {
    if (!res.write(chunk)) await drained(res);
    if (res.destroyed) break;
  }
  res.end();
};
