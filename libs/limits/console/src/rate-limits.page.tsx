import { Alert, Box, Button, Card, CardContent, CardHeader, Stack, TextField, Typography } from '@mui/material';
import { useCallback, useEffect, useState } from 'react';
import { Title, useNotify } from 'react-admin';
import { gql, useFormSave, withReauth } from '@bulwark/platform-console';

type Budget = 'perUser' | 'perToken' | 'perTenant';
type Budgets = Record<Budget, number>;
interface Limits {
  current: Budgets;
  defaults: Budgets;
  maximums: Budgets;
  custom: boolean;
  anonymousPerAddress: number;
  windowSeconds: number;
  enabled: boolean;
}
const B = 'perUser perToken perTenant';
const FIELDS = `current { ${B} } defaults { ${B} } maximums { ${B} } custom anonymousPerAddress windowSeconds enabled`;
const LABELS: Record<Budget, string> = { perUser: 'Each person', perToken: 'Each API token', perTenant: 'The whole workspace' };
const n = (v: number) => v.toLocaleString('en');

/**
 * The budgets in cost points per minute. A field left empty takes the platform's default; each is
 * bounded by the platform's maximum, which the server checks (its field errors show under the field).
 */
export function RateLimitsPage() {
  const notify = useNotify();
  const { errors, save: saving } = useFormSave();
  const [limits, setLimits] = useState<Limits | null>(null);
  const [values, setValues] = useState<Record<Budget, string>>({ perUser: '', perToken: '', perTenant: '' });

  const show = useCallback((l: Limits) => {
    setLimits(l);
    // Only the workspace's own values are filled in; an empty field means "the default".
    const own = (k: Budget) => (l.custom && l.current[k] !== l.defaults[k] ? String(l.current[k]) : '');
    setValues({ perUser: own('perUser'), perToken: own('perToken'), perTenant: own('perTenant') });
  }, []);
  useEffect(() => {
    gql<{ rateLimits: Limits }>(`{ rateLimits { ${FIELDS} } }`)
      .then((d) => show(d.rateLimits))
      .catch((e) => notify((e as Error).message, { type: 'error' }));
  }, [show, notify]);

  const save = async () => {
    const input = Object.fromEntries((Object.keys(values) as Budget[]).map((k) => [k, values[k].trim() === '' ? null : Number(values[k])]));
    const d = await saving(() => withReauth(() => gql<{ updateRateLimits: Limits }>(`mutation($input: RateLimitsInput!) { updateRateLimits(input: $input) { ${FIELDS} } }`, { input })), 'Rate limits saved');
    if (d) show(d.updateRateLimits);
  };

  if (!limits) return <Typography sx={{ p: 2 }}>Loading…</Typography>;
  return (
    <Box sx={{ p: 2, display: 'grid', gap: 2, maxWidth: 900 }}>
      <Title title="Rate limits" />
      <Card>
        <CardHeader title="Rate limits" subheader={`Cost points per ${limits.windowSeconds} seconds: a request costs what it asks for (a 50-ticket page about 850, your own profile 3)`} />
        <CardContent>
          <Stack spacing={2}>
            {!limits.enabled && <Alert severity="warning">The operators have turned rate limiting off for the whole platform.</Alert>}
            {(Object.keys(LABELS) as Budget[]).map((k) => (
              <TextField
                key={k}
                label={LABELS[k]}
                type="number"
                value={values[k]}
                placeholder={`${n(limits.defaults[k])} (default)`}
                onChange={(e) => setValues({ ...values, [k]: e.target.value })}
                error={!!errors[k]}
                helperText={errors[k] ?? `Now ${n(limits.current[k])}; empty for the default (${n(limits.defaults[k])}); at most ${n(limits.maximums[k])}`}
                slotProps={{ htmlInput: { min: 1, max: limits.maximums[k] } }}
                sx={{ maxWidth: 420 }}
              />
            ))}
            <Typography variant="body2" color="text.secondary">
              Sign-ins and other calls without a credential: {n(limits.anonymousPerAddress)} points per address, set by the platform.
            </Typography>
            <Box>
              <Button variant="contained" onClick={save}>
                Save rate limits
              </Button>
            </Box>
          </Stack>
        </CardContent>
      </Card>
    </Box>
  );
}
