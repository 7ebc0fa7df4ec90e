import {
  Alert,
  Box,
  Button,
  Card,
  CardContent,
  CardHeader,
  Chip,
  FormControlLabel,
  Stack,
  Switch,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  TextField,
  ToggleButton,
  ToggleButtonGroup,
  Typography,
} from '@mui/material';
import { useCallback, useEffect, useState } from 'react';
import { Confirm, Title, useNotify } from 'react-admin';
import { formatDateTime, gql, useFormSave, type Api } from '@bulwark/platform-console';

type Quarantine = Pick<Api.Quarantine, 'id' | 'subjectKind' | 'address' | 'ticketCount' | 'limit' | 'windowMinutes' | 'since' | 'lastHeldAt' | 'status' | 'decidedAt' | 'heldCount'> & {
  heldTickets: Pick<Api.HeldTicket, 'id' | 'subject' | 'createdAt'>[];
  requester: Pick<Api.UserSummary, 'name' | 'email'> | null;
  decidedBy: Pick<Api.UserSummary, 'name'> | null;
};
type Rules = Pick<Api.SpamSettings, 'enabled' | 'limit' | 'windowMinutes'> & { defaults: Pick<Api.SpamRules, 'limit' | 'windowMinutes'> };

const FIELDS = `id subjectKind address ticketCount limit windowMinutes since lastHeldAt status decidedAt heldCount
  heldTickets { id subject createdAt } requester { name email } decidedBy { name }`;
const QUEUE = `query($f: QuarantineFilter) { spamQuarantines(filter: $f, page: { limit: 100 }) { totalCount nodes { ${FIELDS} } } }`;
const RULES = `{ spamSettings { enabled limit windowMinutes defaults { limit windowMinutes } } }`;
const SAVE_RULES = `mutation($i: SpamSettingsInput!) { updateSpamSettings(input: $i) { enabled limit windowMinutes defaults { limit windowMinutes } } }`;

const tickets = (n: number) => `${n} ticket${n === 1 ? '' : 's'}`;

/** Who is held, in words: the requester's name, or the address an anonymous channel gave. */
function who(q: Quarantine): { name: string; detail: string } {
  if (q.requester) return { name: q.requester.name, detail: q.requester.email };
  return { name: q.address ?? 'Unknown sender', detail: q.subjectKind === 'SENDER' ? 'Sender address' : 'Network address' };
}

const STATUS_WORDS: Record<string, { label: string; color: 'warning' | 'error' | 'success' | 'default' }> = {
  ACTIVE: { label: 'Held', color: 'warning' },
  BLOCKED: { label: 'Blocked', color: 'error' },
  RELEASED: { label: 'Released', color: 'success' },
  DELETED: { label: 'Held tickets deleted', color: 'default' },
};

const NONE_HELD: Record<string, string> = { RELEASED: 'None (released)', DELETED: 'None (deleted)' };

type Decision = 'release' | 'block' | 'delete';
const DECISIONS: Record<Decision, { mutation: string; field: string; button: string; title: (name: string) => string; content: (q: Quarantine) => string; done: (name: string, q: Quarantine) => string }> = {
  release: {
    mutation: `mutation($id: ID!) { releaseQuarantine(id: $id) { id } }`,
    field: 'releaseQuarantine',
    button: 'Release',
    title: (name) => `Release ${name}?`,
    content: (q) => `${tickets(q.heldCount)} will appear in the ticket list where their filing time puts them, and ${who(q).name} can file tickets again.`,
    done: (name, q) => `Released ${name}: ${tickets(q.heldCount)} back in the ticket list`,
  },
  block: {
    mutation: `mutation($id: ID!) { blockQuarantine(id: $id) { id } }`,
    field: 'blockQuarantine',
    button: 'Block',
    title: (name) => `Block ${name}?`,
    content: () => 'Their new tickets will be refused until someone releases them. The tickets held now stay held.',
    done: (name) => `${name} is blocked`,
  },
  delete: {
    mutation: `mutation($id: ID!) { deleteQuarantinedTickets(id: $id) { id } }`,
    field: 'deleteQuarantinedTickets',
    button: 'Delete',
    title: (name) => `Delete the held tickets of ${name}?`,
    content: (q) => `${tickets(q.heldCount)} will be deleted for good. The person stays, and the deletion is recorded in the audit log.`,
    done: (name, q) => `Deleted ${tickets(q.heldCount)} held for ${name}`,
  },
};

