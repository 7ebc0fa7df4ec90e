import { Alert, Box, Button, Card, CardContent, CircularProgress, Link, Stack, TextField, Typography } from '@mui/material';
import ShieldIcon from '@mui/icons-material/Shield';
import { useState, type FormEvent } from 'react';
import { useLogin } from 'react-admin';
import { TwoFactorChallenge } from './auth-provider';

/** Sign-in with the tenant's slug, email and password. The session comes back as a cookie. */
export function LoginPage() {
  const login = useLogin();
  const [tenant, setTenant] = useState(() => localStorage.getItem('bulwark.tenant') ?? '');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [challenge, setChallenge] = useState<string | null>(null);
  const [code, setCode] = useState('');

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (challenge) {
        await login({ challenge, code });
      } else {
        // The slug is not a secret; remembering it spares people typing it every time.
        localStorage.setItem('bulwark.tenant', tenant.trim());
        await login({ tenant, username: email, password });
      }
    } catch (err) {
      if (err instanceof TwoFactorChallenge) {
        setChallenge(err.challenge);
        setPassword('');
      } else {
        setError(err instanceof Error ? err.message : 'Sign-in failed');
        if (challenge) setCode('');
      }
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
            {challenge ? (
              <TextField
                label="Authentication code"
                name="code"
                value={code}
                onChange={(e) => setCode(e.target.value)}
                required
                autoFocus
                autoComplete="one-time-code"
                helperText="The 6-digit code from your authenticator app, or a recovery code"
              />
            ) : (
              <>
                <TextField label="Workspace" name="tenant" value={tenant} onChange={(e) => setTenant(e.target.value)} required autoComplete="organization" helperText="Your company's short name, e.g. acme" />
                <TextField label="Email" name="email" type="email" value={email} onChange={(e) => setEmail(e.target.value)} required autoComplete="username" />
                <TextField label="Password" name="password" type="password" value={password} onChange={(e) => setPassword(e.target.value)} required autoComplete="current-password" />
              </>
            )}
            <Button type="submit" variant="contained" disabled={busy} startIcon={busy ? <CircularProgress size={16} /> : undefined}>
              {challenge ? 'Verify' : 'Sign in'}
            </Button>
            {!challenge && (
              <Link href="#/forgot-password" variant="body2">
                Forgot your password?
              </Link>
            )}
          </Stack>
        </CardContent>
      </Card>
    </Box>
  );
}
