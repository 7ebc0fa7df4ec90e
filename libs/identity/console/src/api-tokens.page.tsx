import AddIcon from '@mui/icons-material/Add';
import {
  Box,
  Button,
  Checkbox,
  Chip,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  FormControlLabel,
  FormGroup,
  MenuItem,
  Stack,
  TextField,
  Tooltip,
  Typography,
} from '@mui/material';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { DataTable, useNotify, usePermissions, useRefresh } from 'react-admin';
import { ConfirmAction, featureLabel, formatDateTime, gql, heldPermissionChoices, OneTimeSecretDialog, RecordListPage, RecordName, RecordTable, WIDE_ONLY, withReauth, type Api, type ConsoleResource, type Permission } from '@bulwark/platform-console';

type ApiToken = Pick<Api.ApiToken, 'id' | 'name' | 'permissions' | 'createdBy' | 'createdAt' | 'expiresAt' | 'lastUsedAt' | 'lastUsedIp' | 'revokedAt'>;
type PermissionInfo = Pick<Api.PermissionInfo, 'key' | 'feature' | 'description'>;

const FIELDS = 'id name permissions createdBy createdAt expiresAt lastUsedAt lastUsedIp revokedAt';
const LIST = `{ apiTokens { ${FIELDS} } }`;
// Needs ROLES_READ; without it the choices are the bare permission names.
const CATALOG = `{ permissionCatalog { key feature description } }`;
const CREATE = `mutation($input: ApiTokenInput!) { createApiToken(input: $input) { token apiToken { ${FIELDS} } } }`;
const REVOKE = `mutation($id: ID!) { revokeApiToken(id: $id) { id revokedAt } }`;

const EXPIRY = [
  { value: '30', label: '30 days' },
  { value: '90', label: '90 days' },
  { value: '365', label: '365 days' },
  { value: 'never', label: 'Never (until revoked)' },
];
/** Scopes this small show as chips; larger ones as a count, listed in a tooltip. */
const CHIPS_UP_TO = 3;


type State = 'Active' | 'Expired' | 'Revoked';
const stateOf = (t: ApiToken): State => (t.revokedAt ? 'Revoked' : t.expiresAt && new Date(t.expiresAt) <= new Date() ? 'Expired' : 'Active');
const STATE_COLOR: Record<State, 'success' | 'warning' | 'default'> = { Active: 'success', Expired: 'warning', Revoked: 'default' };

function ScopeCell({ permissions, describe }: { permissions: string[]; describe: (key: string) => string }) {
  if (permissions.length <= CHIPS_UP_TO) {
    return (
      <Stack direction="row" spacing={0.5} flexWrap="wrap" useFlexGap>
        {permissions.map((p) => (
          <Tooltip key={p} title={describe(p)}>
            <Chip size="small" variant="outlined" label={p} />
          </Tooltip>
        ))}
      </Stack>
    );
  }
  return (
    <Tooltip title={permissions.join(', ')}>
      <Chip size="small" variant="outlined" label={`${permissions.length} permissions`} />
    </Tooltip>
  );
}

/** The one-time answer: the server keeps only the token's hash. */
function TokenDialog({ token, onClose }: { token: string | null; onClose: () => void }) {
  return (
    <OneTimeSecretDialog
      value={token}
      title="Your new API token"
      warning="Copy this token now and keep it somewhere safe: it will not be shown again. Anyone holding it can use its permissions."
      copyLabel="Copy the token"
      testId="api-token"
      onClose={onClose}
    >
      <Typography variant="body2" color="text.secondary" sx={{ mt: 2 }}>
        Send it with each request to <code>/graphql</code> as the header <code>Authorization: Bearer &lt;token&gt;</code>.
      </Typography>
    </OneTimeSecretDialog>
  );
}

