import { Box, Button, Card, CardContent, Checkbox, Chip, FormControlLabel, Stack, TextField as MuiTextField, Typography } from '@mui/material';
import { useState } from 'react';
import {
  ArrayField,
  AutocompleteInput,
  BooleanField,
  BooleanInput,
  Create,
  CreateButton,
  Datagrid,
  DateField,
  Edit,
  FilterButton,
  FunctionField,
  List,
  ReferenceField,
  ReferenceInput,
  SearchInput,
  SelectField,
  SelectInput,
  Show,
  SimpleForm,
  SimpleShowLayout,
  TextField,
  TextInput,
  TopToolbar,
  required,
  useListContext,
  useCanAccess,
  useNotify,
  useRecordContext,
  useRefresh,
} from 'react-admin';
import { ExportButton, gql } from '@bulwark/platform-console';
import { CHANNEL_CHOICES, PRIORITY_CHOICES, STATUS_CHOICES, STATUS_COLOR } from './tickets.choices';
import { ticketFilter } from './tickets.data';

const StatusChip = () => {
  const record = useRecordContext<{ status: string }>();
  if (!record) return null;
  const label = STATUS_CHOICES.find((c) => c.id === record.status)?.name ?? record.status;
  return <Chip size="small" label={label} color={STATUS_COLOR[record.status] ?? 'default'} />;
};

/** Group names come from the groups resource, which staff may read; requesters see no groups. */
function useGroupAccess() {
  const { canAccess: see } = useCanAccess({ resource: 'groups', action: 'list' });
  const { canAccess: edit } = useCanAccess({ resource: 'tickets', action: 'edit' });
  return { see: !!see, set: !!see && !!edit };
}

const GroupInput = () => (
  <ReferenceInput source="groupId" reference="groups">
    <SelectInput label="Group" optionText="name" emptyText="No group" />
  </ReferenceInput>
);

const ticketFilters = (groups: boolean) => [
  <SearchInput key="q" source="q" alwaysOn placeholder="Search subjects" />,
  <SelectInput key="status" source="status" choices={STATUS_CHOICES} alwaysOn />,
  ...(groups
    ? [
        <ReferenceInput key="groupId" source="groupId" reference="groups" alwaysOn>
          <SelectInput label="Group" optionText="name" />
        </ReferenceInput>,
      ]
    : []),
  <SelectInput key="priority" source="priority" choices={PRIORITY_CHOICES} />,
  <BooleanInput key="unassigned" source="unassigned" label="Unassigned only" />,
];

/**
 * D12: the tickets the list's filters select, as a file made by the server (exportTickets: its
 * permission, a recent password, an audit event), never assembled in the browser from pages.
 */
function ExportTicketsButton() {
  const { filterValues } = useListContext();
  return (
    <ExportButton
      why="The export holds every ticket you can see, with the requesters' contact details."
      prepare={async (format) =>
        (
          await gql<{ exportTickets: { url: string } }>(`mutation($format: ExportFormat!, $filter: TicketFilter) { exportTickets(format: $format, filter: $filter) { url expiresAt } }`, {
            format: format.toUpperCase(),
            filter: ticketFilter(filterValues ?? {}),
          })
        ).exportTickets
      }
    />
  );
}

const TicketListActions = () => (
  <TopToolbar>
    <FilterButton />
    <CreateButton />
    <ExportTicketsButton />
  </TopToolbar>
);

export const TicketList = () => {
  const groups = useGroupAccess();
  return (
    // exporter={false}: react-admin's own exporter would fetch every page into the browser and
    // build the file there, past the server's permission, password check and audit.
    <List filters={ticketFilters(groups.see)} sort={{ field: 'updatedAt', order: 'DESC' }} perPage={25} actions={<TicketListActions />} exporter={false}>
      <Datagrid rowClick="show" bulkActionButtons={false}>
        <TextField source="subject" />
        <FunctionField source="status" label="Status" render={() => <StatusChip />} />
        <SelectField source="priority" choices={PRIORITY_CHOICES} />
        <TextField source="requester.name" label="Requester" sortable={false} />
        <TextField source="assignee.name" label="Assignee" sortable={false} emptyText="Unassigned" />
        {groups.see && <ReferenceField source="groupId" reference="groups" label="Group" link={false} sortable={false} emptyText="—" />}
        <DateField source="updatedAt" label="Updated" showTime />
      </Datagrid>
    </List>
  );
};

