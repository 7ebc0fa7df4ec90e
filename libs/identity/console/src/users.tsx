import EditIcon from '@mui/icons-material/Edit';
import MoreVertIcon from '@mui/icons-material/MoreVert';
import { Autocomplete, Button, Dialog, DialogActions, DialogContent, DialogTitle, IconButton, Menu, MenuItem, Select, Stack, TextField, Tooltip, Typography, useMediaQuery, type Theme } from '@mui/material';
import { useEffect, useRef, useState } from 'react';
import {
  AutocompleteInput,
  Datagrid,
  FunctionField,
  List,
  ReferenceField,
  ReferenceInput,
  SearchInput,
  SelectInput,
  TextField as RaTextField,
  TopToolbar,
  useNotify,
  useCanAccess,
  useRecordContext,
  useRefresh,
} from 'react-admin';
import { gql, GraphQLRequestError, withReauth, type ConsoleResource } from '@bulwark/platform-console';

type User = { id: string; name: string; email: string; phone: string | null; role: string; status: string; organizationId: string | null };
const FIELDS = 'id name email phone role status organizationId';

const ROLE_CHOICES = ['owner', 'admin', 'agent', 'light_agent', 'auditor', 'requester'].map((r) => ({ id: r, name: r.replace('_', ' ') }));

export const usersData: ConsoleResource['data'] = {
  async getList(_r, { pagination, filter }) {
    const { page = 1, perPage = 25 } = pagination ?? {};
    const f = (filter ?? {}) as { q?: string; role?: string; staffOnly?: boolean; organizationId?: string };
    const d = await gql<{ users: { totalCount: number; nodes: User[] } }>(
      `query($filter: UserFilter, $page: PageInput) { users(filter: $filter, page: $page) { totalCount nodes { ${FIELDS} } } }`,
      {
        filter: { search: f.q || undefined, role: f.role || undefined, staffOnly: f.staffOnly || undefined, organizationId: f.organizationId || undefined },
        page: { offset: (page - 1) * perPage, limit: Math.min(perPage, 100) },
      },
    );
    return { data: d.users.nodes as never, total: d.users.totalCount };
  },
  async getMany(_r, { ids }) {
    const d = await gql<{ users: { nodes: User[] } }>(`query($ids: [ID!]) { users(filter: { ids: $ids }, page: { limit: 100 }) { nodes { ${FIELDS} } } }`, { ids });
    return { data: d.users.nodes as never };
  },
};

/** Role names for the picker: built-in and custom roles, when the viewer may read them. */
/** The roles one may give, asked once per page and only by those who manage people. */
function useRoles(enabled: boolean) {
  const [roles, setRoles] = useState<{ key: string; name: string }[]>(ROLE_CHOICES.map((r) => ({ key: r.id, name: r.name })));
  useEffect(() => {
    if (!enabled) return;
    gql<{ roles: { key: string; name: string }[] }>(`{ roles { key name } }`)
      .then((d) => setRoles(d.roles))
      .catch(() => undefined);
  }, [enabled]);
  return roles;
}

function Actions({ roles }: { roles: { key: string; name: string }[] }) {
  const record = useRecordContext<User>();
  const notify = useNotify();
  const refresh = useRefresh();
  const narrow = useMediaQuery((theme: Theme) => theme.breakpoints.down('sm'));
  const [menu, setMenu] = useState<HTMLElement | null>(null);
  if (!record) return null;
  const run = async (q: string, vars: Record<string, unknown>, done: string) => {
    try {
      await withReauth(() => gql(q, vars));
      notify(done, { type: 'success' });
      refresh();
    } catch (e) {
      notify((e as Error).message, { type: 'error' });
    }
  };
  const id = record.id;
  const actions = [
    record.status === 'suspended'
      ? { label: 'Reactivate', run: () => run(`mutation($id: ID!) { reactivateUser(id: $id) { id } }`, { id }, 'Reactivated') }
      : { label: 'Suspend', warning: true, run: () => run(`mutation($id: ID!) { suspendUser(id: $id) { id } }`, { id }, 'Suspended; their sessions ended') },
    { label: 'Sign out', run: () => run(`mutation($id: ID!) { signOutUser(userId: $id) }`, { id }, 'Signed out everywhere') },
    { label: 'Unlock', run: () => run(`mutation($id: ID!) { unlockUser(id: $id) }`, { id }, 'Unlocked') },
    { label: 'Reset 2FA', run: () => run(`mutation($id: ID!) { resetTwoFactor(userId: $id) }`, { id }, 'Two-factor sign-in reset') },
  ];
  return (
    <Stack direction="row" spacing={1} alignItems="center" flexWrap="wrap" useFlexGap onClick={(e) => e.stopPropagation()}>
      <Select
        size="small"
        value={record.role}
        SelectDisplayProps={{ 'aria-label': `Role of ${record.name}` } as React.HTMLAttributes<HTMLDivElement>}
        onChange={(e) => run(`mutation($input: ChangeRoleInput!) { changeUserRole(input: $input) { role } }`, { input: { id, role: e.target.value } }, `${record.name}'s role changed`)}
      >
        {roles.map((r) => (
          <MenuItem key={r.key} value={r.key}>
            {r.name}
          </MenuItem>
        ))}
      </Select>
      {narrow ? (
        // On a phone the four actions would scroll the table sideways: they go in a menu.
        <>
          <IconButton size="small" aria-label={`More for ${record.name}`} onClick={(e) => setMenu(e.currentTarget)}>
            <MoreVertIcon fontSize="small" />
          </IconButton>
          <Menu anchorEl={menu} open={!!menu} onClose={() => setMenu(null)}>
            {actions.map((a) => (
              <MenuItem
                key={a.label}
                onClick={() => {
                  setMenu(null);
                  void a.run();
                }}
              >
                {a.label}
              </MenuItem>
            ))}
          </Menu>
        </>
      ) : (
        actions.map((a) => (
          <Button key={a.label} size="small" color={a.warning ? 'warning' : 'primary'} onClick={a.run}>
            {a.label}
          </Button>
        ))
      )}
    </Stack>
  );
}

