import { Box, Card, CardContent, Stack, Typography } from '@mui/material';
import {
  CreateBase,
  Form,
  RadioButtonGroupInput,
  SaveButton,
  SelectInput,
  TextInput,
  Title,
  email,
  required,
  useInput,
  useNotify,
  useRedirect,
  FormDataConsumer,
} from 'react-admin';
import { useEffect, useState } from 'react';
import { RichTextInput } from 'ra-input-rich-text';
import { GraphQLRequestError } from '@bulwark/platform-console';
import { AttachmentUpload, type UploadedFile } from './attachments';
import { CHANNEL_CHOICES, PRIORITY_CHOICES } from './tickets.choices';
import type { Person, TicketRecord } from './tickets.data';
import { PersonPicker, RICH_TEXT_TOOLBAR, ticketRef, useGroups, useTicketAccess, WordsPicker } from './ticket-fields';

/** A person picked by name, kept in the form as their id. */
function PersonInput({ source, label, staffOnly, validate }: { source: string; label: string; staffOnly?: boolean; validate?: ReturnType<typeof required> }) {
  const { field, fieldState } = useInput({ source, validate });
  const [person, setPerson] = useState<Person | null>(null);
  useEffect(() => {
    if (!field.value) setPerson(null);
  }, [field.value]);
  return (
    <PersonPicker
      label={label}
      staffOnly={staffOnly}
      value={person}
      error={fieldState.error?.message ? 'Choose a person' : undefined}
      onChange={(p) => {
        setPerson(p);
        field.onChange(p?.id ?? null);
      }}
    />
  );
}

function WordsInput({ source, label, kind, helperText }: { source: string; label: string; kind: 'tags' | 'emails'; helperText?: string }) {
  const { field, fieldState } = useInput({ source, defaultValue: [] });
  return <WordsPicker kind={kind} label={label} value={(field.value as string[]) ?? []} onChange={field.onChange} error={fieldState.error?.message} helperText={helperText} />;
}

/** Files of the description, uploaded as they are picked; sent as attachmentIds (tickets.data createInput). */
function FilesInput() {
  const { field } = useInput({ source: 'attachments', defaultValue: [] });
  return <AttachmentUpload value={(field.value as UploadedFile[]) ?? []} onChange={field.onChange} />;
}

function GroupInput() {
  const groups = useGroups(true);
  return <SelectInput source="groupId" label="Group" choices={groups} emptyText="No group" helperText={false} />;
}

/**
 * "New ticket": for the desk, on behalf of someone (an existing person, or a new requester by name
 * and address), by phone unless said otherwise, with who works on it and its tags and copies.
 * Those who may only file their own requests get the subject, description and priority.
 */
export function TicketCreate() {
  const access = useTicketAccess();
  const notify = useNotify();
  const redirect = useRedirect();
  const staff = access.edit;
  // The form's defaults (the channel) depend on who is filing: asked first.
  if (!access.ready) return null;
  return (
    <CreateBase
      resource="tickets"
      mutationOptions={{
        onSuccess: (t: TicketRecord) => {
          notify(`Ticket ${ticketRef(t.number)} created`, { type: 'success' });
          redirect('show', 'tickets', t.id);
        },
        // The fields show their own notes; the notice points at them (or says the server's sentence).
        onError: (e: unknown) => notify(e instanceof GraphQLRequestError ? e.summary : (e as Error).message, { type: 'error' }),
      }}
    >
      <Box sx={{ py: 2, px: { xs: 0, sm: 1 }, maxWidth: 900 }}>
        <Title title="New ticket" />
        <Typography variant="h5" component="h1" sx={{ mb: 2 }}>
          New ticket
        </Typography>
        <Card variant="outlined">
          <CardContent>
            {/* Our own checks say what is wrong on each field; the browser's bubbles would hide them. */}
            <Form
              noValidate
              defaultValues={{ priority: 'NORMAL', channel: staff ? 'PHONE' : 'WEB', requesterKind: 'existing', tags: [], ccEmails: [] }}
            >
              <Stack spacing={1}>
                {staff && access.people && (
                  <Box>
                    <Typography variant="subtitle2" component="h2">
                      Requester
                    </Typography>
                    <RadioButtonGroupInput
                      source="requesterKind"
                      label={false}
                      helperText={false}
                      choices={[
                        { id: 'existing', name: 'Someone we know' },
                        { id: 'new', name: 'New requester' },
                      ]}
                    />
                    <FormDataConsumer<{ requesterKind: string }>>
                      {({ formData }) =>
                        formData.requesterKind === 'new' ? (
                          <Stack direction={{ xs: 'column', sm: 'row' }} spacing={{ xs: 0, sm: 2 }}>
                            <TextInput source="newRequester.name" label="Their name" validate={required('Enter their name')} fullWidth />
                            <TextInput source="newRequester.email" label="Their email address" type="email" validate={[required('Enter their email address'), email('Enter an email address such as name@example.com')]} fullWidth />
                          </Stack>
                        ) : (
                          <Box sx={{ mb: 2 }}>
                            <PersonInput source="requesterId" label="Requester" validate={required('Choose the requester')} />
                          </Box>
                        )
                      }
                    </FormDataConsumer>
                  </Box>
                )}
                <TextInput source="subject" label="Subject" validate={required('Give the ticket a subject')} fullWidth slotProps={{ htmlInput: { maxLength: 200 } }} />
                <RichTextInput
                  source="htmlBody"
                  label="Description"
                  validate={required('Describe the request')}
                  sx={{ '& .ProseMirror': { minHeight: 140 } }}
                  toolbar={RICH_TEXT_TOOLBAR}
                />
                <FilesInput />
                <Stack direction={{ xs: 'column', sm: 'row' }} spacing={{ xs: 0, sm: 2 }}>
                  {staff && <SelectInput source="channel" label="Received by" choices={CHANNEL_CHOICES.filter((c) => c.id !== 'API')} validate={required()} helperText={false} />}
                  <SelectInput source="priority" label="Priority" choices={PRIORITY_CHOICES} validate={required()} helperText={false} />
                  {staff && access.groups && <GroupInput />}
                </Stack>
                {staff && access.people && (
                  <Box sx={{ mt: 1 }}>
                    <PersonInput source="assigneeId" label="Assignee" staffOnly />
                  </Box>
                )}
                {staff && (
                  <Stack direction={{ xs: 'column', sm: 'row' }} spacing={2} sx={{ mt: 1 }}>
                    <Box sx={{ flex: 1 }}>
                      <WordsInput source="tags" label="Tags" kind="tags" />
                    </Box>
                    <Box sx={{ flex: 1 }}>
                      <WordsInput source="ccEmails" label="Copy (CC)" kind="emails" helperText="They get the public replies by email" />
                    </Box>
                  </Stack>
                )}
                <Box sx={{ pt: 2 }}>
                  <SaveButton label="Create ticket" icon={<></>} alwaysEnable />
                </Box>
              </Stack>
            </Form>
          </CardContent>
        </Card>
      </Box>
    </CreateBase>
  );
}
