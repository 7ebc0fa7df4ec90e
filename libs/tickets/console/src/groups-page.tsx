import AddIcon from '@mui/icons-material/Add';
import {
  Alert,
  Autocomplete,
  Box,
  Button,
  Card,
  Chip,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  Stack,
  Table,
  TableBody,
  TableCell,
  TableContainer,
  TableHead,
  TableRow,
  TextField,
  Typography,
} from '@mui/material';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { Confirm, Title, useCanAccess, useNotify } from 'react-admin';
import { gql } from '@bulwark/platform-console';
import { GROUP_FIELDS, listGroups, type TicketGroup } from './groups.data';

interface Person {
  id: string;
  name: string;
  email: string;
  role: string;
  status: string;
}

const STAFF = `query($page: PageInput) { users(filter: { staffOnly: true }, page: $page) { totalCount nodes { id name email role status } } }`;
const CREATE = `mutation($input: TicketGroupInput!) { createTicketGroup(input: $input) { ${GROUP_FIELDS} } }`;
const UPDATE = `mutation($id: ID!, $input: TicketGroupInput!) { updateTicketGroup(id: $id, input: $input) { ${GROUP_FIELDS} } }`;
const DELETE = `mutation($id: ID!) { deleteTicketGroup(id: $id) }`;

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
 * Groups of staff that tickets can be given to. Staff who may read people see them; changing
 * them is the `manage` action (the server decides either way).
 */
export function GroupsPage() {
  const notify = useNotify();
  const canManage = !!useCanAccess({ resource: 'groups', action: 'manage' }).canAccess;
  const [groups, setGroups] = useState<TicketGroup[] | null>(null);
  const [staff, setStaff] = useState<Person[]>([]);
  // The group stays set while its dialog fades out, so that the title keeps its name.
  const [editing, setEditing] = useState<TicketGroup | null>(null);
  const [editOpen, setEditOpen] = useState(false);
  const [deleting, setDeleting] = useState<TicketGroup | null>(null);
  const [confirming, setConfirming] = useState(false);
  const edit = (g: TicketGroup | null) => {
    setEditing(g);
    setEditOpen(true);
  };

  const reload = useCallback(
    () =>
      listGroups()
        .then(setGroups)
        .catch((e) => notify((e as Error).message, { type: 'error' })),
    [notify],
  );
  useEffect(() => {
    reload();
    loadStaff()
      .then(setStaff)
      .catch((e) => notify((e as Error).message, { type: 'error' }));
  }, [reload, notify]);
  const nameOf = useMemo(() => new Map(staff.map((p) => [p.id, p.name])), [staff]);

  const save = async (input: { name: string; memberIds: string[] }) => {
    const group = editing;
    try {
      if (group) await gql(UPDATE, { id: group.id, input });
      else await gql(CREATE, { input });
      setEditOpen(false);
      notify(group ? `${input.name} saved` : `Group ${input.name} created`, { type: 'success' });
      await reload();
    } catch (e) {
      notify((e as Error).message, { type: 'error' });
    }
  };
  const remove = async () => {
    const g = deleting;
    setConfirming(false);
    if (!g) return;
    try {
      await gql(DELETE, { id: g.id });
      notify(`Group ${g.name} deleted`, { type: 'success' });
      await reload();
    } catch (e) {
      notify((e as Error).message, { type: 'error' });
    }
  };

  if (!groups) return <Typography sx={{ p: 2 }}>Loading groups…</Typography>;
  return (
    <Box sx={{ p: 2, maxWidth: 1200 }}>
      <Title title="Groups" />
      <Stack direction="row" spacing={2} alignItems="center" sx={{ mb: 2 }}>
        <Box sx={{ flexGrow: 1 }}>
          <Typography variant="h5">Groups</Typography>
          <Typography variant="body2" color="text.secondary">
            Teams of staff that tickets can be given to.
          </Typography>
        </Box>
        {canManage && (
          <Button variant="contained" startIcon={<AddIcon />} onClick={() => edit(null)}>
            New group
          </Button>
        )}
      </Stack>
      {!canManage && (
        <Alert severity="info" sx={{ mb: 2 }}>
          You can see groups; changing them needs the “manage groups” permission.
        </Alert>
      )}
      <Card>
        {groups.length === 0 ? (
          <Typography variant="body2" color="text.secondary" sx={{ p: 2 }}>
            No groups yet.
          </Typography>
        ) : (
          <TableContainer>
            <Table size="small" aria-label="Groups">
              <TableHead>
                <TableRow>
                  <TableCell>Name</TableCell>
                  <TableCell>Members</TableCell>
                  <TableCell>Created</TableCell>
                  {canManage && <TableCell align="right">Manage</TableCell>}
                </TableRow>
              </TableHead>
              <TableBody>
                {groups.map((g) => (
                  <TableRow key={g.id}>
                    <TableCell>{g.name}</TableCell>
                    <TableCell>
                      {g.memberIds.length === 0 ? (
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
                      )}
                    </TableCell>
                    <TableCell sx={{ whiteSpace: 'nowrap' }}>{new Date(g.createdAt).toLocaleString()}</TableCell>
                    {canManage && (
                      <TableCell align="right" sx={{ whiteSpace: 'nowrap' }}>
                        <Button size="small" aria-label={`Edit ${g.name}`} onClick={() => edit(g)}>
                          Edit
                        </Button>
                        <Button
                          size="small"
                          color="error"
                          aria-label={`Delete ${g.name}`}
                          onClick={() => {
                            setDeleting(g);
                            setConfirming(true);
                          }}
                        >
                          Delete
                        </Button>
                      </TableCell>
                    )}
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          </TableContainer>
        )}
      </Card>
      <GroupDialog open={editOpen} group={editing} staff={staff} onClose={() => setEditOpen(false)} onSave={save} />
      <Confirm
        isOpen={confirming}
        title={`Delete the group ${deleting?.name ?? ''}?`}
        content="Its tickets stay, without a group; its members lose the tickets they saw only through it."
        confirm="Delete"
        onConfirm={remove}
        onClose={() => setConfirming(false)}
      />
    </Box>
  );
}
