import AddIcon from '@mui/icons-material/Add';
import DeleteIcon from '@mui/icons-material/Delete';
import {
  Alert,
  Box,
  Button,
  Card,
  Checkbox,
  IconButton,
  Stack,
  Table,
  TableBody,
  TableCell,
  TableContainer,
  TableHead,
  TableRow,
  TextField,
  Tooltip,
  Typography,
} from '@mui/material';
import { Fragment, useCallback, useEffect, useMemo, useState } from 'react';
import { Title, useCanAccess, useNotify } from 'react-admin';
import { gql, withReauth } from '@bulwark/platform-console';

interface Role {
  key: string;
  name: string;
  description: string;
  builtIn: boolean;
  permissions: string[];
  ticketScope: 'all' | 'group' | 'own';
}
interface PermissionInfo {
  key: string;
  feature: string;
  description: string;
}

const LOAD = `{ roles { key name description builtIn permissions ticketScope } permissionCatalog { key feature description } }`;
const UPDATE = `mutation($key: ID!, $input: RoleInput!) { updateRole(key: $key, input: $input) { key } }`;
const CREATE = `mutation($input: RoleInput!) { createRole(input: $input) { key } }`;
const DELETE = `mutation($key: ID!) { deleteRole(key: $key) }`;

/** Which tickets a role sees, as the server names it from the role's permissions. */
const SCOPE: Record<Role['ticketScope'], string> = {
  all: 'Every ticket of the workspace',
  group: 'Their own tickets and those of their groups',
  own: 'Only the tickets they requested or are assigned',
};

/**
 * The permission matrix: roles as columns, permissions grouped by feature as rows. Built-in roles
 * are shown for reference and cannot change; a custom role's box saves at once (after a password
 * confirmation when one is due). The server refuses anything beyond the editor's own permissions.
 */
export function RolesPage() {
  const notify = useNotify();
  const canManage = !!useCanAccess({ resource: 'roles', action: 'manage' }).canAccess;
  const [roles, setRoles] = useState<Role[] | null>(null);
  const [catalog, setCatalog] = useState<PermissionInfo[]>([]);
  const [newName, setNewName] = useState('');
  const [busy, setBusy] = useState(false);

  const load = useCallback(async () => {
    const d = await gql<{ roles: Role[]; permissionCatalog: PermissionInfo[] }>(LOAD);
    setRoles(d.roles);
    setCatalog(d.permissionCatalog);
  }, []);
  useEffect(() => {
    load().catch((e) => notify((e as Error).message, { type: 'error' }));
  }, [load, notify]);

  const byFeature = useMemo(() => {
    const groups = new Map<string, PermissionInfo[]>();
    for (const p of catalog) groups.set(p.feature, [...(groups.get(p.feature) ?? []), p]);
    return [...groups.entries()];
  }, [catalog]);

  const act = async (what: () => Promise<unknown>, done: string) => {
    setBusy(true);
    try {
      await withReauth(what);
      notify(done, { type: 'success' });
    } catch (e) {
      notify((e as Error).message, { type: 'error' });
    } finally {
      setBusy(false);
      await load();
    }
  };

  const toggle = (role: Role, permission: string) => {
    const has = role.permissions.includes(permission);
    const next = has ? role.permissions.filter((p) => p !== permission) : [...role.permissions, permission];
    setRoles((rs) => rs?.map((r) => (r.key === role.key ? { ...r, permissions: next } : r)) ?? null);
    return act(() => gql(UPDATE, { key: role.key, input: { name: role.name, description: role.description, permissions: next } }), `${role.name} saved`);
  };

  if (!roles) return <Typography sx={{ p: 2 }}>Loading roles…</Typography>;
  return (
    <Box sx={{ p: 2 }}>
      <Title title="Roles and permissions" />
      <Stack direction="row" spacing={2} alignItems="center" sx={{ mb: 2 }}>
        <Typography variant="h5" sx={{ flexGrow: 1 }}>
          Roles and permissions
        </Typography>
        {canManage && (
          <>
            <TextField size="small" label="New role name" value={newName} onChange={(e) => setNewName(e.target.value)} inputProps={{ maxLength: 80 }} />
            <Button
              variant="contained"
              startIcon={<AddIcon />}
              disabled={!newName.trim() || busy}
              onClick={() => act(() => gql(CREATE, { input: { name: newName.trim(), permissions: [] } }), `Role ${newName.trim()} created`).then(() => setNewName(''))}
            >
              Create role
            </Button>
          </>
        )}
      </Stack>
      {!canManage && <Alert severity="info" sx={{ mb: 2 }}>You can see roles; changing them needs the “manage roles” permission.</Alert>}
      <Card>
        <TableContainer sx={{ maxHeight: '75vh' }}>
          <Table size="small" stickyHeader aria-label="Permission matrix">
            <TableHead>
              <TableRow>
                <TableCell>Permission</TableCell>
                {roles.map((r) => (
                  <TableCell key={r.key} align="center" sx={{ minWidth: 110 }}>
                    <Stack alignItems="center">
                      <Typography variant="subtitle2">{r.name}</Typography>
                      <Typography variant="caption" color="text.secondary">
                        {r.builtIn ? 'built in' : 'custom'}
                      </Typography>
                      <Tooltip title={`Sees: ${SCOPE[r.ticketScope] ?? r.ticketScope}`}>
                        <Typography variant="caption" color="text.secondary">
                          tickets: {r.ticketScope}
                        </Typography>
                      </Tooltip>
                      {!r.builtIn && canManage && (
                        <Tooltip title={`Delete ${r.name}`}>
                          <IconButton size="small" aria-label={`Delete ${r.name}`} onClick={() => act(() => gql(DELETE, { key: r.key }), `Role ${r.name} deleted`)}>
                            <DeleteIcon fontSize="small" />
                          </IconButton>
                        </Tooltip>
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
                    <TableCell colSpan={roles.length + 1} sx={{ bgcolor: 'action.hover', fontWeight: 600, textTransform: 'capitalize' }}>
                      {feature}
                    </TableCell>
                  </TableRow>
                  {perms.map((p) => (
                    <TableRow key={p.key} hover>
                      <TableCell>
                        <Typography variant="body2">{p.description}</Typography>
                        <Typography variant="caption" color="text.secondary">
                          {p.key}
                        </Typography>
                      </TableCell>
                      {roles.map((r) => (
                        <TableCell key={r.key} align="center">
                          <Checkbox
                            size="small"
                            checked={r.permissions.includes(p.key)}
                            disabled={r.builtIn || !canManage || busy}
                            onChange={() => toggle(r, p.key)}
                            inputProps={{ 'aria-label': `${r.name}: ${p.key}` }}
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
      </Card>
    </Box>
  );
}
