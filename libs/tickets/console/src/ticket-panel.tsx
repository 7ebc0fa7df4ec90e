import ExpandMoreIcon from '@mui/icons-material/ExpandMore';
import {
  Accordion,
  AccordionDetails,
  AccordionSummary,
  Avatar,
  Box,
  Card,
  CardContent,
  Link as MuiLink,
  List,
  ListItem,
  Stack,
  Typography,
} from '@mui/material';
import { useEffect, useState } from 'react';
import { Link, useNotify } from 'react-admin';
import { GraphQLRequestError, type Api, When } from '@bulwark/platform-console';
import { PRIORITY_CHOICES, STATUS_CHOICES, CHANNEL_CHOICES } from './tickets.choices';
import { requesterTickets, updateTicket, type Person, type TicketRecord } from './tickets.data';
import { ChoiceSelect, PersonPicker, priorityName, StatusChip, statusName, ticketRef, useGroups, WordsPicker, type useTicketAccess } from './ticket-fields';

type Access = ReturnType<typeof useTicketAccess>;
type Field = 'status' | 'priority' | 'assigneeId' | 'groupId' | 'tags' | 'ccEmails' | 'requesterId';

/**
 * The ticket's properties, each saved the moment it changes (one updateTicket per change); a
 * refusal is said under its field. Read only for those who may not change tickets.
 */
export function PropertiesCard({ ticket, access, onSaved }: { ticket: TicketRecord; access: Access; onSaved: () => void }) {
  const notify = useNotify();
  const groups = useGroups(access.groups);
  const [errors, setErrors] = useState<Partial<Record<Field, string>>>({});
  const [saving, setSaving] = useState<Field | null>(null);
  // What the person just chose, shown while it saves (the page then reloads the ticket).
  const [shown, setShown] = useState<Partial<Record<Field, unknown>>>({});
  useEffect(() => setShown({}), [ticket.updatedAt]);

  const save = async (field: Field, input: Api.UpdateTicketInput, display: unknown, said: string) => {
    setSaving(field);
    setShown((s) => ({ ...s, [field]: display }));
    setErrors((e) => ({ ...e, [field]: undefined }));
    try {
      await updateTicket(ticket.id, input);
      notify(said, { type: 'success' });
      onSaved();
    } catch (e) {
      setShown((s) => ({ ...s, [field]: undefined }));
      setErrors((x) => ({ ...x, [field]: e instanceof GraphQLRequestError ? e.serverMessage : (e as Error).message }));
    } finally {
      setSaving(null);
    }
  };
  const value = <T,>(field: Field, current: T): T => (shown[field] !== undefined ? (shown[field] as T) : current);
  const ro = !access.edit;
  const busy = (f: Field) => saving === f;

  return (
    <Card variant="outlined" component="section" aria-label="Properties">
      <CardContent>
        <Stack spacing={2}>
          <ChoiceSelect
            id="ticket-status"
            label="Status"
            choices={STATUS_CHOICES}
            value={value('status', ticket.status)}
            disabled={ro || busy('status')}
            error={errors.status}
            onChange={(v) => save('status', { status: v as Api.TicketStatus }, v, `Status: ${statusName(v)}`)}
          />
          <ChoiceSelect
            id="ticket-priority"
            label="Priority"
            choices={PRIORITY_CHOICES}
            value={value('priority', ticket.priority)}
            disabled={ro || busy('priority')}
            error={errors.priority}
            onChange={(v) => save('priority', { priority: v as Api.TicketPriority }, v, `Priority: ${priorityName(v)}`)}
          />
          {ro || !access.people ? (
            <ReadOnly label="Assignee" value={ticket.assignee?.name ?? 'Unassigned'} />
          ) : (
            <PersonPicker
              label="Assignee"
              staffOnly
              noneLabel="Unassigned"
              value={value<Person | null>('assigneeId', ticket.assignee)}
              disabled={busy('assigneeId')}
              error={errors.assigneeId}
              onChange={(p) => save('assigneeId', { assigneeId: p?.id ?? null }, p, p ? `Assigned to ${p.name}` : 'Unassigned')}
            />
          )}
          {access.groups &&
            (ro ? (
              <ReadOnly label="Group" value={groups.find((g) => g.id === ticket.groupId)?.name ?? 'No group'} />
            ) : (
              <ChoiceSelect
                id="ticket-group"
                label="Group"
                emptyLabel="No group"
                choices={groups}
                value={value('groupId', ticket.groupId ?? '') ?? ''}
                disabled={busy('groupId')}
                error={errors.groupId}
                onChange={(v) => {
                  const g = groups.find((x) => x.id === v);
                  void save('groupId', { groupId: g?.id ?? null }, v, g ? `Given to the group ${g.name}` : 'No group');
                }}
              />
            ))}
          {access.desk &&
            (ro ? (
              <ReadOnly label="Tags" value={ticket.tags?.length ? ticket.tags.join(', ') : 'None'} />
            ) : (
              <WordsPicker
                kind="tags"
                label="Tags"
                value={value('tags', ticket.tags ?? [])}
                disabled={busy('tags')}
                error={errors.tags}
                onChange={(tags) => save('tags', { tags }, tags, 'Tags saved')}
              />
            ))}
          {ro ? (
            <ReadOnly label="Copied (CC)" value={ticket.ccEmails?.length ? ticket.ccEmails.join(', ') : 'Nobody'} />
          ) : (
            <WordsPicker
              kind="emails"
              label="Copied (CC)"
              value={value('ccEmails', ticket.ccEmails ?? [])}
              disabled={busy('ccEmails')}
              error={errors.ccEmails}
              helperText="They get the public replies by email"
              onChange={(ccEmails) => save('ccEmails', { ccEmails }, ccEmails, 'Copies saved')}
            />
          )}
          {!ro && access.people && (
            <PersonPicker
              label="Requester"
              value={value<Person | null>('requesterId', ticket.requester)}
              disabled={busy('requesterId')}
              error={errors.requesterId}
              onChange={(p) => p && save('requesterId', { requesterId: p.id }, p, `The requester is now ${p.name}`)}
            />
          )}
          <ReadOnly label="Channel" value={CHANNEL_CHOICES.find((c) => c.id === ticket.channel)?.name ?? ticket.channel} />
        </Stack>
      </CardContent>
    </Card>
  );
}

