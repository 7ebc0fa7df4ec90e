import { audit, createOneTimeLink, type ExportFormat, type RequestContext } from '@bulwark/platform-api';
import { newTenantToken, requireRecentAuth } from '@bulwark/identity-api';
import { TicketExport } from './ticket-export.entity';
import { TicketAudit } from './tickets.audit';
import type { TicketFilter } from './tickets.types';
import { resolveViews } from './views.service';

/**
 * D12: tickets leave in bulk only through the server, to a person who holds tickets.export (the
 * rule) and confirmed their password in the last minutes (B8; an API token cannot), and the
 * export is an event. The mutation stores a one-time link; the download (ticket-export.route.ts)
 * streams, once, what its maker may see then: their ticket scope, with people's addresses masked
 * as the list masks them.
 */
export async function startTicketExport(ctx: RequestContext, format: ExportFormat, filter: TicketFilter): Promise<{ url: string; expiresAt: Date }> {
  await requireRecentAuth(ctx);
  const { token, hash } = newTenantToken('bwe_', ctx.tenantId as string);
  const asked = { ...filter } as Record<string, unknown>;
  // A view is resolved now: the file holds what the view selected when it was asked for.
  const filters = JSON.parse(JSON.stringify(await resolveViews(ctx, filter))) as Record<string, unknown>;
  const exp = createOneTimeLink(ctx, TicketExport, hash, { format, filter: filters });
  audit(ctx, TicketAudit.exported, { targetId: null, details: { exportId: exp.id, format, filter: asked } });
  return { url: `/api/tickets/export/${token}`, expiresAt: exp.expiresAt };
}
