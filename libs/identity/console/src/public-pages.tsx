import { Alert, Box, Button, Card, CardContent, Stack, TextField, Typography } from '@mui/material';
import { useState, type FormEvent } from 'react';
import { gql } from '@bulwark/platform-console';
import { NewPasswordField } from './password-field';

const tokenFromHash = () => new URLSearchParams(window.location.hash.split('?')[1] ?? '').get('token') ?? '';

function Frame({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <Box sx={{ minHeight: '100vh', display: 'grid', placeItems: 'center', bgcolor: 'grey.100', px: 1 }}>
      <Card sx={{ width: '100%', maxWidth: 420 }}>
        <CardContent>
          <Typography variant="h5" gutterBottom>
            {title}
          </Typography>
          {children}
        </CardContent>
      </Card>
    </Box>
  );
}

/** The page an emailed reset or invitation link opens (the secret stays in the URL fragment). */
function TokenPasswordPage({ mutation, title, done }: { mutation: 'resetPassword' | 'acceptInvitation'; title: string; done: string }) {
  const [password, setPassword] = useState('');
  const [state, setState] = useState<{ ok?: boolean; error?: string }>({});
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    try {
      await gql(`mutation($input: TokenPasswordInput!) { ${mutation}(input: $input) }`, { input: { token: tokenFromHash(), password } });
      setState({ ok: true });
    } catch (err) {
      setState({ error: (err as Error).message });
    }
  };
  return (
    <Frame title={title}>
      {state.ok ? (
        <Stack spacing={2}>
          <Alert severity="success">{done}</Alert>
          <Button href="#/login" variant="contained">
            Sign in
          </Button>
        </Stack>
      ) : (
        <Stack component="form" spacing={2} onSubmit={submit}>
          {state.error && <Alert severity="error">{state.error}</Alert>}
          <NewPasswordField value={password} onChange={setPassword} minLength={12} contextWords={[]} />
          <Button type="submit" variant="contained" disabled={!password}>
            Save password
          </Button>
        </Stack>
      )}
    </Frame>
  );
}

export const ResetPasswordPage = () => <TokenPasswordPage mutation="resetPassword" title="Choose a new password" done="Your password is changed, and every session was signed out." />;
export const AcceptInvitationPage = () => <TokenPasswordPage mutation="acceptInvitation" title="Welcome to Bulwark" done="Your account is ready." />;

/** "Forgot password": the answer is the same whether or not the email has an account. */
export function ForgotPasswordPage() {
  const [tenant, setTenant] = useState(() => localStorage.getItem('bulwark.tenant') ?? '');
  const [email, setEmail] = useState('');
  const [sent, setSent] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    await gql(`mutation($input: PasswordResetRequestInput!) { requestPasswordReset(input: $input) }`, { input: { tenant, email } }).catch(() => undefined);
    setSent(true);
  };
  return (
    <Frame title="Forgot your password?">
      {sent ? (
        <Alert severity="info">If that address has an account in this workspace, a reset link is on its way. It works once, within an hour.</Alert>
      ) : (
        <Stack component="form" spacing={2} onSubmit={submit}>
          <TextField label="Workspace" value={tenant} onChange={(e) => setTenant(e.target.value)} required />
          <TextField label="Email" type="email" value={email} onChange={(e) => setEmail(e.target.value)} required />
          <Button type="submit" variant="contained">
            Send reset link
          </Button>
        </Stack>
      )}
    </Frame>
  );
}