function RulesCard() {
  const notify = useNotify();
  const [rules, setRules] = useState<Rules | null>(null);
  const [enabled, setEnabled] = useState(true);
  const [limit, setLimit] = useState('');
  const [windowMinutes, setWindowMinutes] = useState('');
  const { busy, errors, setErrors, save: saving } = useFormSave();

  const show = useCallback((r: Rules) => {
    setRules(r);
    setEnabled(r.enabled);
    setLimit(String(r.limit));
    setWindowMinutes(String(r.windowMinutes));
  }, []);
  useEffect(() => {
    gql<{ spamSettings: Rules }>(RULES)
      .then((d) => show(d.spamSettings))
      .catch((e) => notify((e as Error).message, { type: 'error' }));
  }, [show, notify]);

  const save = async () => {
    const local: Record<string, string> = {};
    if (!/^\d+$/.test(limit.trim())) local.limit = 'Enter a whole number of tickets';
    if (!/^\d+$/.test(windowMinutes.trim())) local.windowMinutes = 'Enter a whole number of minutes';
    setErrors(local);
    if (Object.keys(local).length) return;
    const d = await saving(() => gql<{ updateSpamSettings: Rules }>(SAVE_RULES, { i: { enabled, limit: Number(limit), windowMinutes: Number(windowMinutes) } }), 'Spam rules saved');
    if (d) show(d.updateSpamSettings);
  };

  return (
    <Card>
      <CardHeader title="Rules" subheader="A requester who files more tickets than this within the window has their new tickets held here" />
      <CardContent>
        {!rules ? (
          <Typography variant="body2">Loading the rules…</Typography>
        ) : (
          <Stack spacing={2}>
            <FormControlLabel control={<Switch checked={enabled} onChange={(e) => setEnabled(e.target.checked)} />} label={enabled ? 'Watching for floods of tickets' : 'Not watching (nothing is held)'} />
            <Stack direction={{ xs: 'column', sm: 'row' }} spacing={2}>
              <TextField
                label="Tickets per requester"
                value={limit}
                onChange={(e) => setLimit(e.target.value)}
                inputProps={{ inputMode: 'numeric' }}
                error={!!errors.limit}
                helperText={errors.limit ?? `1 to 1000; usually ${rules.defaults.limit}`}
                disabled={!enabled}
              />
              <TextField
                label="Within (minutes)"
                value={windowMinutes}
                onChange={(e) => setWindowMinutes(e.target.value)}
                inputProps={{ inputMode: 'numeric' }}
                error={!!errors.windowMinutes}
                helperText={errors.windowMinutes ?? `1 to 1440 (a day); usually ${rules.defaults.windowMinutes}`}
                disabled={!enabled}
              />
            </Stack>
            <Typography variant="body2" color="text.secondary">
              Tickets that staff file for someone are not counted. Held tickets are kept, not deleted, until you decide.
            </Typography>
            <Box>
              <Button variant="contained" onClick={save} disabled={busy}>
                Save rules
              </Button>
            </Box>
          </Stack>
        )}
      </CardContent>
    </Card>
  );
}