function ReadOnly({ label, value }: { label: string; value: string }) {
  return (
    <Box>
      <Typography variant="caption" color="text.secondary" component="div">
        {label}
      </Typography>
      <Typography variant="body2">{value}</Typography>
    </Box>
  );
}

/** Who asked: their name and address, their other tickets, and (with organizations) their organization. */
export function RequesterCard({ ticket }: { ticket: TicketRecord }) {
  const r = ticket.requester;
  const [others, setOthers] = useState<Awaited<ReturnType<typeof requesterTickets>> | null>(null);
  useEffect(() => {
    let live = true;
    requesterTickets(r.id)
      .then((d) => live && setOthers(d))
      .catch(() => live && setOthers(null));
    return () => {
      live = false;
    };
  }, [r.id, ticket.updatedAt]);
  const list = others?.nodes.filter((t) => t.id !== ticket.id).slice(0, 5) ?? [];
  const more = others ? others.totalCount - 1 - list.length : 0;
  return (
    <Card variant="outlined" component="section" aria-label="Requester">
      <CardContent>
        <Stack direction="row" spacing={1.5} alignItems="center">
          <Avatar sx={{ bgcolor: '#78909c' }} aria-hidden>
            {r.name.charAt(0).toUpperCase()}
          </Avatar>
          <Box sx={{ minWidth: 0 }}>
            <Typography variant="subtitle1" sx={{ lineHeight: 1.2 }}>
              {r.name}
            </Typography>
            {r.email && (
              <Typography variant="body2" color="text.secondary" sx={{ overflowWrap: 'anywhere' }}>
                {r.email}
              </Typography>
            )}
            {ticket.organization && (
              <Typography variant="body2" color="text.secondary">
                {ticket.organization.name}
              </Typography>
            )}
          </Box>
        </Stack>
        <Typography variant="overline" component="h3" color="text.secondary" sx={{ display: 'block', mt: 1.5 }}>
          Their other tickets
        </Typography>
        {others && !list.length && (
          <Typography variant="body2" color="text.secondary">
            None
          </Typography>
        )}
        <List dense disablePadding>
          {list.map((t) => (
            <ListItem key={t.id} disableGutters sx={{ gap: 1 }}>
              <MuiLink component={Link} to={`/tickets/${t.id}/show`} underline="hover" sx={{ flex: 1, minWidth: 0, overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }}>
                {ticketRef(t.number)} {t.subject}
              </MuiLink>
              <StatusChip status={t.status} />
            </ListItem>
          ))}
        </List>
        {more > 0 && (
          <MuiLink component={Link} to={`/tickets?filter=${encodeURIComponent(JSON.stringify({ requesterId: r.id }))}`} variant="body2">
            All {others?.totalCount} of their tickets
          </MuiLink>
        )}
      </CardContent>
    </Card>
  );
}

/** What happened to the ticket, from the audit log, in words. */
export function HistorySection({ history }: { history: Api.TicketHistoryEntry[] }) {
  return (
    <Accordion variant="outlined" disableGutters component="section" aria-label="History">
      <AccordionSummary expandIcon={<ExpandMoreIcon />}>
        <Typography variant="subtitle2">History ({history.length})</Typography>
      </AccordionSummary>
      <AccordionDetails sx={{ pt: 0 }}>
        {!history.length && (
          <Typography variant="body2" color="text.secondary">
            Nothing recorded yet
          </Typography>
        )}
        <List dense disablePadding>
          {history.map((h, i) => (
            <ListItem key={i} disableGutters sx={{ display: 'block', py: 0.75, borderBottom: i < history.length - 1 ? '1px solid' : 'none', borderColor: 'divider' }}>
              <Typography variant="body2">
                <strong>{h.actorName}</strong>: {h.summary}
              </Typography>
              <Typography variant="caption" color="text.secondary">
                <When value={h.at} />
              </Typography>
            </ListItem>
          ))}
        </List>
      </AccordionDetails>
    </Accordion>
  );
}
