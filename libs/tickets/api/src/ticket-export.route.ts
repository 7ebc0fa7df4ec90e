import { hasPermission, streamExport, withClaimedLink, withSystemContext, type HttpHandler, type Principal } from '@bulwark/platform-api';
import { emailAs, parseTenantToken, phoneAs, type UserSummary } from '@bulwark/identity-api';
import { LAST_ID, queryTicketExportPage, type ExportCursor } from './ticket-list.query';
import { TicketExport } from './ticket-export.entity';
import { TicketPermission } from './tickets.permissions';
import type { TicketFilter, TicketView } from './tickets.types';

/** Rows per page, each page its own short transaction (bodies run to 20,000 characters). */
const PAGE = 250;

const CSV_COLUMNS = [
  'id',
  'number',
  'subject',
  'status',
  'priority',
  'channel',
  'created_at',
  'updated_at',
  'requester_id',
  'requester_name',
  'requester_email',
  'requester_phone',
  'assignee_id',
  'assignee_name',
  'assignee_email',
  'group_id',
  'body',
] as const;

interface ExportRow {
  ticket: TicketView;
  requester: UserSummary;
  assignee: UserSummary | null;
}

/** A person as the export's maker may see them: the list's field rules (D3), not the rows' raw values. */
const person = (viewer: Principal, u: UserSummary) => ({ id: u.id, name: u.name, email: emailAs(viewer, u), phone: phoneAs(viewer, u) });

/** NDJSON: the Ticket type's shape (enum values as the API spells them). */
function json(viewer: Principal, { ticket: t, requester, assignee }: ExportRow) {
  return {
    id: t.id,
    number: t.number,
    subject: t.subject,
    body: t.body,
    tags: t.tags,
    status: t.status.toUpperCase(),
    priority: t.priority.toUpperCase(),
    channel: t.channel.toUpperCase(),
    createdAt: t.createdAt.toISOString(),
    updatedAt: t.updatedAt.toISOString(),
    requester: person(viewer, requester),
    assignee: assignee ? person(viewer, assignee) : null,
    groupId: t.groupId,
  };
}

function csvRow(viewer: Principal, row: ExportRow): Record<(typeof CSV_COLUMNS)[number], unknown> {
  const j = json(viewer, row);
  return {
    id: j.id,
    number: j.number,
    subject: j.subject,
    status: j.status,
    priority: j.priority,
    channel: j.channel,
    created_at: j.createdAt,
    updated_at: j.updatedAt,
    requester_id: j.requester.id,
    requester_name: j.requester.name,
    requester_email: j.requester.email,
    requester_phone: j.requester.phone,
    assignee_id: j.assignee?.id,
    assignee_name: j.assignee?.name,
    assignee_email: j.assignee?.email,
    group_id: j.groupId,
    body: j.body,
  };
}

/**
 * GET /api/tickets/export/<bwe_ token>: streams the export exportTickets prepared, newest first.
 * The link acts as its maker, judged now (withClaimedLink): the file holds the tickets their scope
 * shows, with addresses masked as the list masks them, and nothing if they lost tickets.export
 * since. Tickets filed after the link was made are left out, so paging never shifts.
 */
export const ticketExportRoute: HttpHandler = async (req, res, services) => {
  const link = parseTenantToken('bwe_', String(req.params.token ?? ''));
  const job = await withClaimedLink(services, req, res, link, { entity: TicketExport, what: 'export', reason: 'ticket export' }, async (ctx, exp) => {
    const viewer = ctx.principal;
    if (!viewer || !hasPermission(viewer, TicketPermission.export)) return null;
    return { viewer, format: exp.format, filter: [exp.filter as TicketFilter | TicketFilter[]].flat(), until: exp.createdAt };
  });
  if (!link || !job) return; // answered: gone or refused
  const { viewer, filter } = job;
  await streamExport<ExportRow, ExportCursor>(res, {
    format: job.format,
    name: 'tickets',
    now: services.now(),
    columns: CSV_COLUMNS,
    csvRow: (row) => csvRow(viewer, row),
    json: (row) => json(viewer, row),
    start: { createdAt: job.until.toISOString(), id: LAST_ID },
    page: (cursor) =>
      withSystemContext(services.orm, services, link.tenantId, 'ticket export', (ctx) => {
        // Each page is read as the maker, so the list's scope rules apply to it unchanged.
        ctx.principal = viewer;
        return queryTicketExportPage(ctx, filter, cursor, PAGE);
      }),
  });
};