function ReplyBox() {
  const record = useRecordContext<{ id: string }>();
  const { canAccess: canComment } = useCanAccess({ resource: 'tickets', action: 'comment' });
  const { canAccess: canWriteNotes } = useCanAccess({ resource: 'tickets', action: 'internalNotes' });
  const notify = useNotify();
  const refresh = useRefresh();
  const [body, setBody] = useState('');
  const [internal, setInternal] = useState(false);
  if (!record || !canComment) return null;
  const send = async () => {
    try {
      await gql(`mutation($id: ID!, $input: AddCommentInput!) { addComment(ticketId: $id, input: $input) { id } }`, {
        id: record.id,
        input: { body, public: !internal },
      });
      setBody('');
      refresh();
    } catch (e) {
      notify((e as Error).message, { type: 'error' });
    }
  };
  return (
    <Card variant="outlined" sx={{ mt: 2 }}>
      <CardContent>
        <Stack spacing={1}>
          <MuiTextField label="Reply" multiline minRows={3} value={body} onChange={(e) => setBody(e.target.value)} inputProps={{ maxLength: 20000 }} />
          <Stack direction="row" spacing={2} alignItems="center">
            {canWriteNotes && (
              <FormControlLabel control={<Checkbox checked={internal} onChange={(e) => setInternal(e.target.checked)} />} label="Internal note" />
            )}
            <Button variant="contained" disabled={!body.trim()} onClick={send}>
              Send
            </Button>
          </Stack>
        </Stack>
      </CardContent>
    </Card>
  );
}

export const TicketShow = () => {
  const groups = useGroupAccess();
  return (
    <Show>
      <SimpleShowLayout>
        <TextField source="subject" variant="h6" />
        <FunctionField label="Status" render={() => <StatusChip />} />
        <SelectField source="priority" choices={PRIORITY_CHOICES} />
        <SelectField source="channel" choices={CHANNEL_CHOICES} />
        <TextField source="requester.name" label="Requester" />
        <TextField source="assignee.name" label="Assignee" emptyText="Unassigned" />
        {groups.see && <ReferenceField source="groupId" reference="groups" label="Group" link={false} emptyText="—" />}
        <TextField source="body" sx={{ whiteSpace: 'pre-wrap' }} />
        <ArrayField source="comments" label="Conversation">
          <Datagrid bulkActionButtons={false} rowClick={false} empty={<Typography variant="body2">No replies yet</Typography>}>
            <TextField source="author.name" label="From" />
            <TextField source="body" sx={{ whiteSpace: 'pre-wrap' }} />
            <BooleanField source="public" label="Public" />
            <DateField source="createdAt" showTime />
          </Datagrid>
        </ArrayField>
        <ReplyBox />
      </SimpleShowLayout>
    </Show>
  );
};

export const TicketCreate = () => {
  const groups = useGroupAccess();
  return (
    <Create redirect="show" mutationMode="pessimistic">
      <SimpleForm defaultValues={{ priority: 'NORMAL', channel: 'WEB' }}>
        <TextInput source="subject" validate={required()} fullWidth inputProps={{ maxLength: 200 }} />
        <TextInput source="body" validate={required()} multiline minRows={4} fullWidth inputProps={{ maxLength: 20000 }} />
        <SelectInput source="priority" choices={PRIORITY_CHOICES} />
        <SelectInput source="channel" choices={CHANNEL_CHOICES} />
        {groups.set && <GroupInput />}
      </SimpleForm>
    </Create>
  );
};

export const TicketEdit = () => {
  const groups = useGroupAccess();
  return (
    <Edit mutationMode="pessimistic" redirect="show">
      <SimpleForm>
        <TextInput source="subject" validate={required()} fullWidth inputProps={{ maxLength: 200 }} />
        <TextInput source="body" validate={required()} multiline minRows={4} fullWidth />
        <Box sx={{ display: 'flex', gap: 2 }}>
          <SelectInput source="status" choices={STATUS_CHOICES} validate={required()} />
          <SelectInput source="priority" choices={PRIORITY_CHOICES} validate={required()} />
        </Box>
        <ReferenceInput source="assigneeId" reference="users" filter={{ staffOnly: true }}>
          <AutocompleteInput label="Assignee" optionText="name" />
        </ReferenceInput>
        {groups.set && <GroupInput />}
      </SimpleForm>
    </Edit>
  );
};
