import LockIcon from '@mui/icons-material/Lock';
import { Avatar, Box, Paper, Stack, Typography } from '@mui/material';
import { When } from '@bulwark/platform-console';
import { AttachmentList } from './attachments';
import type { TicketComment, TicketRecord } from './tickets.data';

type Message = TicketComment & { first?: boolean };
type Kind = 'requester' | 'agent' | 'note';

const initials = (name: string) =>
  name
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((w) => w.charAt(0).toUpperCase())
    .join('') || '?';

const LOOK: Record<Kind, { bg: string; border: string; avatar: string }> = {
  requester: { bg: '#ffffff', border: '#d0d7de', avatar: '#78909c' },
  agent: { bg: '#eef4fd', border: '#b6cdf2', avatar: '#1565c0' },
  note: { bg: '#fff8e1', border: '#f0c24b', avatar: '#b7791f' },
};

/**
 * A message's words: the server's sanitized HTML when it was written with formatting (SECURITY.md
 * E8: sanitized on write, so it is the only text set as HTML), else its plain text as typed.
 */
export function MessageText({ htmlBody, body }: { htmlBody?: string | null; body?: string }) {
  if (htmlBody) {
    return (
      <Box
        className="ticket-rich-text"
        sx={{ overflowWrap: 'anywhere', '& p': { my: 0.5 }, '& ul, & ol': { my: 0.5, pl: 3 }, '& blockquote': { borderLeft: '3px solid #ccc', m: 0, pl: 1.5, color: 'text.secondary' }, '& img': { maxWidth: '100%' } }}
        dangerouslySetInnerHTML={{ __html: htmlBody }}
      />
    );
  }
  return (
    <Typography variant="body2" component="div" sx={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}>
      {body}
    </Typography>
  );
}

function MessageCard({ m, kind }: { m: Message; kind: Kind }) {
  const look = LOOK[kind];
  const name = m.author?.name ?? 'A deleted person';
  const fromDesk = kind !== 'requester';
  return (
    <Stack direction={fromDesk ? 'row-reverse' : 'row'} spacing={1.5} alignItems="flex-start" sx={{ pl: fromDesk ? { xs: 0, sm: 6 } : 0, pr: fromDesk ? 0 : { xs: 0, sm: 6 } }}>
      <Avatar sx={{ bgcolor: look.avatar, width: 36, height: 36, fontSize: 15, display: { xs: 'none', sm: 'flex' } }} aria-hidden>
        {kind === 'note' ? <LockIcon fontSize="small" /> : initials(name)}
      </Avatar>
      <Paper
        variant="outlined"
        component="article"
        aria-label={kind === 'note' ? `Internal note from ${name}` : `Message from ${name}`}
        data-kind={kind}
        sx={{ flex: 1, minWidth: 0, p: 1.5, bgcolor: look.bg, borderColor: look.border, borderWidth: kind === 'note' ? 2 : 1, borderStyle: kind === 'note' ? 'dashed' : 'solid' }}
      >
        <Stack direction="row" spacing={1} alignItems="baseline" flexWrap="wrap" useFlexGap sx={{ mb: 0.5 }}>
          <Typography variant="subtitle2" component="span">
            {name}
          </Typography>
          {kind === 'note' ? (
            <Typography variant="caption" component="span" sx={{ display: 'inline-flex', alignItems: 'center', gap: 0.5, fontWeight: 700, color: '#8a5a00', textTransform: 'uppercase', letterSpacing: 0.5 }}>
              <LockIcon sx={{ fontSize: 14 }} /> Internal note · only the desk sees it
            </Typography>
          ) : (
            <Typography variant="caption" component="span" color="text.secondary">
              {kind === 'requester' ? (m.first ? 'Requester · opened the ticket' : 'Requester') : 'Agent'}
            </Typography>
          )}
          <Typography variant="caption" component="span" color="text.secondary" sx={{ ml: 'auto !important' }}>
            <When value={m.createdAt} />
          </Typography>
        </Stack>
        <MessageText htmlBody={m.htmlBody} body={m.body} />
        {!!m.attachments?.length && <AttachmentList attachments={m.attachments} />}
      </Paper>
    </Stack>
  );
}

/** The conversation, oldest first: the ticket's own text is its first message. */
export function TicketThread({ ticket }: { ticket: TicketRecord }) {
  const messages: Message[] = [
    { id: 'first', first: true, body: ticket.body ?? '', htmlBody: ticket.htmlBody ?? null, public: true, createdAt: ticket.createdAt, author: ticket.requester, attachments: ticket.attachments },
    ...(ticket.comments ?? []),
  ];
  const kindOf = (m: Message): Kind => (!m.public ? 'note' : m.author?.id === ticket.requester.id || m.author?.role === 'requester' ? 'requester' : 'agent');
  return (
    <Stack spacing={1.5} component="section" aria-label="Conversation">
      {messages.map((m) => (
        <MessageCard key={m.id} m={m} kind={kindOf(m)} />
      ))}
    </Stack>
  );
}
