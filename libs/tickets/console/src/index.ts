import ConfirmationNumberIcon from '@mui/icons-material/ConfirmationNumber';
import GroupsIcon from '@mui/icons-material/Groups';
import { defineConsolePlugin } from '@bulwark/platform-console';
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
      access: { list: 'TICKETS_READ', show: 'TICKETS_READ', create: 'TICKETS_CREATE', edit: 'TICKETS_UPDATE', delete: 'TICKETS_DELETE' },
      data: ticketsData,
    },
    // The tickets' Group column, filter and picker read it; the Groups page manages groups.
    { name: 'ticketGroups', label: 'Groups', recordRepresentation: 'name', access: { list: 'USERS_READ' }, data: groupsData, hideInMenu: true },
  ],
  pages: [{ path: 'groups', component: GroupsPage, menu: { label: 'Groups', icon: GroupsIcon, permission: 'USERS_READ' } }],
  dashboardCards: [{ key: 'tickets-by-status', permission: 'TICKETS_READ', component: TicketsByStatusCard }],
});
