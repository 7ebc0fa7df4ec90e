import ConfirmationNumberIcon from '@mui/icons-material/ConfirmationNumber';
import GroupsIcon from '@mui/icons-material/Groups';
import { defineConsolePlugin, Permission } from '@bulwark/platform-console';
import { groupsData } from './groups.data';
import { GroupsPage } from './groups-page';
import { TicketsByStatusCard } from './tickets.card';
import { ticketsData } from './tickets.data';
import { TicketCreate, TicketEdit, TicketList, TicketShow } from './tickets.views';

export const ticketsConsolePlugin = defineConsolePlugin({
  name: 'tickets',
  resources: [
    {
      name: 'tickets',
      label: 'Tickets',
      icon: ConfirmationNumberIcon,
      list: TicketList,
      show: TicketShow,
      create: TicketCreate,
      edit: TicketEdit,
      recordRepresentation: 'subject',
      access: {
        list: Permission.TICKETS_READ,
        show: Permission.TICKETS_READ,
        create: Permission.TICKETS_CREATE,
        edit: Permission.TICKETS_UPDATE,
        delete: Permission.TICKETS_DELETE,
        export: Permission.TICKETS_EXPORT,
        comment: Permission.TICKETS_COMMENT,
        internalNotes: Permission.TICKETS_INTERNAL_NOTES,
      },
      data: ticketsData,
    },
    // The tickets' Group column, filter and picker read it; the Groups page manages groups.
    { name: 'ticketGroups', label: 'Groups', recordRepresentation: 'name', access: { list: Permission.USERS_READ }, data: groupsData, hideInMenu: true },
  ],
  pages: [
    {
      path: 'groups',
      component: GroupsPage,
      access: { list: Permission.USERS_READ, manage: Permission.TICKETS_MANAGE_GROUPS },
      menu: { label: 'Groups', icon: GroupsIcon },
    },
  ],
  dashboardCards: [{ key: 'tickets-by-status', resource: 'tickets', component: TicketsByStatusCard }],
});
