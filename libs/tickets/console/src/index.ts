import ConfirmationNumberIcon from '@mui/icons-material/ConfirmationNumber';
import GroupsIcon from '@mui/icons-material/Groups';
import ReportIcon from '@mui/icons-material/Report';
import AttachFileIcon from '@mui/icons-material/AttachFile';
import { defineConsolePlugin, Permission } from '@bulwark/platform-console';
import { groupsData } from './groups.data';
import { GroupsList } from './groups.page';
import { NewRequestPage } from './portal.new-request.page';
import { RequestPage, TicketLinkPage } from './portal.request.page';
import { MyRequestsPage } from './portal.requests.page';
import { QuarantinePage } from './quarantine.page';
import { AttachmentSettingsPage } from './attachments';
import { TicketsByStatusCard } from './tickets.card';
import { ticketsData } from './tickets.data';
import { TicketCreate } from './ticket-create.page';
import { TicketList } from './ticket-list.page';
import { TicketShow } from './ticket.page';

export const ticketsConsolePlugin = defineConsolePlugin({
  name: 'tickets',
  resources: [
    {
      name: 'tickets',
      label: 'Tickets',
      labelSingular: 'Ticket',
      icon: ConfirmationNumberIcon,
      list: TicketList,
      show: TicketShow,
      create: TicketCreate,
      recordRepresentation: 'subject',
      access: {
        list: Permission.TICKETS_READ,
        show: Permission.TICKETS_READ,
        // The desk's own notes (tags, history) are for those who change tickets or see them all.
        viewAll: Permission.TICKETS_VIEW_ALL,
        // The requester's organization (on the ticket, and as a filter).
        organizations: Permission.ORGANIZATIONS_READ,
        create: Permission.TICKETS_CREATE,
        edit: Permission.TICKETS_UPDATE,
        delete: Permission.TICKETS_DELETE,
        export: Permission.TICKETS_EXPORT,
        comment: Permission.TICKETS_COMMENT,
        internalNotes: Permission.TICKETS_INTERNAL_NOTES,
      },
      data: ticketsData,
    },
    // Also read by the tickets' Group column, filter and picker.
    {
      name: 'groups',
      label: 'Groups',
      labelSingular: 'Group',
      icon: GroupsIcon,
      list: GroupsList,
      recordRepresentation: 'name',
      access: { list: Permission.USERS_READ, manage: Permission.TICKETS_MANAGE_GROUPS },
      data: groupsData,
    },
  ],
  // The spam watcher (H3): who is held, the decisions and the rules, for moderators (admins).
  pages: [
    { path: 'quarantine', component: QuarantinePage, access: { list: Permission.TICKETS_MODERATE }, menu: { label: 'Quarantine', icon: ReportIcon } },
    // What files a workspace accepts (issue 20 §5): its admins' (attachments.manage).
    { path: 'attachment-settings', component: AttachmentSettingsPage, access: { list: Permission.ATTACHMENTS_MANAGE }, menu: { label: 'Attachments', icon: AttachFileIcon } },
  ],
  dashboardCards: [{ key: 'tickets-by-status', resource: 'tickets', component: TicketsByStatusCard }],
  // The requesters' portal: their own requests, a new one, one request's thread.
  portal: {
    serves: [Permission.TICKETS_READ, Permission.TICKETS_CREATE, Permission.TICKETS_COMMENT],
    pages: [
      { path: 'requests', component: MyRequestsPage, nav: 'main', label: 'My requests', home: true },
      { path: 'requests/new', component: NewRequestPage, nav: 'main', label: 'New request' },
      { path: 'requests/:number', component: RequestPage },
      // The console's address of a ticket, as notification mails link to it.
      { path: 'tickets/:id/show', component: TicketLinkPage },
    ],
  },
});

// For the ticket page, the reply box and the requester portal (issue 20 §5).
export { AttachmentIdsInput, AttachmentList, AttachmentUpload, uploadAttachment, fileSize, type UploadedFile } from './attachments';