function QueueCard() {
  const notify = useNotify();
  const [view, setView] = useState<'open' | 'decided'>('open');
  const [rows, setRows] = useState<Quarantine[] | null>(null);
  const [asking, setAsking] = useState<{ q: Quarantine; decision: Decision } | null>(null);

  const load = useCallback(async () => {
    try {
      const d = await gql<{ spamQuarantines: { nodes: Quarantine[] } }>(QUEUE, { f: { status: view === 'open' ? ['ACTIVE', 'BLOCKED'] : ['RELEASED', 'DELETED'] } });
      setRows(d.spamQuarantines.nodes);
    } catch (e) {
      notify((e as Error).message, { type: 'error' });
    }
  }, [view, notify]);
  useEffect(() => {
    setRows(null);
    void load();
  }, [load]);

  const decide = async () => {
    if (!asking) return;
    const { q, decision } = asking;
    const d = DECISIONS[decision];
    setAsking(null);
    try {
      await gql(d.mutation, { id: q.id });
      notify(d.done(who(q).name, q), { type: 'success' });
    } catch (e) {
      notify((e as Error).message, { type: 'error' });
    } finally {
      await load();
    }
  };

  return (
    <Card>
      <CardHeader
        title="Held requesters"
        subheader={
          view === 'open'
            ? 'New tickets of these requesters are held and seen by no one else until you release, block or delete them'
            : 'Quarantines already released or emptied, newest first'
        }
        action={
          <ToggleButtonGroup size="small" exclusive value={view} onChange={(_e, v) => v && setView(v)} aria-label="Which quarantines">
            <ToggleButton value="open">Waiting for a decision</ToggleButton>
            <ToggleButton value="decided">Decided</ToggleButton>
          </ToggleButtonGroup>
        }
      />
      <CardContent>
        {!rows ? (
          <Typography variant="body2">Loading the quarantine…</Typography>
        ) : !rows.length ? (
          <Typography variant="body2" color="text.secondary">
            {view === 'open' ? 'Nobody is held. Requesters over the limit appear here.' : 'No decisions yet.'}
          </Typography>
        ) : (
          <Table aria-label="Held requesters" size="small">
            <TableHead>
              <TableRow>
                <TableCell>Requester</TableCell>
                <TableCell>Held tickets</TableCell>
                <TableCell>Why</TableCell>
                <TableCell>Since</TableCell>
                <TableCell>Status</TableCell>
                {view === 'open' && <TableCell align="right">Decide</TableCell>}
              </TableRow>
            </TableHead>
            <TableBody>
              {rows.map((q) => {
                const person = who(q);
                const status = STATUS_WORDS[q.status] ?? { label: q.status, color: 'default' as const };
                return (
                  <TableRow key={q.id} aria-label={person.name}>
                    <TableCell>
                      <Typography variant="body2">{person.name}</Typography>
                      <Typography variant="caption" color="text.secondary">
                        {person.detail}
                      </Typography>
                    </TableCell>
                    <TableCell>
                      <Typography variant="body2">{q.heldCount ? tickets(q.heldCount) : (NONE_HELD[q.status] ?? 'None now')}</Typography>
                      {q.heldTickets.slice(0, 3).map((h) => (
                        <Typography key={h.id} variant="caption" color="text.secondary" component="div" noWrap sx={{ maxWidth: 280 }} title={`${h.subject}, filed ${formatDateTime(h.createdAt)}`}>
                          {h.subject}
                        </Typography>
                      ))}
                      {q.heldCount > 3 && (
                        <Typography variant="caption" color="text.secondary" component="div">
                          and {q.heldCount - 3} more
                        </Typography>
                      )}
                    </TableCell>
                    <TableCell>
                      <Typography variant="body2">
                        More than {tickets(q.limit)} in {q.windowMinutes} minutes
                      </Typography>
                      <Typography variant="caption" color="text.secondary">
                        {q.ticketCount} filed before the first was held
                      </Typography>
                    </TableCell>
                    <TableCell sx={{ whiteSpace: 'nowrap' }}>
                      <Typography variant="body2">{formatDateTime(q.since)}</Typography>
                      <Typography variant="caption" color="text.secondary">
                        Last held {formatDateTime(q.lastHeldAt)}
                      </Typography>
                    </TableCell>
                    <TableCell>
                      <Chip size="small" color={status.color} label={status.label} />
                      {q.decidedAt && (
                        <Typography variant="caption" color="text.secondary" component="div">
                          {q.decidedBy ? `By ${q.decidedBy.name}, ` : ''}
                          {formatDateTime(q.decidedAt)}
                        </Typography>
                      )}
                    </TableCell>
                    {view === 'open' && (
                      <TableCell align="right">
                        <Stack alignItems="flex-end">
                          {(['release', 'block', 'delete'] as Decision[])
                            .filter((d) => !(d === 'block' && q.status === 'BLOCKED') && !(d === 'delete' && q.heldCount === 0))
                            .map((d) => (
                              <Button
                                key={d}
                                size="small"
                                color={d === 'release' ? 'primary' : 'error'}
                                aria-label={`${d === 'delete' ? 'Delete the held tickets of' : DECISIONS[d].button}: ${person.name}`}
                                onClick={() => setAsking({ q, decision: d })}
                              >
                                {DECISIONS[d].button}
                              </Button>
                            ))}
                        </Stack>
                      </TableCell>
                    )}
                  </TableRow>
                );
              })}
            </TableBody>
          </Table>
        )}
      </CardContent>
      <Confirm
        isOpen={!!asking}
        title={asking ? DECISIONS[asking.decision].title(who(asking.q).name) : ''}
        content={asking ? DECISIONS[asking.decision].content(asking.q) : ''}
        confirm={asking ? DECISIONS[asking.decision].button : 'Confirm'}
        onConfirm={decide}
        onClose={() => setAsking(null)}
      />
    </Card>
  );
}

/** The spam watcher (H3) for admins: who is held and why, the decisions, and the rules. */
export function QuarantinePage() {
  return (
    <Box sx={{ p: 2, display: 'grid', gap: 2, maxWidth: 1200 }}>
      <Title title="Spam quarantine" />
      <Alert severity="info">
        When someone files too many tickets in a short time, their new tickets are held here instead of reaching your agents. Nothing is deleted unless you decide so.
      </Alert>
      <QueueCard />
      <RulesCard />
    </Box>
  );
}