function InviteButton() {
  const { canAccess } = useCanAccess({ resource: 'users', action: 'manage' });
  const notify = useNotify();
  const refresh = useRefresh();
  const [open, setOpen] = useState(false);
  const [form, setForm] = useState({ email: '', name: '', role: 'agent' });
  if (!canAccess) return null;
  const invite = async () => {
    try {
      await gql(`mutation($input: InviteUserInput!) { inviteUser(input: $input) { id } }`, { input: form });
      notify(`Invitation sent to ${form.email}`, { type: 'success' });
      setOpen(false);
      refresh();
    } catch (e) {
      notify((e as Error).message, { type: 'error' });
    }
  };
  return (
    <>
      <Button onClick={() => setOpen(true)}>Invite</Button>
      <Dialog open={open} onClose={() => setOpen(false)}>
        <DialogTitle>Invite someone</DialogTitle>
        <DialogContent>
          <Stack spacing={2} sx={{ mt: 1, minWidth: { sm: 360 } }}>
            <TextField label="Email" type="email" value={form.email} onChange={(e) => setForm({ ...form, email: e.target.value })} />
            <TextField label="Name" value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} />
            <TextField select label="Role" value={form.role} onChange={(e) => setForm({ ...form, role: e.target.value })}>
              {ROLE_CHOICES.map((r) => (
                <MenuItem key={r.id} value={r.id}>
                  {r.name}
                </MenuItem>
              ))}
            </TextField>
          </Stack>
        </DialogContent>
        <DialogActions>
          <Button onClick={() => setOpen(false)}>Cancel</Button>
          <Button variant="contained" onClick={invite} disabled={!form.email || !form.name}>
            Send invitation
          </Button>
        </DialogActions>
      </Dialog>
    </>
  );
}

type OrganizationChoice = { id: string; name: string };

/** Moving a person into an organization or out of it: a search over the organizations, or none. */
function OrganizationDialog({ user, onClose }: { user: User | null; onClose: () => void }) {
  const notify = useNotify();
  const refresh = useRefresh();
  const [choices, setChoices] = useState<OrganizationChoice[]>([]);
  const [value, setValue] = useState<OrganizationChoice | null>(null);
  const [typing, setTyping] = useState('');
  const [busy, setBusy] = useState(false);
  // Once the admin has typed or picked, the current organization arriving late must not undo it.
  const touched = useRef(false);
  useEffect(() => {
    if (!user) return;
    touched.current = false;
    setTyping('');
    setValue(null);
    if (user.organizationId) {
      gql<{ organization: OrganizationChoice }>(`query($id: ID!) { organization(id: $id) { id name } }`, { id: user.organizationId })
        .then((d) => {
          if (!touched.current) setValue(d.organization);
        })
        .catch(() => undefined);
    }
  }, [user]);
  useEffect(() => {
    if (!user) return;
    const t = setTimeout(() => {
      gql<{ organizations: { nodes: OrganizationChoice[] } }>(`query($s: String) { organizations(search: $s, page: { limit: 20 }) { nodes { id name } } }`, { s: typing.trim() || undefined })
        .then((d) => setChoices(d.organizations.nodes))
        .catch(() => setChoices([]));
    }, 200);
    return () => clearTimeout(t);
  }, [user, typing]);
  if (!user) return null;
  const save = async () => {
    setBusy(true);
    try {
      await gql(`mutation($id: ID!, $org: ID) { updateUser(id: $id, input: { organizationId: $org }) { id } }`, { id: user.id, org: value?.id ?? null });
      notify(value ? `${user.name} is now in ${value.name}` : `${user.name} is in no organization now`, { type: 'success' });
      onClose();
      refresh();
    } catch (e) {
      notify(e instanceof GraphQLRequestError ? e.serverMessage : (e as Error).message, { type: 'error' });
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog open onClose={onClose} aria-labelledby="person-organization-title" maxWidth="xs" fullWidth>
      <DialogTitle id="person-organization-title">Organization of {user.name}</DialogTitle>
      <DialogContent>
        <Autocomplete
          sx={{ mt: 1 }}
          options={choices}
          value={value}
          onChange={(_e, v) => {
            touched.current = true;
            setValue(v);
          }}
          inputValue={typing}
          onInputChange={(_e, v, reason) => {
            if (reason === 'input') touched.current = true;
            setTyping(v);
          }}
          getOptionLabel={(o) => o.name}
          isOptionEqualToValue={(a, b) => a.id === b.id}
          filterOptions={(x) => x}
          noOptionsText="No organization by that name"
          renderInput={(params) => <TextField {...params} label="Organization" helperText="Leave it empty for none." />}
        />
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose}>Cancel</Button>
        <Button variant="contained" onClick={save} disabled={busy}>
          Save
        </Button>
      </DialogActions>
    </Dialog>
  );
}

