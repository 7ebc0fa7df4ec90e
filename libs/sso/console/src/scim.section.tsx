import AddIcon from '@mui/icons-material/Add';
import {
  Alert,
  Box,
  Button,
  Card,
  CardContent,
  CardHeader,
  Chip,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  MenuItem,
  Stack,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  TextField,
  Typography,
} from '@mui/material';
import { useCallback, useEffect, useState } from 'react';
import { ConfirmAction, formatDateTime, gql, GraphQLRequestError, OneTimeSecretDialog, Permission, withReauth, type Api } from '@bulwark/platform-console';
import { CopyField } from './copy-button';

type ApiToken = Pick<Api.ApiToken, 'id' | 'name' | 'permissions' | 'createdAt' | 'expiresAt' | 'lastUsedAt' | 'lastUsedIp' | 'revokedAt'>;
const FIELDS = 'id name permissions createdAt expiresAt lastUsedAt lastUsedIp revokedAt';
const LIST = `{ apiTokens { ${FIELDS} } }`;
const CREATE = `mutation($input: ApiTokenInput!) { createApiToken(input: $input) { token apiToken { ${FIELDS} } } }`;
const REVOKE = `mutation($id: ID!) { revokeApiToken(id: $id) { id revokedAt } }`;

/** A SCIM token is an API token whose whole scope is provisioning. */
const SCOPE: Api.Permission[] = [Permission.SCIM_PROVISION];
const isScimToken = (t: ApiToken) => t.permissions.length === 1 && t.permissions[0] === Permission.SCIM_PROVISION;

const EXPIRY = [
  { value: '90', label: '90 days' },
  { value: '365', label: '365 days' },
  { value: 'never', label: 'Never (until revoked)' },
];

