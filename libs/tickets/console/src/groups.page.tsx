import AddIcon from '@mui/icons-material/Add';
import { Alert, Autocomplete, Box, Button, Chip, Dialog, DialogActions, DialogContent, DialogTitle, Stack, TextField, Typography } from '@mui/material';
import { useEffect, useMemo, useState } from 'react';
import { DataTable, useCanAccess, useDataProvider, useNotify, useRefresh } from 'react-admin';
import { ConfirmAction, formatDateTime, gql, RecordListPage, RecordTable } from '@bulwark/platform-console';
import type { TicketGroup } from './groups.data';

interface Person {
  id: string;
  name: string;
  email: string;
  role: string;
  status: string;
}

const STAFF = `query($page: PageInput) { users(filter: { staffOnly: true }, page: $page) { totalCount nodes { id name email role status } } }`;

/** Everyone who can be in a group: staff, 100 a page (the API's largest). */
async function loadStaff(): Promise<Person[]> {
  const people: Person[] = [];
  for (;;) {
    const d = await gql<{ users: { totalCount: number; nodes: Person[] } }>(STAFF, { page: { offset: people.length, limit: 100 } });
    people.push(...d.users.nodes);
    if (!d.users.nodes.length || people.length >= d.users.totalCount) return people.filter((p) => p.role !== 'requester');
  }
}

function GroupDialog({
  open,
  group,
  staff,
  onClose,
  onSave,
}: {
  open: boolean;
  group: TicketGroup | null;
  staff: Person[];
  onClose: () => void;
  onSave: (input: { name: string; memberIds: string[] }) => Promise<void>;
}) {
  const [name, setName] = useState('');
  const [members, setMembers] = useState<Person[]>([]);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (open) {
      setName(group?.name ?? '');
      // Members no longer on the staff are left out: the server would refuse them.
      setMembers(staff.filter((p) => group?.memberIds.includes(p.id)));
    }
  }, [open, group, staff]);
  const save = async () => {
    setBusy(true);
    try {
      await onSave({ name: name.trim(), memberIds: members.map((p) => p.id) });
    } finally {
      setBusy(false);
    }
  };
  const title = group ? `Edit ${group.name}` : 'New group';
  return (
    <Dialog open={open} onClose={onClose} aria-labelledby="group-title" maxWidth="sm" fullWidth>
      <DialogTitle id="group-title">{title}</DialogTitle>
      <DialogContent>
        <Stack spacing={2} sx={{ mt: 1 }}>
          <TextField label="Name" value={name} onChange={(e) => setName(e.target.value)} inputProps={{ maxLength: 80 }} required autoFocus />
          <Autocomplete
            multiple
            options={staff}
            value={members}
            onChange={(_e, v) => setMembers(v)}
            getOptionLabel={(p) => p.name}
            isOptionEqualToValue={(a, b) => a.id === b.id}
            filterSelectedOptions
            renderOption={({ key, ...props }, p) => (
              <li key={key} {...props}>
                <Box>
                  <Typography variant="body2">{p.name}</Typography>
                  <Typography variant="caption" color="text.secondary">
                    {p.email}
                  </Typography>
                </Box>
              </li>
            )}
            renderInput={(params) => <TextField {...params} label="Members" helperText="Staff only; tickets given to the group reach them" />}
          />
        </Stack>
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose}>Cancel</Button>
        <Button variant="contained" onClick={save} disabled={busy || !name.trim()}>
          {group ? 'Save' : 'Create group'}
        </Button>
      </DialogActions>
    </Dialog>
  );
}

/**
 * Groups of staff that tickets can be given to: the groups resource's list. Staff who may read
 * people see them; changing them is the `manage` action (the server decides either way).
 */
export function GroupsList() {
  const notify = useNotify();
  const refresh = useRefresh();
  const dataProvider = useDataProvider();
  const canManage = !!useCanAccess({ resource: 'groups', action: 'manage' }).canAccess;
  const [staff, setStaff] = useState<Person[]>([]);
  // The group stays set while its dialog fades out, so that the title keeps its name.
  const [editing, setEditing] = useState<TicketGroup | null>(null);
  const [editOpen, setEditOpen] = useState(false);
  const edit = (g: TicketGroup | null) => {
    setEditing(g);
    setEditOpen(true);
  };

  useEffect(() => {
    loadStaff()
      .then(setStaff)
      .catch((e) => notify((e as Error).message, { type: 'error' }));
  }, [notify]);
  const nameOf = useMemo(() => new Map(staff.map((p) => [p.id, p.name])), [staff]);

  const save = async (input: { name: string; memberIds: string[] }) => {
    const group = editing;
    try {
      if (group) await dataProvider.update('groups', { id: group.id, data: input, previousData: group });
      else await dataProvider.create('groups', { data: input });
      setEditOpen(false);
      notify(group ? `${input.name} saved` : `Group ${input.name} created`, { type: 'success' });
      refresh();
    } catch (e) {
      notify((e as Error).message, { type: 'error' });
    }
  };

  return (
    <RecordListPage
      title="Groups"
      description="Teams of staff that tickets can be given to."
      loading="Loading groups…"
      actions={
        canManage && (
          <Button variant="contained" startIcon={<AddIcon />} onClick={() => edit(null)}>
            New group
          </Button>
        )
      }
      notice={
        !canManage && (
          <Alert severity="info" sx={{ mb: 2 }}>
            You can see groups; changing them needs the “manage groups” permission.
          </Alert>
        )
      }
    >
      <RecordTable label="Groups" empty="No groups yet.">
        <DataTable.Col<TicketGroup> label="Name" source="name" />
        <DataTable.Col<TicketGroup>
          label="Members"
          render={(g) =>
            g.memberIds.length === 0 ? (
              <Typography variant="body2" color="text.secondary">
                No members
              </Typography>
            ) : (
              <Stack direction="row" spacing={0.5} flexWrap="wrap" useFlexGap>
                {g.memberIds
                  .map((id) => nameOf.get(id) ?? 'Not on the staff')
                  .sort((a, b) => a.localeCompare(b))
                  .map((name, i) => (
                    <Chip key={i} size="small" variant="outlined" label={name} />
                  ))}
              </Stack>
            )
          }
        />
        <DataTable.Col<TicketGroup> label="Created" sx={{ whiteSpace: 'nowrap' }} render={(g) => formatDateTime(g.createdAt)} />
        {canManage && (
          <DataTable.Col<TicketGroup>
            label="Manage"
            align="right"
            sx={{ whiteSpace: 'nowrap' }}
            render={(g) => (
              <>
                <Button size="small" aria-label={`Edit ${g.name}`} onClick={() => edit(g)}>
                  Edit
                </Button>
                <ConfirmAction
                  name={`Delete ${g.name}`}
                  label="Delete"
                  title={`Delete the group ${g.name}?`}
                  content="Its tickets stay, without a group; its members lose the tickets they saw only through it."
                  confirm="Delete"
                  run={() => dataProvider.delete('groups', { id: g.id, previousData: g })}
                  done={`Group ${g.name} deleted`}
                />
              </>
            )}
          />
        )}
      </RecordTable>
      <GroupDialog open={editOpen} group={editing} staff={staff} onClose={() => setEditOpen(false)} onSave={save} />
    </RecordListPage>
  );
}
