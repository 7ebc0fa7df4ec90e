import { Alert, Box, Button, Card, CardContent, CardHeader, Checkbox, CircularProgress, FormControlLabel, FormGroup, Stack, Typography } from '@mui/material';
import { useEffect, useState } from 'react';
import { useGetList, useNotify } from 'react-admin';
import { gql, GraphQLRequestError, withReauth } from '@bulwark/platform-console';
import { CopyField } from './copy-button';
import { loadRoles, type RoleChoice, type SsoConnection } from './sso.data';

const SETTINGS = `{ identitySettings { ssoRequiredRoles } me { role } }`;
const SAVE = `mutation($input: IdentitySettingsInput!) { updateIdentitySettings(input: $input) { ssoRequiredRoles } }`;

const sameSet = (a: string[], b: string[]) => a.length === b.length && a.every((x) => b.includes(x));

/**
 * Which roles sign in with single sign-on only (identity settings' ssoRequiredRoles): their
 * password is refused. Owners keep a break-glass password sign-in, which needs two-factor.
 */
export function EnforcementSection() {
  const notify = useNotify();
  const [roles, setRoles] = useState<RoleChoice[] | null>(null);
  const [saved, setSaved] = useState<string[] | null>(null);
  const [chosen, setChosen] = useState<string[]>([]);
  const [myRole, setMyRole] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // The connections of the page's list (already loaded): is any switched on?
  const { data: connections } = useGetList<SsoConnection>('sso-connections', { pagination: { page: 1, perPage: 1000 } });
  const anyOn = !!connections?.some((c) => c.enabled);

  useEffect(() => {
    void loadRoles().then(setRoles);
    gql<{ identitySettings: { ssoRequiredRoles: string[] }; me: { role: string } }>(SETTINGS)
      .then((d) => {
        setSaved(d.identitySettings.ssoRequiredRoles);
        setChosen(d.identitySettings.ssoRequiredRoles);
        setMyRole(d.me.role);
      })
      .catch((e) => setError((e as Error).message));
  }, []);

  const save = async () => {
    setBusy(true);
    setError(null);
    try {
      const d = await withReauth(() => gql<{ updateIdentitySettings: { ssoRequiredRoles: string[] } }>(SAVE, { input: { ssoRequiredRoles: chosen } }), 'Changing who must use single sign-on is sensitive.');
      setSaved(d.updateIdentitySettings.ssoRequiredRoles);
      setChosen(d.updateIdentitySettings.ssoRequiredRoles);
      notify('Single sign-on requirement saved', { type: 'success' });
    } catch (e) {
      setError(e instanceof GraphQLRequestError ? e.serverMessage : (e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const toggle = (key: string, on: boolean) => setChosen((c) => (on ? [...c, key] : c.filter((k) => k !== key)));
  const nameOf = (key: string) => roles?.find((r) => r.key === key)?.name ?? key;
  const includesMe = !!myRole && myRole !== 'owner' && chosen.includes(myRole);
  const breakGlass = `${window.location.origin}/#/login?with=password`;

  return (
    <Card sx={{ mt: 2 }} component="section" aria-labelledby="sso-enforcement-title">
      <CardHeader
        title="Who must use single sign-on"
        titleTypographyProps={{ variant: 'h6', component: 'h2', id: 'sso-enforcement-title' }}
        subheader="People with these roles sign in only through a connection: their password is refused."
      />
      <CardContent sx={{ pt: 0 }}>
        {!roles || !saved ? (
          error ? <Alert severity="error">{error}</Alert> : <Typography>Loading…</Typography>
        ) : (
          <Stack spacing={2}>
            <FormGroup row aria-label="Roles that must use single sign-on">
              {roles.map((r) => (
                <FormControlLabel key={r.key} label={r.name} control={<Checkbox checked={chosen.includes(r.key)} onChange={(e) => toggle(r.key, e.target.checked)} />} />
              ))}
            </FormGroup>
            <Alert severity="info">
              Owners are never locked out. With Owner ticked, an owner can still sign in with their password when two-factor sign-in is on for them (a break-glass way in,
              for when the provider is down), at the address below. Each such sign-in is recorded and emailed to every owner.
              <Box sx={{ mt: 1, maxWidth: 560 }}>
                <CopyField value={breakGlass} label="Copy the break-glass sign-in address" />
              </Box>
            </Alert>
            {!anyOn && chosen.some((k) => k !== 'owner') && (
              <Alert severity="warning">No connection is switched on: {chosen.filter((k) => k !== 'owner').map(nameOf).join(', ')} could not sign in at all.</Alert>
            )}
            {includesMe && <Alert severity="warning">Your own role ({nameOf(myRole as string)}) is ticked: from your next sign-in, you too sign in through a connection.</Alert>}
            {error && <Alert severity="error">{error}</Alert>}
            <Box>
              <Button variant="contained" onClick={save} disabled={busy || sameSet(chosen, saved)} startIcon={busy ? <CircularProgress size={16} /> : undefined}>
                Save requirement
              </Button>
            </Box>
          </Stack>
        )}
      </CardContent>
    </Card>
  );
}