function NewTokenDialog({ open, onClose, onCreated }: { open: boolean; onClose: () => void; onCreated: (token: string, name: string) => void }) {
  const [name, setName] = useState('');
  const [expiry, setExpiry] = useState('365');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (open) {
      setName('SCIM provisioning');
      setExpiry('365');
      setError(null);
    }
  }, [open]);
  const create = async () => {
    if (!name.trim()) return setError('Give the token a name, e.g. the provider that uses it');
    setBusy(true);
    setError(null);
    try {
      const d = await withReauth(
        () => gql<{ createApiToken: { token: string } }>(CREATE, { input: { name: name.trim(), permissions: SCOPE, expiresInDays: expiry === 'never' ? null : Number(expiry) } }),
        'Creating a provisioning token is sensitive.',
      );
      onCreated(d.createApiToken.token, name.trim());
    } catch (e) {
      setError(e instanceof GraphQLRequestError ? e.serverMessage : (e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog open={open} onClose={onClose} aria-labelledby="new-scim-token-title" maxWidth="sm" fullWidth>
      <DialogTitle id="new-scim-token-title">New SCIM token</DialogTitle>
      <DialogContent>
        <Stack spacing={2} sx={{ mt: 1 }}>
          <Typography variant="body2" color="text.secondary">
            It can only provision people and groups, and never more than you may do yourself.
          </Typography>
          <TextField label="Name" value={name} onChange={(e) => setName(e.target.value)} inputProps={{ maxLength: 120 }} error={!!error && !name.trim()} helperText="Which provider uses it, e.g. “Okta SCIM”" />
          <TextField select label="Expires after" value={expiry} onChange={(e) => setExpiry(e.target.value)}>
            {EXPIRY.map((o) => (
              <MenuItem key={o.value} value={o.value}>
                {o.label}
              </MenuItem>
            ))}
          </TextField>
          {error && <Alert severity="error">{error}</Alert>}
        </Stack>
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose}>Cancel</Button>
        <Button variant="contained" onClick={create} disabled={busy}>
          Create token
        </Button>
      </DialogActions>
    </Dialog>
  );
}

/**
 * SCIM 2.0 provisioning: the base URL to give the identity provider, and the API tokens it uses,
 * each scoped to provisioning alone, shown once, revocable here.
 */
export function ScimSection() {
  const [tokens, setTokens] = useState<ApiToken[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const [shown, setShown] = useState<string | null>(null);
  const base = `${window.location.origin}/scim/v2`;

  const load = useCallback(() => {
    gql<{ apiTokens: ApiToken[] }>(LIST)
      .then((d) => setTokens(d.apiTokens.filter(isScimToken)))
      .catch((e) => setError((e as Error).message));
  }, []);
  useEffect(load, [load]);

  const active = (t: ApiToken) => !t.revokedAt && !(t.expiresAt && new Date(t.expiresAt) <= new Date());

  return (
    <Card sx={{ mt: 2 }} component="section" aria-labelledby="scim-title">
      <CardHeader
        title="SCIM provisioning"
        titleTypographyProps={{ variant: 'h6', component: 'h2', id: 'scim-title' }}
        subheader="Your identity provider creates, updates and deactivates people and groups here, as they change there."
        action={
          <Button variant="outlined" startIcon={<AddIcon />} onClick={() => setCreating(true)} sx={{ mt: 1, mr: 1 }}>
            New SCIM token
          </Button>
        }
      />
      <CardContent sx={{ pt: 0 }}>
        <Stack spacing={2}>
          <Box sx={{ maxWidth: 640 }}>
            <Typography variant="subtitle2" gutterBottom>
              SCIM base URL
            </Typography>
            <CopyField value={base} label="Copy the SCIM base URL" testId="scim-base-url" />
            <Typography variant="caption" color="text.secondary">
              In your provider’s provisioning settings: this URL, and a token below as the bearer token (HTTP header authentication).
            </Typography>
          </Box>
          {error && <Alert severity="error">{error}</Alert>}
          {tokens && !tokens.length && (
            <Typography variant="body2" color="text.secondary">
              No SCIM tokens yet.
            </Typography>
          )}
          {tokens && tokens.length > 0 && (
            <Table size="small" aria-label="SCIM tokens">
              <TableHead>
                <TableRow>
                  <TableCell>Name</TableCell>
                  <TableCell>Created</TableCell>
                  <TableCell>Expires</TableCell>
                  <TableCell>Last used</TableCell>
                  <TableCell>State</TableCell>
                  <TableCell align="right">Manage</TableCell>
                </TableRow>
              </TableHead>
              <TableBody>
                {tokens.map((t) => (
                  <TableRow key={t.id}>
                    <TableCell>{t.name}</TableCell>
                    <TableCell sx={{ whiteSpace: 'nowrap' }}>{formatDateTime(t.createdAt)}</TableCell>
                    <TableCell sx={{ whiteSpace: 'nowrap' }}>{t.expiresAt ? formatDateTime(t.expiresAt) : 'Never'}</TableCell>
                    <TableCell sx={{ whiteSpace: 'nowrap' }}>{t.lastUsedAt ? `${formatDateTime(t.lastUsedAt)}${t.lastUsedIp ? ` from ${t.lastUsedIp}` : ''}` : 'Never'}</TableCell>
                    <TableCell>
                      {t.revokedAt ? (
                        <Chip size="small" variant="outlined" label="Revoked" />
                      ) : active(t) ? (
                        <Chip size="small" variant="outlined" color="success" label="Active" />
                      ) : (
                        <Chip size="small" variant="outlined" color="warning" label="Expired" />
                      )}
                    </TableCell>
                    <TableCell align="right">
                      {active(t) && (
                        <ConfirmAction
                          name={`Revoke ${t.name}`}
                          label="Revoke"
                          title={`Revoke the SCIM token ${t.name}?`}
                          content="It stops working at once: your provider can no longer provision people until it has a new token."
                          confirm="Revoke"
                          run={async () => {
                            await gql(REVOKE, { id: t.id });
                            load();
                          }}
                          done={`${t.name} revoked`}
                        />
                      )}
                    </TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          )}
        </Stack>
      </CardContent>
      <NewTokenDialog
        open={creating}
        onClose={() => setCreating(false)}
        onCreated={(token) => {
          setCreating(false);
          setShown(token);
          load();
        }}
      />
      <OneTimeSecretDialog
        value={shown}
        title="Your SCIM token"
        warning="Copy this token into your provider’s provisioning settings now: it will not be shown again. Anyone holding it can provision people in this workspace."
        copyLabel="Copy the SCIM token"
        testId="scim-token"
        onClose={() => setShown(null)}
      >
        <Typography variant="body2" color="text.secondary" sx={{ mt: 2 }}>
          Your provider sends it as <code>Authorization: Bearer &lt;token&gt;</code> to <code>{base}</code>.
        </Typography>
      </OneTimeSecretDialog>
    </Card>
  );
}
