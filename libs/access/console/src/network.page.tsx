import { Alert, Box, Button, Card, CardContent, CardHeader, FormControlLabel, MenuItem, Stack, Switch, TextField, Typography } from '@mui/material';
import { useCallback, useEffect, useState } from 'react';
import { Title, useNotify } from 'react-admin';
import { gql, withReauth } from '@bulwark/platform-console';

interface Settings {
  ipMode: string;
  ipIncludesRequesters: boolean;
  ipRules: { cidr: string; label: string }[];
  lockdown: boolean;
  platformLockdown: boolean;
  yourAddress: string;
}
const FIELDS = 'ipMode ipIncludesRequesters ipRules { cidr label } lockdown platformLockdown yourAddress';

/** IP allowlist (with the address you are on right now) and the lockdown switch. */
export function NetworkPage() {
  const notify = useNotify();
  const [s, setS] = useState<Settings | null>(null);
  const [rules, setRules] = useState('');
  const [mode, setMode] = useState('off');
  const [requesters, setRequesters] = useState(false);

  const show = useCallback((next: Settings) => {
    setS(next);
    setRules(next.ipRules.map((r) => (r.label ? `${r.cidr} ${r.label}` : r.cidr)).join('\n'));
    setMode(next.ipMode);
    setRequesters(next.ipIncludesRequesters);
  }, []);
  useEffect(() => {
    gql<{ accessSettings: Settings }>(`{ accessSettings { ${FIELDS} } }`)
      .then((d) => show(d.accessSettings))
      .catch((e) => notify((e as Error).message, { type: 'error' }));
  }, [show, notify]);

  const save = async () => {
    const list = rules
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .map((l) => {
        const [cidr, ...label] = l.split(/\s+/);
        return { cidr, label: label.join(' ') };
      });
    try {
      const d = await withReauth(() =>
        gql<{ setIpAllowlist: Settings }>(`mutation($input: IpAllowlistInput!) { setIpAllowlist(input: $input) { ${FIELDS} } }`, {
          input: { mode, includesRequesters: requesters, rules: list },
        }),
      );
      show(d.setIpAllowlist);
      notify('Allowlist saved', { type: 'success' });
    } catch (e) {
      notify((e as Error).message, { type: 'error' });
    }
  };
  const lockdown = async (on: boolean) => {
    try {
      const d = await withReauth(() => gql<{ setLockdown: Settings }>(`mutation($on: Boolean!) { setLockdown(on: $on) { ${FIELDS} } }`, { on }));
      show(d.setLockdown);
      notify(on ? 'Lockdown is on' : 'Lockdown is off', { type: 'success' });
    } catch (e) {
      notify((e as Error).message, { type: 'error' });
    }
  };

  if (!s) return <Typography sx={{ p: 2 }}>Loading…</Typography>;
  return (
    <Box sx={{ p: 2, display: 'grid', gap: 2, maxWidth: 900 }}>
      <Title title="Network and lockdown" />
      <Card>
        <CardHeader title="IP allowlist" subheader="Staff (and optionally requesters) reach this workspace only from these networks" />
        <CardContent>
          <Stack spacing={2}>
            <Alert severity="info">
              You are connecting from <strong>{s.yourAddress}</strong>. In enforce mode, the list must include it.
            </Alert>
            <TextField select label="Mode" value={mode} onChange={(e) => setMode(e.target.value)} sx={{ maxWidth: 320 }}>
              <MenuItem value="off">Off</MenuItem>
              <MenuItem value="report">Report only (log what would be refused)</MenuItem>
              <MenuItem value="enforce">Enforce</MenuItem>
            </TextField>
            <TextField
              label="Ranges, one per line (CIDR or address, then an optional label)"
              multiline
              minRows={4}
              value={rules}
              onChange={(e) => setRules(e.target.value)}
              placeholder={'203.0.113.0/24 office\n2001:db8::/32 vpn'}
            />
            <FormControlLabel control={<Switch checked={requesters} onChange={(e) => setRequesters(e.target.checked)} />} label="Apply to requesters too" />
            <Box>
              <Button variant="contained" onClick={save}>
                Save allowlist
              </Button>
            </Box>
          </Stack>
        </CardContent>
      </Card>
      <Card>
        <CardHeader title="Lockdown" subheader="During an attack: reading goes on, changes are refused except for admins on allowlisted networks" />
        <CardContent>
          <Stack spacing={2}>
            {s.platformLockdown && <Alert severity="warning">The operators have put the whole platform in lockdown.</Alert>}
            <FormControlLabel control={<Switch checked={s.lockdown} onChange={(e) => lockdown(e.target.checked)} />} label={s.lockdown ? 'Lockdown is on' : 'Lockdown is off'} />
          </Stack>
        </CardContent>
      </Card>
    </Box>
  );
}
