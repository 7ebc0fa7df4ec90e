import { Button, Dialog, DialogActions, DialogContent, DialogTitle, MenuItem, Select, Stack, TextField } from '@mui/material';
import { useEffect, useState } from 'react';
import {
  Datagrid,
  FunctionField,
  List,
  SearchInput,
  SelectInput,
  TextField as RaTextField,
  TopToolbar,
  useNotify,
  useCanAccess,
  useRecordContext,
  useRefresh,
} from 'react-admin';
import { gql, withReauth, WIDE_ONLY, type ConsoleResource } from '@bulwark/platform-console';

type User = { id: string; name: string; email: string; phone: string | null; role: string; status: string };
const FIELDS = 'id name email phone role status';

const ROLE_CHOICES = ['owner', 'admin', 'agent', 'light_agent', 'auditor', 'requester'].map((r) => ({ id: r, name: r.replace('_', ' ') }));

export const usersData: ConsoleResource['data'] = {
  async getList(_r, { pagination, filter }) {
    const { page = 1, perPage = 25 } = pagination ?? {};
    const f = (filter ?? {}) as { q?: string; role?: string; staffOnly?: boolean };
    const d = await gql<{ users: { totalCount: number; nodes: User[] } }>(
      `query($filter: UserFilter, $page: PageInput) { users(filter: $filter, page: $page) { totalCount nodes { ${FIELDS} } } }`,
      { filter: { search: f.q || undefined, role: f.role || undefined, staffOnly: f.staffOnly || undefined }, page: { offset: (page - 1) * perPage, limit: Math.min(perPage, 100) } },
    );
    return { data: d.users.nodes as never, total: d.users.totalCount };
  },
  async getMany(_r, { ids }) {
    const d = await gql<{ users: { nodes: User[] } }>(`query($ids: [ID!]) { users(filter: { ids: $ids }, page: { limit: 100 }) { nodes { ${FIELDS} } } }`, { ids });
    return { data: d.users.nodes as never };
  },
};

/** Role names for the picker: built-in and custom roles, when the viewer may read them. */
function useRoles() {
  const [roles, setRoles] = useState<{ key: string; name: string }[]>(ROLE_CHOICES.map((r) => ({ key: r.id, name: r.name })));
  useEffect(() => {
    gql<{ roles: { key: string; name: string }[] }>(`{ roles { key name } }`)
      .then((d) => setRoles(d.roles))
      .catch(() => undefined);
  }, []);
  return roles;
}

function Actions() {
  const record = useRecordContext<User>();
  const notify = useNotify();
  const refresh = useRefresh();
  const roles = useRoles();
  const { canAccess } = useCanAccess({ resource: 'users', action: 'manage' });
  if (!record || !canAccess) return null;
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
  return (
    <Stack direction="row" spacing={1} alignItems="center" onClick={(e) => e.stopPropagation()}>
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
      {record.status === 'suspended' ? (
        <Button size="small" onClick={() => run(`mutation($id: ID!) { reactivateUser(id: $id) { id } }`, { id }, 'Reactivated')}>
          Reactivate
        </Button>
      ) : (
        <Button size="small" color="warning" onClick={() => run(`mutation($id: ID!) { suspendUser(id: $id) { id } }`, { id }, 'Suspended; their sessions ended')}>
          Suspend
        </Button>
      )}
      <Button size="small" onClick={() => run(`mutation($id: ID!) { signOutUser(userId: $id) }`, { id }, 'Signed out everywhere')}>
        Sign out
      </Button>
      <Button size="small" onClick={() => run(`mutation($id: ID!) { unlockUser(id: $id) }`, { id }, 'Unlocked')}>
        Unlock
      </Button>
      <Button size="small" onClick={() => run(`mutation($id: ID!) { resetTwoFactor(userId: $id) }`, { id }, 'Two-factor sign-in reset')}>
        Reset 2FA
      </Button>
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

export const UserList = () => (
  <List
    filters={[<SearchInput key="q" source="q" alwaysOn />, <SelectInput key="role" source="role" choices={ROLE_CHOICES} alwaysOn />]}
    sort={{ field: 'name', order: 'ASC' }}
    actions={
      <TopToolbar>
        <InviteButton />
      </TopToolbar>
    }
  >
    <Datagrid bulkActionButtons={false} rowClick={false}>
      <RaTextField source="name" sortable={false} />
      <RaTextField source="email" sortable={false} />
      <RaTextField source="phone" sortable={false} emptyText="—" headerClassName={WIDE_ONLY} cellClassName={WIDE_ONLY} />
      {/* The status in words ("Suspended"), not its API value. */}
      <FunctionField<User> label="Status" render={(u) => u.status.charAt(0).toUpperCase() + u.status.slice(1)} headerClassName={WIDE_ONLY} cellClassName={WIDE_ONLY} />
      <FunctionField label="Manage" render={() => <Actions />} />
    </Datagrid>
  </List>
);
