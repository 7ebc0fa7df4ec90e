import { Alert, Box, Button, Card, CardContent, Link, Stack, TextField, Typography } from '@mui/material';
import { useState, type FormEvent } from 'react';
import { gql } from '@bulwark/platform-console';

const SIGN_IN = `mutation($input: SupportSignInInput!) { supportSignIn(input: $input) { expiresAt } }`;

/**
 * The vendor's support staff sign in here, never on the workspace's own sign-in: with their
 * password and authenticator code, into a workspace whose admin granted them access.
 */
export function SupportSignInPage() {
  const [form, setForm] = useState({ workspace: '', email: '', password: '', code: '' });
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (k: keyof typeof form) => (e: React.ChangeEvent<HTMLInputElement>) => setForm((f) => ({ ...f, [k]: e.target.value }));
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await gql(SIGN_IN, { input: { ...form, workspace: form.workspace.trim(), email: form.email.trim(), code: form.code.trim() } });
      // A fresh start: the console learns who is signed in (the operator) from the new session.
      window.location.hash = '#/';
      window.location.reload();
    } catch (err) {
      setError((err as Error).message);
      setBusy(false);
    }
  };
  return (
    <Box sx={{ minHeight: '100vh', display: 'grid', placeItems: 'center', bgcolor: 'grey.100', px: 1 }}>
      <Card sx={{ width: '100%', maxWidth: 440 }}>
        <CardContent>
          <Typography variant="h5" component="h1" gutterBottom>
            Vendor support sign-in
          </Typography>
          <Typography variant="body2" color="text.secondary" sx={{ mb: 2 }}>
            For the vendor’s support staff, into a workspace whose admin granted you access through a support request.
          </Typography>
          <Stack component="form" spacing={2} onSubmit={submit}>
            {error && <Alert severity="error">{error}</Alert>}
            <TextField label="Workspace" value={form.workspace} onChange={set('workspace')} required autoFocus helperText="The workspace that asked for help, e.g. acme" />
            <TextField label="Email" type="email" value={form.email} onChange={set('email')} required autoComplete="username" />
            <TextField label="Password" type="password" value={form.password} onChange={set('password')} required autoComplete="current-password" />
            <TextField
              label="Authenticator code"
              value={form.code}
              onChange={set('code')}
              required
              autoComplete="one-time-code"
              inputProps={{ inputMode: 'numeric', maxLength: 8 }}
              helperText="The 6 digits your authenticator app shows now"
            />
            <Button type="submit" variant="contained" disabled={busy}>
              Sign in
            </Button>
            <Link href="#/login" variant="body2">
              Not vendor support? Sign in to your workspace
            </Link>
          </Stack>
        </CardContent>
      </Card>
    </Box>
  );
}
