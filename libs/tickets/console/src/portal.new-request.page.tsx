import { Alert, Box, Button, Stack, TextField, Typography } from '@mui/material';
import { useState, type ComponentType } from 'react';
import { Title, useNotify } from 'react-admin';
import { Link, useNavigate } from 'react-router-dom';
import { GraphQLRequestError } from '@bulwark/platform-console';
import { FormCard, requestNumber } from './portal.common';
import { fileRequest } from './portal.data';
import { AttachmentIdsInput } from './attachments';

/**
 * The slot for files: the upload component of the attachments part (ids of uploaded files in,
 * through `onChange`); `fileRequest` sends them as `attachmentIds`.
 */
const AttachmentsInput: ComponentType<{ value: string[]; onChange(ids: string[]): void }> | null = AttachmentIdsInput;

/** New request: only what a requester may set, a subject and what they need. */
export function NewRequestPage() {
  const notify = useNotify();
  const navigate = useNavigate();
  const [subject, setSubject] = useState('');
  const [body, setBody] = useState('');
  const [attachmentIds, setAttachmentIds] = useState<string[]>([]);
  const [errors, setErrors] = useState<{ subject?: string; body?: string; form?: string }>({});
  const [sending, setSending] = useState(false);

  const send = async () => {
    const missing = { subject: subject.trim() ? undefined : 'Say in a few words what it is about', body: body.trim() ? undefined : 'Describe what you need' };
    if (missing.subject || missing.body) return setErrors(missing);
    setSending(true);
    setErrors({});
    try {
      const t = await fileRequest({ subject, body, attachmentIds });
      notify(`Request ${requestNumber(t.number)} received. We will reply here and by email.`, { type: 'success' });
      navigate(`/requests/${t.number}`);
    } catch (e) {
      const f = e instanceof GraphQLRequestError ? e.fields : undefined;
      const message = e instanceof GraphQLRequestError ? e.serverMessage : (e as Error).message;
      if (f?.subject || f?.body) setErrors({ subject: f.subject && message, body: f.body && message });
      else setErrors({ form: message });
    } finally {
      setSending(false);
    }
  };

  const fields = [
    { name: 'subject', label: 'Subject', value: subject, set: setSubject, max: 200, help: undefined },
    { name: 'body', label: 'Description', value: body, set: setBody, max: 20000, help: 'What happened, what you expected, and anything we should know' },
  ] as const;
  return (
    <Box>
      <Title title="New request" />
      <FormCard label="New request" onSubmit={() => void send()}>
        <Typography color="text.secondary">Tell us what you need. We will answer on this request, and you can follow it under My requests.</Typography>
        {errors.form && <Alert severity="error">{errors.form}</Alert>}
        {fields.map((f) => (
          <TextField
            key={f.name}
            label={f.label}
            value={f.value}
            onChange={(e) => f.set(e.target.value)}
            required
            fullWidth
            multiline={f.name === 'body'}
            minRows={f.name === 'body' ? 6 : undefined}
            error={!!errors[f.name]}
            helperText={errors[f.name] ?? f.help}
            slotProps={{ htmlInput: { maxLength: f.max } }}
          />
        ))}
        {AttachmentsInput && <AttachmentsInput value={attachmentIds} onChange={setAttachmentIds} />}
        <Stack direction="row" spacing={1} sx={{ justifyContent: 'flex-end' }}>
          <Button component={Link} to="/requests">
            Cancel
          </Button>
          <Button type="submit" variant="contained" disabled={sending}>
            Send request
          </Button>
        </Stack>
      </FormCard>
    </Box>
  );
}
