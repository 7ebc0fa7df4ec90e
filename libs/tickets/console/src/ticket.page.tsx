import ArrowBackIcon from '@mui/icons-material/ArrowBack';
import EditIcon from '@mui/icons-material/Edit';
import { Alert, Box, Button, IconButton, LinearProgress, Stack, TextField, Tooltip, Typography } from '@mui/material';
import { useEffect, useState } from 'react';
import { Link, ShowBase, Title, useNotify, useShowContext } from 'react-admin';
import { GraphQLRequestError, When } from '@bulwark/platform-console';
import { updateTicket, type TicketRecord } from './tickets.data';
import { CHANNEL_CHOICES, PRIORITY_CHOICES } from './tickets.choices';
import { StatusChip, ticketRef, useTicketAccess } from './ticket-fields';
import { HistorySection, PropertiesCard, RequesterCard } from './ticket-panel';
import { ReplyBox } from './ticket-reply';
import { TicketThread } from './ticket-thread';

/** The agent's ticket page: the conversation and reply box, and beside them (below, on a phone) the properties, requester and history. */
export function TicketShow() {
  const access = useTicketAccess();
  return (
    // Tags and history are asked for only by the desk (see tickets.data PAGE_FIELDS): the access
    // answers first, so the page is read once with the right fields.
    // A missing or hidden ticket stays on its address with the page's own words, not a jump to
    // the list with a toast (react-admin's default).
    <ShowBase queryOptions={{ meta: { desk: access.desk, orgs: access.orgs }, enabled: access.ready, retry: false, onError: () => undefined }}>
      <TicketPageBody access={access} />
    </ShowBase>
  );
}

function TicketPageBody({ access }: { access: ReturnType<typeof useTicketAccess> }) {
  const { record: ticket, isPending, error, refetch } = useShowContext<TicketRecord>();
  const title = ticket ? `${ticketRef(ticket.number)} ${ticket.subject}` : 'Ticket';
  useEffect(() => {
    if (ticket) document.title = `${title} · Bulwark`;
  }, [ticket, title]);
  if (error) {
    return (
      <Box sx={{ p: 2 }}>
        <Title title="Ticket not found" />
        <Alert severity="error" action={<Button component={Link} to="/tickets">All tickets</Button>}>
          This ticket could not be opened: it does not exist, or you may not see it.
        </Alert>
      </Box>
    );
  }
  if (isPending || !ticket) return <LinearProgress sx={{ m: 2 }} aria-label="Loading the ticket" />;
  const reload = () => void refetch();
  const priority = PRIORITY_CHOICES.find((c) => c.id === ticket.priority)?.name;
  const channel = CHANNEL_CHOICES.find((c) => c.id === ticket.channel)?.name;
  return (
    <Box sx={{ py: 2, px: { xs: 0, sm: 1 }, maxWidth: 1400 }}>
      <Title title={title} />
      <Stack direction="row" spacing={1} alignItems="flex-start" sx={{ mb: 2 }} data-testid="ticket-header">
        <Tooltip title="Back to the tickets">
          <IconButton component={Link} to="/tickets" aria-label="Back to the tickets" size="small" sx={{ mt: 0.25 }}>
            <ArrowBackIcon />
          </IconButton>
        </Tooltip>
        <Box sx={{ minWidth: 0, flex: 1 }}>
          <SubjectHeading ticket={ticket} canRename={access.edit} onSaved={reload} />
          <Stack direction="row" spacing={1} alignItems="center" flexWrap="wrap" useFlexGap sx={{ mt: 0.5 }}>
            <StatusChip status={ticket.status} />
            <Typography variant="body2" color="text.secondary">
              {priority} priority · by {channel?.toLowerCase()} · opened <When value={ticket.createdAt} />
            </Typography>
          </Stack>
        </Box>
      </Stack>
      <Stack direction={{ xs: 'column', md: 'row' }} spacing={2} alignItems="flex-start">
        <Stack spacing={2} sx={{ flex: 1, minWidth: 0, width: '100%' }}>
          <TicketThread ticket={ticket} />
          {access.comment && <ReplyBox ticket={ticket} canNote={access.internalNotes} canSetStatus={access.edit} onSent={reload} />}
        </Stack>
        <Stack spacing={2} sx={{ width: { xs: '100%', md: 340 }, flexShrink: 0 }} component="aside" aria-label="Ticket details">
          <PropertiesCard ticket={ticket} access={access} onSaved={reload} />
          <RequesterCard ticket={ticket} />
          {access.desk && ticket.history && <HistorySection history={ticket.history} />}
        </Stack>
      </Stack>
    </Box>
  );
}

/** "#1001 Subject", renamed in place by those who may change tickets. */
function SubjectHeading({ ticket, canRename, onSaved }: { ticket: TicketRecord; canRename: boolean; onSaved: () => void }) {
  const notify = useNotify();
  const [draft, setDraft] = useState<string | null>(null);
  const [error, setError] = useState<string | undefined>();
  const save = async () => {
    if (draft === null || draft.trim() === ticket.subject) return setDraft(null);
    if (!draft.trim()) return setError('Give the ticket a subject');
    try {
      await updateTicket(ticket.id, { subject: draft.trim() });
      notify('Subject changed', { type: 'success' });
      setDraft(null);
      onSaved();
    } catch (e) {
      setError(e instanceof GraphQLRequestError ? e.serverMessage : (e as Error).message);
    }
  };
  if (draft !== null) {
    return (
      <Stack direction="row" spacing={1} alignItems="flex-start">
        <TextField
          autoFocus
          size="small"
          fullWidth
          label="Subject"
          value={draft}
          onChange={(e) => {
            setDraft(e.target.value);
            setError(undefined);
          }}
          onKeyDown={(e) => {
            if (e.key === 'Enter') void save();
            if (e.key === 'Escape') setDraft(null);
          }}
          error={!!error}
          helperText={error}
          slotProps={{ htmlInput: { maxLength: 200 } }}
        />
        <Button variant="contained" onClick={save}>
          Save
        </Button>
        <Button onClick={() => setDraft(null)}>Cancel</Button>
      </Stack>
    );
  }
  return (
    <Typography variant="h5" component="h1" sx={{ overflowWrap: 'anywhere', fontSize: { xs: '1.25rem', sm: '1.5rem' } }}>
      <Box component="span" sx={{ color: 'text.secondary', mr: 1 }}>
        {ticketRef(ticket.number)}
      </Box>
      {ticket.subject}
      {canRename && (
        <Tooltip title="Change the subject">
          <IconButton size="small" aria-label="Change the subject" onClick={() => setDraft(ticket.subject)} sx={{ ml: 0.5, verticalAlign: 'baseline' }}>
            <EditIcon fontSize="small" />
          </IconButton>
        </Tooltip>
      )}
    </Typography>
  );
}
