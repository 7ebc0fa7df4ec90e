import { Migration20261207000300Tickets } from './tickets.migration';
import { defineApiPlugin } from '@bulwark/platform-api';
import { seedDemoTickets } from './demo.seed';
import { Comment, SavedView, Ticket } from './ticket.entity';
import { Migration20261207001300TicketWorkspace } from './ticket-workspace.migration';
import { Migration20261207001330SearchIndexes } from './search-indexes.migration';
import { TicketPermission } from './tickets.permissions';
import { CommentResolver, TicketPageResolver, TicketResolver } from './tickets.resolver';
import { ticketRules } from './tickets.rules';
import { TicketAudit } from './tickets.audit';
import { GroupMember, TicketGroup } from './group.entity';
import { GroupResolver } from './groups.resolver';
import { TicketExport } from './ticket-export.entity';
import { Migration20261207000850TicketKind } from './ticket-kind.migration';
import { ticketExportRoute } from './ticket-export.route';
import { Migration20261207001000SpamWatcher } from './spam.migration';
import { SpamQuarantine, SpamSettings } from './spam.entities';
import { SpamAudit } from './spam.audit';
import { SpamResolver } from './spam.resolver';
import { Migration20261207001320Attachments } from './attachments.migration';
import { AttachmentSettings, TicketAttachment } from './attachments.entities';
import { AttachmentAudit, AttachmentPermission } from './attachments.permissions';
import { AttachmentResolver, CommentAttachmentsResolver, TicketAttachmentsResolver } from './attachments.resolver';
import { attachmentRules } from './attachments.rules';
import { downloadRoute, uploadRoute } from './attachments.route';
import { sweepOrphanFiles, sweepUnlinkedAttachments } from './attachments.service';

export const ticketsPlugin = defineApiPlugin({
  name: 'tickets',
  permissions: [TicketPermission, AttachmentPermission],
  entities: [Ticket, Comment, SavedView, TicketGroup, GroupMember, TicketExport, SpamSettings, SpamQuarantine, TicketAttachment, AttachmentSettings],
  auditActions: [TicketAudit, SpamAudit, AttachmentAudit],
  audited: [
    { entity: Ticket, type: 'Ticket', create: TicketAudit.ticketCreated, update: TicketAudit.ticketUpdated, delete: TicketAudit.ticketDeleted, ignore: ['updatedAt', 'priorityRank', 'bodyHtml'] },
    // Groups are recorded explicitly (groups.service.ts): a membership change is one event.
    // A comment's text stays in the ticket; the log says that one was written, not what.
    { entity: Comment, type: 'Comment', create: TicketAudit.commentAdded, secret: ['body'] },
  ],
  resolvers: [TicketResolver, TicketPageResolver, CommentResolver, GroupResolver, SpamResolver, AttachmentResolver, TicketAttachmentsResolver, CommentAttachmentsResolver],
  rules: {
    ...ticketRules,
    ...attachmentRules,
    Query: { ...ticketRules.Query, ...attachmentRules.Query },
    Mutation: { ...ticketRules.Mutation, ...attachmentRules.Mutation },
  },
  migrations: [
    { name: 'Migration20261207000300Tickets', class: Migration20261207000300Tickets },
    { name: 'Migration20261207000850TicketKind', class: Migration20261207000850TicketKind },
    { name: 'Migration20261207001000SpamWatcher', class: Migration20261207001000SpamWatcher },
    { name: 'Migration20261207001300TicketWorkspace', class: Migration20261207001300TicketWorkspace },
    { name: 'Migration20261207001320Attachments', class: Migration20261207001320Attachments },
    { name: 'Migration20261207001330SearchIndexes', class: Migration20261207001330SearchIndexes },
  ],
  routes: (router) => {
    router.get('/export/:token', ticketExportRoute);
    // Attachments: the upload (raw body), and the short-lived links Attachment.url hands out.
    router.post('/attachments', uploadRoute);
    router.get('/attachments/:tenant/:id/:user/:expires/:signature', downloadRoute);
  },
  // Uploads never put on a message are removed after a day (hourly), their rows then their files.
  // Files no row names (deleted tickets' and comments') are removed after a day (daily).
  background: [
    { name: 'attachment sweeper', intervalMs: () => 60 * 60_000, run: async (services) => void (await sweepUnlinkedAttachments(services)) },
    { name: 'attachment file sweeper', intervalMs: () => 24 * 60 * 60_000, run: async (services) => void (await sweepOrphanFiles(services)) },
  ],
  seedDemo: seedDemoTickets,
});

export { Ticket, Comment } from './ticket.entity';
export { TicketAudit } from './tickets.audit';
export { TicketPermission } from './tickets.permissions';
export { SpamAudit } from './spam.audit';
// For channels that file tickets themselves (inbound email, later): they pass where a ticket came from.
// One with nobody to answer catches RATE_LIMITED (`held: true`, keepChanges) and flushes: the ticket
// then waits in the quarantine, as the GraphQL mutation's savepoint keeps it.
export { createTicket, nextTicketNumber } from './tickets.service';
// Inbound email files a reply as its verified sender, through the same checks as the API.
export { addComment } from './tickets.service';
export type { TicketOrigin } from './spam.service';
export { TicketGroup, GroupMember } from './group.entity';
// Attachments (issue 20 §5): createTicket/addComment link `attachmentIds`; inbound mail stores its files.
export { linkAttachments, storeUpload, attachmentLimits, judgeFile, judgeIncomingFiles, attachIncomingFiles, type AttachmentView, type IncomingFile } from './attachments.service';
export { TicketAttachment, AttachmentSettings } from './attachments.entities';
export { AttachmentPermission, AttachmentAudit } from './attachments.permissions';
export { syncMemberships, createGroup, updateGroup, deleteGroup, listGroups, type GroupInput, type GroupView } from './groups.service';
