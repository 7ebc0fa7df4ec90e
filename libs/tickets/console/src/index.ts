import ConfirmationNumberIcon from '@mui/icons-material/ConfirmationNumber';
import { defineConsolePlugin } from '@bulwark/platform-console';
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
  ],
  dashboardCards: [{ key: 'tickets-by-status', permission: 'TICKETS_READ', component: TicketsByStatusCard }],
});