function NewTokenDialog({
  open,
  choices,
  onClose,
  onCreate,
}: {
  open: boolean;
  choices: [string, PermissionInfo[]][];
  onClose: () => void;
  onCreate: (input: { name: string; permissions: string[]; expiresInDays: number | null }) => Promise<void>;
}) {
  const [name, setName] = useState('');
  const [scope, setScope] = useState<string[]>([]);
  const [expiry, setExpiry] = useState('90');
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (open) {
      setName('');
      setScope([]);
      setExpiry('90');
    }
  }, [open]);
  const toggle = (key: string, on: boolean) => setScope((s) => (on ? [...s, key] : s.filter((k) => k !== key)));
  const create = async () => {
    setBusy(true);
    try {
      await onCreate({ name: name.trim(), permissions: scope, expiresInDays: expiry === 'never' ? null : Number(expiry) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog open={open} onClose={onClose} aria-labelledby="new-token-title" maxWidth="sm" fullWidth>
      <DialogTitle id="new-token-title">New API token</DialogTitle>
      <DialogContent>
        <Stack spacing={2} sx={{ mt: 1 }}>
          <TextField label="Name" value={name} onChange={(e) => setName(e.target.value)} inputProps={{ maxLength: 120 }} helperText="What uses it, e.g. “Nightly report export”" required />
          <TextField select label="Expires after" value={expiry} onChange={(e) => setExpiry(e.target.value)}>
            {EXPIRY.map((o) => (
              <MenuItem key={o.value} value={o.value}>
                {o.label}
              </MenuItem>
            ))}
          </TextField>
          <Box>
            <Typography variant="subtitle2">Permissions</Typography>
            <Typography variant="caption" color="text.secondary">
              Only the ones you hold; at each use the token is also cut to what you hold then.
            </Typography>
          </Box>
          {choices.map(([feature, perms]) => (
            <Box key={feature}>
              <Typography variant="body2" sx={{ fontWeight: 600 }}>
                {featureLabel(feature)}
              </Typography>
              <FormGroup>
                {perms.map((p) => (
                  <FormControlLabel
                    key={p.key}
                    control={<Checkbox size="small" checked={scope.includes(p.key)} onChange={(e) => toggle(p.key, e.target.checked)} />}
                    label={
                      <Typography variant="body2">
                        {p.description}{' '}
                        <Typography component="span" variant="caption" color="text.secondary">
                          {p.key}
                        </Typography>
                      </Typography>
                    }
                  />
                ))}
              </FormGroup>
            </Box>
          ))}
        </Stack>
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose}>Cancel</Button>
        <Button variant="contained" onClick={create} disabled={busy || !name.trim() || !scope.length}>
          Create token
        </Button>
      </DialogActions>
    </Dialog>
  );
}

/** The api-tokens resource: the tenant's tokens, newest first (never their secrets). */
export const apiTokensData: ConsoleResource['data'] = {
  async getList() {
    const tokens = (await gql<Pick<Api.Query, 'apiTokens'>>(LIST)).apiTokens;
    return { data: tokens as never, total: tokens.length };
  },
};

/**
 * API tokens for integrations: each scoped to permissions its creator holds, shown once at
 * creation (after a password confirmation when one is due), revocable at once.
 */
export function ApiTokensList() {
  const notify = useNotify();
  const refresh = useRefresh();
  const { permissions: mine } = usePermissions<Permission[]>();
  const [catalog, setCatalog] = useState<PermissionInfo[] | null>(null);
  const [creating, setCreating] = useState(false);
  const [shown, setShown] = useState<string | null>(null);

  useEffect(() => {
    gql<Pick<Api.Query, 'permissionCatalog'>>(CATALOG)
      .then((d) => setCatalog(d.permissionCatalog))
      .catch(() => setCatalog([]));
  }, []);

  // What the person holds, grouped by feature in the catalog's order (bare names when it is unknown).
  const choices = useMemo(() => heldPermissionChoices(catalog, mine), [catalog, mine]);
  const describe = useCallback((key: string) => catalog?.find((p) => p.key === key)?.description ?? key, [catalog]);

  const create = async (input: { name: string; permissions: string[]; expiresInDays: number | null }) => {
    try {
      const d = await withReauth(() => gql<{ createApiToken: { token: string; apiToken: ApiToken } }>(CREATE, { input }));
      setCreating(false);
      setShown(d.createApiToken.token);
      notify(`Token ${input.name} created`, { type: 'success' });
      refresh();
    } catch (e) {
      notify((e as Error).message, { type: 'error' });
    }
  };

  return (
    <RecordListPage
      title="API tokens"
      description="For integrations calling the API; each works only within the permissions chosen for it."
      actions={
        <Button variant="contained" startIcon={<AddIcon />} onClick={() => setCreating(true)} disabled={!catalog}>
          New token
        </Button>
      }
    >
      <RecordTable label="API tokens" empty="No API tokens yet.">
        <DataTable.Col<ApiToken> label="Name" source="name" />
        <DataTable.Col<ApiToken> label="Scope" render={(t) => <ScopeCell permissions={t.permissions} describe={describe} />} />
        <DataTable.Col<ApiToken> label="Created" sx={{ whiteSpace: 'nowrap' }} render={(t) => formatDateTime(t.createdAt)} />
        <DataTable.Col<ApiToken> label="Created by" headerClassName={WIDE_ONLY} cellClassName={WIDE_ONLY} render={(t) => <RecordName resource="users" id={t.createdBy} />} />
        <DataTable.Col<ApiToken> label="Expires" sx={{ whiteSpace: 'nowrap' }} render={(t) => (t.expiresAt ? formatDateTime(t.expiresAt) : 'Never')} />
        <DataTable.Col<ApiToken>
          label="Last used"
          sx={{ whiteSpace: 'nowrap' }}
          render={(t) =>
            t.lastUsedAt ? (
              <>
                <Typography variant="body2">{formatDateTime(t.lastUsedAt)}</Typography>
                <Typography variant="caption" color="text.secondary">
                  {t.lastUsedIp ?? 'unknown address'}
                </Typography>
              </>
            ) : (
              'Never'
            )
          }
        />
        <DataTable.Col<ApiToken>
          label="State"
          render={(t) => {
            const state = stateOf(t);
            return <Chip size="small" label={state} color={STATE_COLOR[state]} variant="outlined" />;
          }}
        />
        <DataTable.Col<ApiToken>
          label="Manage"
          align="right"
          render={(t) =>
            stateOf(t) === 'Active' && (
              <ConfirmAction
                name={`Revoke ${t.name}`}
                label="Revoke"
                title={`Revoke the token ${t.name}?`}
                content="It stops working at once; integrations using it will be refused."
                confirm="Revoke"
                run={() => gql(REVOKE, { id: t.id })}
                done={`Token ${t.name} revoked`}
              />
            )
          }
        />
      </RecordTable>
      <NewTokenDialog open={creating} choices={choices} onClose={() => setCreating(false)} onCreate={create} />
      <TokenDialog token={shown} onClose={() => setShown(null)} />
    </RecordListPage>
  );
}
