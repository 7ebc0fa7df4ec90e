import { Box, Button, Card, CardContent, CardHeader, Checkbox, FormControlLabel, FormGroup, Stack, Switch, TextField, Typography } from '@mui/material';
import { useEffect, useState } from 'react';
import { Title, useNotify } from 'react-admin';
import { gql, withReauth, type Api } from '@bulwark/platform-console';

type Settings = Omit<Api.IdentitySettings, 'updatedAt'>;
const FIELDS = 'passwordMinLength passwordHistory passwordExpiryDays lockoutThreshold lockoutMinutes sessionIdleMinutes sessionAbsoluteHours allowRequesterSignup twoFactorRequiredRoles';
const NUMBERS: [keyof Settings, string, number, number][] = [
  ['passwordMinLength', 'Minimum password length', 12, 128],
  ['passwordHistory', 'Earlier passwords that cannot be reused', 0, 24],
  ['passwordExpiryDays', 'Passwords expire after (days; 0 = never)', 0, 3650],
  ['lockoutThreshold', 'Failed sign-ins before an account locks', 3, 50],
  ['lockoutMinutes', 'Lock duration (minutes)', 1, 1440],
  ['sessionIdleMinutes', 'Sign out after idle (minutes)', 5, 1440],
  ['sessionAbsoluteHours', 'Sign out after (hours), however active', 1, 720],
];
const BUILT_IN = ['owner', 'admin', 'agent', 'light_agent', 'auditor', 'requester'].map((key) => ({ key, name: key.replace('_', ' ') }));

/** The tenant's sign-in and session policy, and single sign-out for everyone. */
export function SecurityPage() {
  const notify = useNotify();
  const [s, setS] = useState<Settings | null>(null);
  // Built-in and custom roles (the roles feature); without it, the built-in ones.
  const [roles, setRoles] = useState(BUILT_IN);
  useEffect(() => {
    gql<{ roles: { key: string; name: string }[] }>(`{ roles { key name } }`)
      .then((d) => setRoles(d.roles))
      .catch(() => setRoles(BUILT_IN));
  }, []);
  useEffect(() => {
    gql<{ identitySettings: Settings }>(`{ identitySettings { ${FIELDS} } }`)
      .then((d) => setS({ ...d.identitySettings, passwordExpiryDays: d.identitySettings.passwordExpiryDays ?? 0 }))
      .catch((e) => notify((e as Error).message, { type: 'error' }));
  }, [notify]);
  if (!s) return <Typography sx={{ p: 2 }}>Loading…</Typography>;
  const save = async () => {
    try {
      const d = await withReauth(() => gql<{ updateIdentitySettings: Settings }>(`mutation($input: IdentitySettingsInput!) { updateIdentitySettings(input: $input) { ${FIELDS} } }`, { input: s }));
      setS({ ...d.updateIdentitySettings, passwordExpiryDays: d.updateIdentitySettings.passwordExpiryDays ?? 0 });
      notify('Security settings saved', { type: 'success' });
    } catch (e) {
      notify((e as Error).message, { type: 'error' });
    }
  };
  const signOutEveryone = async () => {
    try {
      const d = await withReauth(() => gql<{ signOutEveryone: number }>(`mutation { signOutEveryone }`));
      notify(`Signed out ${d.signOutEveryone} session(s); yours stays`, { type: 'success' });
    } catch (e) {
      notify((e as Error).message, { type: 'error' });
    }
  };
  return (
    <Box sx={{ p: 2, display: 'grid', gap: 2, maxWidth: 900 }}>
      <Title title="Sign-in and sessions" />
      <Card>
        <CardHeader title="Passwords, lockout and sessions" />
        <CardContent>
          <Stack spacing={2} sx={{ maxWidth: 480 }}>
            {NUMBERS.map(([key, label, min, max]) => (
              <TextField
                key={key}
                type="number"
                label={label}
                value={(s[key] as number | null) ?? 0}
                inputProps={{ min, max }}
                helperText={`${min} to ${max}`}
                onChange={(e) => setS({ ...s, [key]: Number(e.target.value) })}
              />
            ))}
            <FormControlLabel control={<Switch checked={s.allowRequesterSignup} onChange={(e) => setS({ ...s, allowRequesterSignup: e.target.checked })} />} label="Requesters may create their own accounts" />
            <Typography variant="subtitle2">Roles that must use two-factor sign-in</Typography>
            <FormGroup row>
              {roles.map(({ key: r, name }) => (
                <FormControlLabel
                  key={r}
                  label={name}
                  control={
                    <Checkbox
                      checked={s.twoFactorRequiredRoles.includes(r)}
                      onChange={(e) =>
                        setS({ ...s, twoFactorRequiredRoles: e.target.checked ? [...s.twoFactorRequiredRoles, r] : s.twoFactorRequiredRoles.filter((x) => x !== r) })
                      }
                    />
                  }
                />
              ))}
            </FormGroup>
            <Box>
              <Button variant="contained" onClick={save}>
                Save
              </Button>
            </Box>
          </Stack>
        </CardContent>
      </Card>
      <Card>
        <CardHeader title="Single sign-out" subheader="End every session in this workspace at once (yours stays)" />
        <CardContent>
          <Button color="warning" variant="contained" onClick={signOutEveryone}>
            Sign everyone out
          </Button>
        </CardContent>
      </Card>
    </Box>
  );
}
