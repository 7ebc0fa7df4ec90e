import { Alert, Box, Card, CardContent, CardHeader, Stack, Table, TableBody, TableCell, TableHead, TableRow, Typography } from '@mui/material';
import { useCallback, useEffect, useState } from 'react';
import { Title, useNotify } from 'react-admin';
import { ConfirmAction, formatDateTime, gql, type Api } from '@bulwark/platform-console';

type Held = Pick<Api.HeldMail, 'id' | 'from' | 'subject' | 'reason' | 'receivedAt'> & {
  authentication: Pick<Api.MailAuthenticationSummary, 'domain' | 'spf' | 'dkim' | 'dmarc' | 'authenticated'> | null;
};

const QUEUE = `{ heldMails(page: { limit: 100 }) { totalCount nodes { id from subject reason receivedAt authentication { domain spf dkim dmarc authenticated } } } }`;

type Decision = 'release' | 'discard';
const DECISIONS: Record<Decision, { mutation: string; button: string; title: (m: Held) => string; content: (m: Held) => string; done: (m: Held) => string }> = {
  release: {
    mutation: `mutation($id: ID!) { releaseHeldMail(id: $id) { id status } }`,
    button: 'Release',
    title: (m) => `Release the message from ${m.from}?`,
    content: (m) =>
      `You vouch that ${m.from} really sent it: it becomes their ticket, or their reply on the ticket it answers, as if their mail provider had verified it. Release only what you have checked with them.`,
    done: (m) => `Released the message from ${m.from}`,
  },
  discard: {
    mutation: `mutation($id: ID!) { discardHeldMail(id: $id) { id status } }`,
    button: 'Discard',
    title: (m) => `Discard the message from ${m.from}?`,
    content: () => 'Nothing is filed and the message is deleted. The decision is recorded in the audit log.',
    done: (m) => `Discarded the message from ${m.from}`,
  },
};


/** The checks in words: what the sender's domain said about this message. */
function checks(m: Held): string {
  const a = m.authentication;
  if (!a) return 'Not checked';
  return `DMARC ${a.dmarc}, SPF ${a.spf}, DKIM ${a.dkim}${a.domain ? ` (for ${a.domain})` : ''}`;
}

/** Mail held because its sender could not be verified (H5): release or discard, each confirmed. */
export function HeldMailPage() {
  const notify = useNotify();
  const [rows, setRows] = useState<Held[] | null>(null);

  const load = useCallback(async () => {
    try {
      setRows((await gql<{ heldMails: { nodes: Held[] } }>(QUEUE)).heldMails.nodes);
    } catch (e) {
      notify((e as Error).message, { type: 'error' });
    }
  }, [notify]);
  useEffect(() => {
    void load();
  }, [load]);

  /** Runs a decision; the queue is read again whatever came of it (another admin may have decided first). */
  const decide = (d: Decision, m: Held) => async () => {
    try {
      await gql(DECISIONS[d].mutation, { id: m.id });
    } finally {
      await load();
    }
  };

  return (
    <Box sx={{ p: 2, display: 'grid', gap: 2, maxWidth: 1200 }}>
      <Title title="Held mail" />
      <Alert severity="info">
        These messages claim to come from an address whose mail provider did not vouch for them, so they were not attached to anyone. Someone may be pretending to be one
        of your requesters. Release a message only when you know the person sent it.
      </Alert>
      <Card>
        <CardHeader title="Waiting for a decision" subheader="Newest first" />
        <CardContent>
          {!rows ? (
            <Typography variant="body2">Loading the held mail…</Typography>
          ) : !rows.length ? (
            <Typography variant="body2" color="text.secondary">
              No mail is held. Messages whose sender cannot be verified appear here.
            </Typography>
          ) : (
            <Table aria-label="Held mail" size="small">
              <TableHead>
                <TableRow>
                  <TableCell>From</TableCell>
                  <TableCell>Subject</TableCell>
                  <TableCell>Why it is held</TableCell>
                  <TableCell>Received</TableCell>
                  <TableCell align="right">Decide</TableCell>
                </TableRow>
              </TableHead>
              <TableBody>
                {rows.map((m) => (
                  <TableRow key={m.id} aria-label={`${m.subject} from ${m.from}`}>
                    <TableCell>{m.from}</TableCell>
                    <TableCell>{m.subject}</TableCell>
                    <TableCell>
                      <Typography variant="body2">{m.reason}</Typography>
                      <Typography variant="caption" color="text.secondary">
                        {checks(m)}
                      </Typography>
                    </TableCell>
                    <TableCell sx={{ whiteSpace: 'nowrap' }}>{formatDateTime(m.receivedAt)}</TableCell>
                    <TableCell align="right">
                      <Stack alignItems="flex-end">
                        {(['release', 'discard'] as Decision[]).map((d) => (
                          <ConfirmAction
                            key={d}
                            name={`${DECISIONS[d].button}: ${m.subject} from ${m.from}`}
                            label={DECISIONS[d].button}
                            title={DECISIONS[d].title(m)}
                            content={DECISIONS[d].content(m)}
                            confirm={DECISIONS[d].button}
                            run={decide(d, m)}
                            done={DECISIONS[d].done(m)}
                          />
                        ))}
                      </Stack>
                    </TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          )}
        </CardContent>
      </Card>
    </Box>
  );
}
