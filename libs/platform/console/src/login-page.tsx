import { Alert, Box, Button, Card, CardContent, CircularProgress, Stack, TextField, Typography } from '@mui/material';
import ShieldIcon from '@mui/icons-material/Shield';
import { useState, type FormEvent } from 'react';
import { useLogin } from 'react-admin';

/** Sign-in with the tenant's slug, email and password. The session comes back as a cookie. */
export function LoginPage() {
  const login = useLogin();
  const [tenant, setTenant] = useState(() => localStorage.getItem('bulwark.tenant') ?? '');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      // The slug is not a secret; remembering it spares people typing it every time.
      localStorage.setItem('bulwark.tenant', tenant.trim());
      await login({ tenant, username: email, password });
    } catch (err) {
      setError(err instanceof Error ? err.message : 'Sign-in failed');
    } finally {
      setBusy(false);
    }
  };

  return (
    <Box sx={{ minHeight: '100vh', display: 'grid', placeItems: 'center', bgcolor: 'grey.100' }}>
      <Card sx={{ width: 380 }} component="form" onSubmit={submit} aria-label="Sign in">
        <CardContent>
          <Stack spacing={2}>
            <Stack direction="row" spacing={1} alignItems="center">
              <ShieldIcon color="primary" />
              <Typography variant="h5">Bulwark</Typography>
            </Stack>
            <Typography variant="body2" color="text.secondary">
              Sign in to your service desk
            </Typography>
            {error && <Alert severity="error">{error}</Alert>}
            <TextField label="Workspace" name="tenant" value={tenant} onChange={(e) => setTenant(e.target.value)} required autoComplete="organization" helperText="Your company's short name, e.g. acme" />
            <TextField label="Email" name="email" type="email" value={email} onChange={(e) => setEmail(e.target.value)} required autoComplete="username" />
            <TextField label="Password" name="password" type="password" value={password} onChange={(e) => setPassword(e.target.value)} required autoComplete="current-password" />
            <Button type="submit" variant="contained" disabled={busy} startIcon={busy ? <CircularProgress size={16} /> : undefined}>
              Sign in
            </Button>
          </Stack>
        </CardContent>
      </Card>
    </Box>
  );
}
