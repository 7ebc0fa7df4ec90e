import { audit, createOneTimeLink, isUuid, notFound, Tenant, type RequestContext } from '@bulwark/platform-api';
import { newTenantToken, requireRecentAuth } from '@bulwark/identity-api';
import { BackupAudit } from './backups.audit';
import { BackupDownload } from './backup-download.entity';
import { BackupRun } from './backup-run.entity';

export interface DownloadLink {
  url: string;
  expiresAt: Date;
  sizeBytes: number;
  sha256: string;
  fileName: string;
}

/** `<workspace>-<day the backup was made, UTC>-<run id's first 8>.bwb`: sortable, and names its run. */
export const backupFileName = (slug: string, run: Pick<BackupRun, 'id' | 'createdAt'>) => `${slug}-${run.createdAt.toISOString().slice(0, 10)}-${run.id.slice(0, 8)}.bwb`;

/**
 * Issue 5 §9: a backup file leaves the server only to a person who confirmed their password in the
 * last minutes, through a link that works once (backups-download.route.ts), and the event names
 * the run. Only succeeded runs of this tenant: anything else is not found.
 */
export async function prepareDownload(ctx: RequestContext, runId: string): Promise<DownloadLink> {
  await requireRecentAuth(ctx);
  const run = isUuid(runId) ? await ctx.em.findOne(BackupRun, { id: runId, status: 'succeeded', storageKey: { $ne: null } }) : null;
  if (!run?.sizeBytes || !run.sha256) throw notFound('Backup');
  const tenant = await ctx.em.findOneOrFail(Tenant, { id: run.tenantId });
  const { token, hash } = newTenantToken('bwd_', tenant.id);
  const link = createOneTimeLink(ctx, BackupDownload, hash, { runId: run.id });
  const file = { fileName: backupFileName(tenant.slug, run), sizeBytes: Number(run.sizeBytes), sha256: run.sha256 };
  audit(ctx, BackupAudit.downloaded, { targetId: run.id, details: { downloadId: link.id, expiresAt: link.expiresAt.toISOString(), ...file } });
  return { url: `/api/backups/download/${token}`, expiresAt: link.expiresAt, ...file };
}
