import ArrowDropDownIcon from '@mui/icons-material/ArrowDropDown';
import LockIcon from '@mui/icons-material/Lock';
import ReplyIcon from '@mui/icons-material/Reply';
import { Box, Button, ButtonGroup, Card, CardContent, Menu, MenuItem, Stack, ToggleButton, ToggleButtonGroup } from '@mui/material';
import { useRef, useState } from 'react';
import { Form, useNotify } from 'react-admin';
import { RichTextInput } from 'ra-input-rich-text';
import { GraphQLRequestError, type Api } from '@bulwark/platform-console';
import { AttachmentUpload, type UploadedFile } from './attachments';
import { addComment, type TicketRecord } from './tickets.data';
import { RICH_TEXT_TOOLBAR, statusName } from './ticket-fields';

/** The statuses a reply can set, in the order an agent works through them. */
const SUBMIT_AS: Api.TicketStatus[] = ['OPEN', 'PENDING', 'SOLVED'];

const NO_RECORD = {};

const isEmpty = (html: unknown) =>
  !String(html ?? '')
    .replace(/<[^>]*>/g, '')
    .replace(/&nbsp;/g, ' ')
    .trim();

/**
 * The reply box: formatted text (sent as htmlBody, sanitized by the server), a public reply or an
 * internal note, and for those who may change tickets "Submit as Open / Pending / Solved": the
 * reply and the new status in one call.
 */
export function ReplyBox({ ticket, canNote, canSetStatus, onSent }: { ticket: TicketRecord; canNote: boolean; canSetStatus: boolean; onSent: () => void }) {
  const notify = useNotify();
  const [internal, setInternal] = useState(false);
  const [files, setFiles] = useState<UploadedFile[]>([]);
  const [formKey, setFormKey] = useState(0);
  const [busy, setBusy] = useState(false);
  const [menu, setMenu] = useState<HTMLElement | null>(null);
  const [error, setError] = useState<string | undefined>();
  // The status the next submit sets (the main button's, or the one picked from its menu).
  const statusRef = useRef<Api.TicketStatus | undefined>(undefined);
  const current = SUBMIT_AS.includes(ticket.status) ? ticket.status : 'OPEN';
  const formId = `reply-${ticket.id}`;

  const send = async (values: Record<string, unknown>) => {
    if (isEmpty(values.reply)) {
      setError(internal ? 'Write the note first' : 'Write your reply first');
      return;
    }
    setBusy(true);
    setError(undefined);
    const status = canSetStatus ? statusRef.current : undefined;
    try {
      await addComment(ticket.id, {
        htmlBody: String(values.reply),
        public: !internal,
        ...(files.length ? { attachmentIds: files.map((f) => f.id) } : {}),
        ...(status && status !== ticket.status ? { status } : {}),
      });
      setFiles([]);
      notify(
        `${internal ? 'Note added' : 'Reply sent'}${status && status !== ticket.status ? `; the ticket is ${statusName(status).toLowerCase()}` : ''}`,
        { type: 'success' },
      );
      setFormKey((k) => k + 1);
      setInternal(false);
      onSent();
    } catch (e) {
      const msg = e instanceof GraphQLRequestError ? e.serverMessage : (e as Error).message;
      setError(msg);
    } finally {
      setBusy(false);
    }
  };
  const submitAs = (s: Api.TicketStatus | undefined) => () => {
    statusRef.current = s;
    setMenu(null);
  };

  return (
    <Card variant="outlined" sx={{ borderColor: internal ? '#f0c24b' : undefined, bgcolor: internal ? '#fffbeb' : undefined }} component="section" aria-label="Reply box">
      <CardContent sx={{ '&:last-child': { pb: 2 } }}>
        {canNote && (
          <ToggleButtonGroup size="small" exclusive value={internal ? 'note' : 'reply'} onChange={(_e, v) => v && setInternal(v === 'note')} sx={{ mb: 1 }} aria-label="Kind of message">
            <ToggleButton value="reply">
              <ReplyIcon fontSize="small" sx={{ mr: 0.5 }} /> Public reply
            </ToggleButton>
            <ToggleButton value="note">
              <LockIcon fontSize="small" sx={{ mr: 0.5 }} /> Internal note
            </ToggleButton>
          </ToggleButtonGroup>
        )}
        {/* A form of its own (record={}), not the ticket's: the reply starts empty. */}
        <Form key={formKey} id={formId} onSubmit={send} record={NO_RECORD} defaultValues={{ reply: '' }}>
          <RichTextInput
            source="reply"
            label={internal ? 'Internal note (only the desk sees it)' : `Reply to ${ticket.requester.name}`}
            helperText={false}
            sx={{ '& .ProseMirror': { minHeight: 110 }, '& .RaRichTextInput-editorContent': { bgcolor: 'background.paper' } }}
            toolbar={RICH_TEXT_TOOLBAR}
          />
          {error && (
            <Box role="alert" sx={{ color: 'error.main', fontSize: 14, mt: -1, mb: 1 }}>
              {error}
            </Box>
          )}
          <AttachmentUpload value={files} onChange={setFiles} disabled={busy} />
        </Form>
        <Stack direction="row" justifyContent="flex-end" sx={{ mt: 1 }}>
          {canSetStatus ? (
            <>
              <ButtonGroup variant="contained" disabled={busy} aria-label="Submit">
                <Button type="submit" form={formId} onClick={submitAs(current)}>
                  Submit as {statusName(current)}
                </Button>
                <Button size="small" aria-label="Submit as another status" aria-haspopup="menu" onClick={(e) => setMenu(e.currentTarget)}>
                  <ArrowDropDownIcon />
                </Button>
              </ButtonGroup>
              <Menu anchorEl={menu} open={!!menu} onClose={() => setMenu(null)} anchorOrigin={{ vertical: 'top', horizontal: 'right' }} transformOrigin={{ vertical: 'bottom', horizontal: 'right' }}>
                {SUBMIT_AS.map((s) => (
                  <MenuItem key={s} component="button" type="submit" form={formId} onClick={submitAs(s)} sx={{ width: '100%' }}>
                    Submit as {statusName(s)}
                  </MenuItem>
                ))}
              </Menu>
            </>
          ) : (
            <Button variant="contained" type="submit" form={formId} disabled={busy} onClick={submitAs(undefined)}>
              {internal ? 'Add note' : 'Send reply'}
            </Button>
          )}
        </Stack>
      </CardContent>
    </Card>
  );
}
