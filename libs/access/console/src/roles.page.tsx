import AddIcon from '@mui/icons-material/Add';
import DeleteIcon from '@mui/icons-material/Delete';
import { Alert, Button, Checkbox, Stack, Table, TableBody, TableCell, TableContainer, TableHead, TableRow, TextField, Tooltip, Typography } from '@mui/material';
import { Fragment, useEffect, useMemo, useState } from 'react';
import { useCanAccess, useDataProvider, useGetList, useListContext, useNotify, useRefresh } from 'react-admin';
import { ConfirmAction, featureLabel, RecordListPage, withReauth, type Permission } from '@bulwark/platform-console';
import type { PermissionRecord, RoleRecord } from './roles.data';

/** Which tickets a role sees, as the server names it from the role's permissions. */
const SCOPE: Record<string, { short: string; long: string }> = {
  all: { short: 'Sees every ticket', long: 'Every ticket of the workspace' },
  group: { short: 'Sees its groups’ tickets', long: 'Their own tickets and those of their groups' },
  own: { short: 'Sees own tickets', long: 'Only the tickets they requested or are assigned' },
};

/**
 * The roles resource's list: the permission matrix, roles as columns and permissions grouped by
 * feature as rows. Built-in roles are shown for reference and cannot change; a custom role's box
 * saves at once (after a password confirmation when one is due). The server refuses anything
 * beyond the editor's own permissions.
 */
export function RolesList() {
  const canManage = !!useCanAccess({ resource: 'roles', action: 'manage' }).canAccess;
  return (
    <RecordListPage
      resource="roles"
      title="Roles and permissions"
      description="What each role may do, and which tickets its holders see."
      loading="Loading roles…"
      actions={canManage && <NewRole />}
      notice={!canManage && <Alert severity="info" sx={{ mb: 2 }}>You can see roles; changing them needs the “manage roles” permission.</Alert>}
    >
      <Matrix canManage={canManage} />
    </RecordListPage>
  );
}

/** Saves through the data provider (with a password prompt when due), says so, reloads the roles. */
function useSave() {
  const notify = useNotify();
  const refresh = useRefresh();
  const [busy, setBusy] = useState(false);
  const save = async (what: () => Promise<unknown>, done: string) => {
    setBusy(true);
    try {
      await withReauth(what);
      notify(done, { type: 'success' });
      return true;
    } catch (e) {
      notify((e as Error).message, { type: 'error' });
      return false;
    } finally {
      setBusy(false);
      refresh();
    }
  };
  return { save, busy };
}

function NewRole() {
  const dataProvider = useDataProvider();
  const { save, busy } = useSave();
  const [name, setName] = useState('');
  const create = async () => {
    const n = name.trim();
    if (await save(() => dataProvider.create('roles', { data: { name: n, description: '', permissions: [] } }), `Role ${n} created`)) setName('');
  };
  return (
    <Stack direction="row" spacing={2} alignItems="center">
      <TextField size="small" label="New role name" value={name} onChange={(e) => setName(e.target.value)} inputProps={{ maxLength: 80 }} />
      <Button variant="contained" startIcon={<AddIcon />} disabled={!name.trim() || busy} onClick={create} sx={{ whiteSpace: 'nowrap', flexShrink: 0 }}>
        Create role
      </Button>
    </Stack>
  );
}

function Matrix({ canManage }: { canManage: boolean }) {
  const { data } = useListContext<RoleRecord>();
  const { data: catalog = [] } = useGetList<PermissionRecord>('permissions', { pagination: { page: 1, perPage: 1000 } });
  const dataProvider = useDataProvider();
  const { save, busy } = useSave();
  // A ticked box shows at once, until the list reloaded after the save says what the server kept.
  const [pending, setPending] = useState<Record<string, Permission[]>>({});
  useEffect(() => setPending({}), [data]);
  const roles = (data ?? []).map((r) => ({ ...r, permissions: pending[r.id] ?? r.permissions }));

  const byFeature = useMemo(() => {
    const groups = new Map<string, PermissionRecord[]>();
    for (const p of catalog) groups.set(p.feature, [...(groups.get(p.feature) ?? []), p]);
    return [...groups.entries()];
  }, [catalog]);

  const toggle = async (role: RoleRecord, permission: Permission) => {
    const next = role.permissions.includes(permission) ? role.permissions.filter((p) => p !== permission) : [...role.permissions, permission];
    setPending((p) => ({ ...p, [role.id]: next }));
    await save(() => dataProvider.update('roles', { id: role.id, data: { ...role, permissions: next }, previousData: role }), `${role.name} saved`);
  };

  return (
    <TableContainer sx={{ maxHeight: '75vh' }}>
      <Table size="small" stickyHeader aria-label="Permission matrix">
        <TableHead>
          <TableRow>
            <TableCell>Permission</TableCell>
            {roles.map((r) => (
              <TableCell key={r.id} align="center" sx={{ minWidth: 110 }}>
                <Stack alignItems="center">
                  <Typography variant="subtitle2">{r.name}</Typography>
                  <Typography variant="caption" color="text.secondary">
                    {r.builtIn ? 'built in' : 'custom'}
                  </Typography>
                  <Tooltip title={`Sees: ${SCOPE[r.ticketScope]?.long ?? 'the tickets its permissions allow'}`}>
                    <Typography variant="caption" color="text.secondary">
                      {SCOPE[r.ticketScope]?.short ?? 'Sees some tickets'}
                    </Typography>
                  </Tooltip>
                  {!r.builtIn && canManage && (
                    <ConfirmAction
                      name={`Delete ${r.name}`}
                      icon={<DeleteIcon fontSize="small" />}
                      title={`Delete the role ${r.name}?`}
                      content="It can only go once nobody holds it. This cannot be undone."
                      confirm="Delete"
                      run={() => dataProvider.delete('roles', { id: r.id, previousData: r })}
                      done={`Role ${r.name} deleted`}
                    />
                  )}
                </Stack>
              </TableCell>
            ))}
          </TableRow>
        </TableHead>
        <TableBody>
          {byFeature.map(([feature, perms]) => (
            <Fragment key={feature}>
              <TableRow>
                <TableCell colSpan={roles.length + 1} sx={{ bgcolor: 'action.hover', fontWeight: 600 }}>
                  {featureLabel(feature)}
                </TableCell>
              </TableRow>
              {perms.map((p) => (
                <TableRow key={p.key} hover>
                  <TableCell>
                    <Typography variant="body2">{p.description}</Typography>
                  </TableCell>
                  {roles.map((r) => (
                    <TableCell key={r.id} align="center">
                      <Checkbox
                        size="small"
                        checked={r.permissions.includes(p.key)}
                        disabled={r.builtIn || !canManage || busy}
                        onChange={() => toggle(r, p.key)}
                        inputProps={{ 'aria-label': `${r.name}: ${p.description}` }}
                      />
                    </TableCell>
                  ))}
                </TableRow>
              ))}
            </Fragment>
          ))}
        </TableBody>
      </Table>
    </TableContainer>
  );
}