/** The person's organization by name; those who may move people get a button to change it. */
function OrganizationCell({ onEdit }: { onEdit: (u: User) => void }) {
  const record = useRecordContext<User>();
  const { canAccess: manageOrgs } = useCanAccess({ resource: 'organizations', action: 'manage' });
  const { canAccess: manageUsers } = useCanAccess({ resource: 'users', action: 'manage' });
  if (!record) return null;
  return (
    <Stack direction="row" spacing={0.5} alignItems="center" onClick={(e) => e.stopPropagation()}>
      {record.organizationId ? (
        <ReferenceField source="organizationId" reference="organizations" link={false}>
          <RaTextField source="name" />
        </ReferenceField>
      ) : (
        <Typography variant="body2" color="text.secondary">
          No organization
        </Typography>
      )}
      {manageOrgs && manageUsers && (
        <Tooltip title={`Change the organization of ${record.name}`}>
          <IconButton size="small" aria-label={`Change the organization of ${record.name}`} onClick={() => onEdit(record)}>
            <EditIcon fontSize="inherit" />
          </IconButton>
        </Tooltip>
      )}
    </Stack>
  );
}

export const UserList = () => {
  const { canAccess: readOrgs } = useCanAccess({ resource: 'organizations', action: 'list' });
  const canManage = !!useCanAccess({ resource: 'users', action: 'manage' }).canAccess;
  const roles = useRoles(canManage);
  const narrow = useMediaQuery((theme: Theme) => theme.breakpoints.down('sm'));
  const [moving, setMoving] = useState<User | null>(null);
  const filters = [
    <SearchInput key="q" source="q" alwaysOn placeholder="Search people" />,
    <SelectInput key="role" source="role" label="Role" choices={ROLE_CHOICES} alwaysOn emptyText="Any role" />,
    ...(readOrgs
      ? [
          <ReferenceInput key="organizationId" source="organizationId" reference="organizations" alwaysOn>
            <AutocompleteInput label="Organization" optionText="name" sx={{ minWidth: 220 }} />
          </ReferenceInput>,
        ]
      : []),
  ];
  return (
    <>
      <List
        title="People"
        filters={filters}
        sort={{ field: 'name', order: 'ASC' }}
        // No toolbar at all for those who cannot invite (an empty one is a blank band on a phone).
        actions={
          canManage && (
            <TopToolbar>
              <InviteButton />
            </TopToolbar>
          )
        }
      >
        <Datagrid bulkActionButtons={false} rowClick={false}>
          {narrow ? (
            // Narrow screens: one column for who they are instead of four.
            <FunctionField
              label="Person"
              render={(u: User) => (
                <>
                  <Typography variant="body2">{u.name}</Typography>
                  <Typography variant="caption" color="text.secondary" sx={{ wordBreak: 'break-all' }}>
                    {u.email}
                    {u.status !== 'active' ? ` · ${u.status.charAt(0).toUpperCase() + u.status.slice(1)}` : ''}
                  </Typography>
                  {readOrgs && <OrganizationCell onEdit={setMoving} />}
                </>
              )}
            />
          ) : (
            <RaTextField source="name" label="Name" sortable={false} />
          )}
          {!narrow && <RaTextField source="email" label="Email" sortable={false} />}
          {!narrow && <RaTextField source="phone" label="Phone" sortable={false} emptyText="—" />}
          {/* The status in words ("Suspended"), not its API value. */}
          {!narrow && <FunctionField<User> label="Status" render={(u) => u.status.charAt(0).toUpperCase() + u.status.slice(1)} />}
          {readOrgs && !narrow && <FunctionField label="Organization" render={() => <OrganizationCell onEdit={setMoving} />} />}
          {/* Only for those who manage people: an empty column says nothing to the others. */}
          {canManage && <FunctionField label="Manage" render={() => <Actions roles={roles} />} />}
        </Datagrid>
      </List>
      <OrganizationDialog user={moving} onClose={() => setMoving(null)} />
    </>
  );
};
