import ArrowBackIcon from '@mui/icons-material/ArrowBack';
import { Alert, Box, Button, Card, CardContent, Stack, TextField, Typography } from '@mui/material';
import { useCallback, useEffect, useState } from 'react';
import { Title, useGetIdentity, useNotify } from 'react-admin';
import { Link, Navigate, useParams } from 'react-router-dom';
import { AttachmentIdsInput, AttachmentList } from './attachments';
import { FormCard, MessageBody, RequestStatus, requestNumber, When } from './portal.common';
import { numberOfTicket, replyTo, requestByNumber, type PortalMessage, type PortalRequest } from './portal.data';

/** One request: its thread (the requester's messages and the public replies), a reply box, "Mark as solved". */
export function RequestPage() {
  const { number: param } = useParams();
  const number = /^\d{1,9}$/.test(param ?? '') ? Number(param) : null;
  const [request, setRequest] = useState<PortalRequest | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async () => {
    if (number === null) return setError('There is no request with this number.');
    try {
      setRequest(await requestByNumber(number));
      setError(null);
    } catch (e) {
      setError((e as { code?: string }).code === 'NOT_FOUND' ? 'We could not find this request among yours.' : (e as Error).message);
    }
  }, [number]);
  useEffect(() => {
    setRequest(null);
    void load();
  }, [load]);

  return (
    <Box>
      <Title title={request ? `${requestNumber(request.number)} ${request.subject}` : number ? requestNumber(number) : 'Request'} />
      <Button component={Link} to="/requests" startIcon={<ArrowBackIcon />} size="small" sx={{ mb: 1, ml: -1 }}>
        My requests
      </Button>
      {error && <Alert severity="info">{error}</Alert>}
      {!request && !error && <Typography color="text.secondary">Loading…</Typography>}
      {request && <Thread request={request} onChange={load} />}
    </Box>
  );
}

function Thread({ request, onChange }: { request: PortalRequest; onChange: () => Promise<unknown> }) {
  const { identity } = useGetIdentity();
  const first: PortalMessage = { id: 'first', body: request.body, htmlBody: request.htmlBody, createdAt: request.createdAt, author: request.requester, attachments: request.attachments };
  // The API never gives requesters internal notes; this keeps the thread public even if it did.
  const messages = [first, ...request.comments.filter((c) => c.public)];
  return (
    <Stack spacing={2}>
      <Stack direction="row" sx={{ gap: 1, alignItems: 'center', flexWrap: 'wrap', color: 'text.secondary' }}>
        <RequestStatus status={request.status} />
        <Typography variant="body2">
          <When at={request.createdAt} prefix="Opened" /> · <When at={request.updatedAt} prefix="last update" />
        </Typography>
      </Stack>
      <Stack spacing={1.5} component="ol" aria-label="Conversation" sx={{ listStyle: 'none', p: 0, m: 0 }}>
        {messages.map((m) => (
          <Message key={m.id} message={m} mine={!!identity && m.author?.id === String(identity.id)} />
        ))}
      </Stack>
      <ReplyBox request={request} onChange={onChange} />
    </Stack>
  );
}

function Message({ message, mine }: { message: PortalMessage; mine: boolean }) {
  return (
    <Box component="li" sx={{ display: 'flex', justifyContent: mine ? 'flex-end' : 'flex-start' }}>
      <Card
        variant="outlined"
        aria-label={mine ? 'Your message' : `Reply from ${message.author?.name ?? 'the support team'}`}
        sx={{ width: { xs: '100%', sm: '85%' }, bgcolor: mine ? '#eef4fc' : 'background.paper', borderColor: mine ? 'primary.light' : 'divider' }}
      >
        <CardContent sx={{ '&:last-child': { pb: 2 } }}>
          <Stack direction="row" sx={{ justifyContent: 'space-between', gap: 1, flexWrap: 'wrap', mb: 1 }}>
            <Typography variant="subtitle2">{mine ? 'You' : (message.author?.name ?? 'Support team')}</Typography>
            <Typography variant="caption" color="text.secondary">
              <When at={message.createdAt} />
            </Typography>
          </Stack>
          <MessageBody body={message.body} htmlBody={message.htmlBody} />
          {!!message.attachments?.length && <AttachmentList attachments={message.attachments} />}
        </CardContent>
      </Card>
    </Box>
  );
}

function ReplyBox({ request, onChange }: { request: PortalRequest; onChange: () => Promise<unknown> }) {
  const notify = useNotify();
  const [body, setBody] = useState('');
  const [files, setFiles] = useState<string[]>([]);
  const [sending, setSending] = useState(false);
  if (request.status === 'CLOSED') {
    return <Alert severity="info">This request is closed. If you need more help, file a new request.</Alert>;
  }
  const solved = request.status === 'SOLVED';
  const send = async (markSolved: boolean) => {
    setSending(true);
    try {
      // Marking solved without words of one's own still says so in the thread.
      await replyTo(request.id, body.trim() ? body : 'Marked as solved.', markSolved, files);
      setBody('');
      setFiles([]);
      notify(markSolved ? 'Marked as solved. Reply at any time to reopen it.' : solved ? 'Reply sent; your request is open again.' : 'Reply sent.', { type: 'success' });
      await onChange();
    } catch (e) {
      notify((e as Error).message, { type: 'error' });
    } finally {
      setSending(false);
    }
  };
  return (
    <FormCard label="Reply" onSubmit={() => void send(false)}>
      {solved && <Alert severity="success">This request is solved. If something is still wrong, reply and it opens again.</Alert>}
      <TextField label="Your reply" multiline minRows={3} fullWidth value={body} onChange={(e) => setBody(e.target.value)} slotProps={{ htmlInput: { maxLength: 20000 } }} />
      <AttachmentIdsInput value={files} onChange={setFiles} disabled={sending} />
      <Stack direction="row" sx={{ gap: 1, justifyContent: 'flex-end', flexWrap: 'wrap' }}>
        {!solved && (
          <Button onClick={() => void send(true)} disabled={sending} variant="outlined" color="success">
            {body.trim() ? 'Send and mark as solved' : 'Mark as solved'}
          </Button>
        )}
        <Button type="submit" variant="contained" disabled={sending || !body.trim()}>
          {solved ? 'Reply and reopen' : 'Send reply'}
        </Button>
      </Stack>
    </FormCard>
  );
}

/**
 * A console link to a ticket (`#/tickets/<id>/show`, what notification mails carry) opened by a
 * requester: their request's page in the portal.
 */
export function TicketLinkPage() {
  const { id } = useParams();
  const [to, setTo] = useState<string | null>(null);
  const notify = useNotify();
  useEffect(() => {
    numberOfTicket(id ?? '')
      .then((n) => setTo(`/requests/${n}`))
      .catch(() => {
        // Someone else's request, or one gone: said, not a silent jump to the list.
        notify('We could not find this request among yours.', { type: 'warning' });
        setTo('/requests');
      });
  }, [id, notify]);
  return to ? <Navigate to={to} replace /> : <Typography color="text.secondary">Loading…</Typography>;
}
