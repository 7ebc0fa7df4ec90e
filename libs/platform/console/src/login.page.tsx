import { Alert, Box, Button, Card, CardContent, CircularProgress, Divider, Link, Stack, TextField, Typography } from '@mui/material';
import ShieldIcon from '@mui/icons-material/Shield';
import { useState, type FormEvent } from 'react';
import { useLocation, useLogin } from 'react-admin';
import { TwoFactorChallenge } from './auth-provider';
import type { SsoSignInButton, SsoSignInOptions } from './generated/api';
import { gql, GraphQLRequestError } from './graphql';

const OPTIONS = `query($tenant: String!, $email: String) { ssoSignInOptions(tenant: $tenant, email: $email) { buttons { id name startUrl } forEmail { id name startUrl } } }`;

/** A console path to come back to after single sign-on, as the server accepts it (sso.routes.ts). */
const SAFE_RETURN = /^\/(?![/\\])[A-Za-z0-9/_\-?=&.%]{0,300}$/;

function returnPath(state: unknown): string | null {
  const s = state as { nextPathname?: unknown; nextSearch?: unknown } | null;
  if (typeof s?.nextPathname !== 'string' || s.nextPathname === '/login') return null;
  const path = `${s.nextPathname}${typeof s.nextSearch === 'string' ? s.nextSearch : ''}`;
  return SAFE_RETURN.test(path) ? path : null;
}

/** Where a connection's button sends the browser: its start URL, told who is signing in and where to land. */
function startUrl(button: SsoSignInButton, email: string, returnTo: string | null): string {
  const url = new URL(button.startUrl, window.location.href);
  if (email) url.searchParams.set('email', email);
  if (returnTo) url.searchParams.set('returnTo', returnTo);
  return url.href;
}

type Step = 'identify' | 'password' | 'code' | 'leaving';

/**
 * Sign-in, identifier first: the workspace and email, then either straight to the identity
 * provider that serves the email's domain, or the password (with the workspace's single sign-on
 * buttons beside it), then the second factor when the account has one. The session comes back as
 * a cookie. `#/login?sso=failed` is where a failed single sign-on lands; `#/login?with=password`
 * skips the domain's provider (an owner's break-glass sign-in).
 */
export function LoginPage() {
  const login = useLogin();
  const location = useLocation();
  const query = new URLSearchParams(location.search);
  const ssoFailed = query.get('sso') === 'failed';
  // After a failed single sign-on, going straight back to the provider would only fail again.
  const skipDomainProvider = ssoFailed || query.get('with') === 'password';
  const returnTo = returnPath(location.state);

  const [step, setStep] = useState<Step>('identify');
  const [tenant, setTenant] = useState(() => localStorage.getItem('bulwark.tenant') ?? '');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [invalid, setInvalid] = useState<{ tenant?: string; email?: string; password?: string; code?: string }>({});
  const [error, setError] = useState<string | null>(null);
  const [ssoRequired, setSsoRequired] = useState(false);
  const [busy, setBusy] = useState(false);
  const [options, setOptions] = useState<SsoSignInOptions>({ buttons: [], forEmail: null });
  const [leavingFor, setLeavingFor] = useState('');
  const [challenge, setChallenge] = useState<string | null>(null);
  const [code, setCode] = useState('');

  // The workspace's buttons, and the domain's connection when it is not one of them.
  const buttons = [...options.buttons, ...(options.forEmail && !options.buttons.some((b) => b.id === options.forEmail?.id) ? [options.forEmail] : [])];

  const leave = (button: SsoSignInButton) => {
    setLeavingFor(button.name);
    setStep('leaving');
    window.location.assign(startUrl(button, email.trim(), returnTo));
  };

  const identify = async () => {
    const wrong = {
      tenant: tenant.trim() ? undefined : "Enter your workspace's short name",
      email: /^[^@\s]+@[^@\s]+$/.test(email.trim()) ? undefined : 'Enter your email address, like name@example.com',
    };
    setInvalid(wrong);
    if (wrong.tenant || wrong.email) return;
    // The slug is not a secret; remembering it spares people typing it every time.
    localStorage.setItem('bulwark.tenant', tenant.trim());
    let found: SsoSignInOptions = { buttons: [], forEmail: null };
    try {
      found = (await gql<{ ssoSignInOptions: SsoSignInOptions }>(OPTIONS, { tenant: tenant.trim(), email: email.trim() })).ssoSignInOptions;
    } catch {
      // Without an answer, the password still works: the page offers it alone.
    }
    setOptions(found);
    if (found.forEmail && !skipDomainProvider) return leave(found.forEmail);
    setStep('password');
  };

  const signIn = async () => {
    if (!password) return setInvalid({ password: 'Enter your password' });
    setInvalid({});
    try {
      await login({ tenant, username: email, password });
    } catch (err) {
      if (err instanceof TwoFactorChallenge) {
        setChallenge(err.challenge);
        setPassword('');
        setStep('code');
        return;
      }
      setPassword('');
      setSsoRequired(err instanceof GraphQLRequestError && err.reason === 'sso_required');
      setError(err instanceof GraphQLRequestError ? err.serverMessage : 'Sign-in did not work. Try again in a moment.');
    }
  };

  const verify = async () => {
    if (!code.trim()) return setInvalid({ code: 'Enter the code from your authenticator app' });
    setInvalid({});
    try {
      await login({ challenge, code });
    } catch (err) {
      setCode('');
      setError(err instanceof GraphQLRequestError ? err.serverMessage : 'Sign-in did not work. Try again in a moment.');
    }
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (step === 'identify') await identify();
      else if (step === 'password') await signIn();
      else if (step === 'code') await verify();
    } finally {
      setBusy(false);
    }
  };

  const change = () => {
    setStep('identify');
    setPassword('');
    setError(null);
    setSsoRequired(false);
    setInvalid({});
  };

  return (
    <Box data-page-title="Sign in" sx={{ minHeight: '100vh', display: 'grid', placeItems: 'center', bgcolor: 'grey.100', px: 1 }}>
      <Card sx={{ width: '100%', maxWidth: 400 }} component="form" onSubmit={submit} noValidate aria-label="Sign in">
        <CardContent>
          <Stack spacing={2}>
            <Stack direction="row" spacing={1} alignItems="center">
              <ShieldIcon color="primary" />
              <Typography variant="h5" component="h1">
                Bulwark
              </Typography>
            </Stack>
            <Typography variant="body2" color="text.secondary">
              Sign in to your service desk
            </Typography>
            {ssoFailed && step === 'identify' && !error && <Alert severity="warning">Single sign-on did not complete. Try again, or ask your administrator.</Alert>}
            {error && <Alert severity="error">{error}</Alert>}

            {step === 'identify' && (
              <>
                <TextField
                  label="Workspace"
                  name="tenant"
                  value={tenant}
                  onChange={(e) => setTenant(e.target.value)}
                  autoComplete="organization"
                  autoFocus={!tenant}
                  error={!!invalid.tenant}
                  helperText={invalid.tenant ?? "Your company's short name, e.g. acme"}
                />
                <TextField
                  label="Email"
                  name="email"
                  type="email"
                  value={email}
                  onChange={(e) => setEmail(e.target.value)}
                  autoComplete="username"
                  autoFocus={!!tenant}
                  error={!!invalid.email}
                  helperText={invalid.email}
                />
                <Button type="submit" variant="contained" disabled={busy} startIcon={busy ? <CircularProgress size={16} /> : undefined}>
                  Continue
                </Button>
              </>
            )}

            {step === 'password' && (
              <>
                <Stack direction="row" alignItems="center" spacing={1} sx={{ bgcolor: 'action.hover', borderRadius: 1, px: 1.5, py: 1 }}>
                  <Box sx={{ flexGrow: 1, minWidth: 0 }}>
                    <Typography variant="body2" noWrap title={email}>
                      {email.trim()}
                    </Typography>
                    <Typography variant="caption" color="text.secondary" noWrap>
                      Workspace {tenant.trim()}
                    </Typography>
                  </Box>
                  <Button size="small" onClick={change} aria-label="Change workspace or email">
                    Change
                  </Button>
                </Stack>
                {/* For password managers: the account this password belongs to. */}
                <input type="hidden" name="username" autoComplete="username" value={email.trim()} readOnly />
                <TextField
                  label="Password"
                  name="password"
                  type="password"
                  value={password}
                  onChange={(e) => setPassword(e.target.value)}
                  autoComplete="current-password"
                  autoFocus
                  error={!!invalid.password}
                  helperText={invalid.password}
                />
                <Button type="submit" variant={ssoRequired ? 'outlined' : 'contained'} disabled={busy} startIcon={busy ? <CircularProgress size={16} /> : undefined}>
                  Sign in
                </Button>
                {buttons.length > 0 && (
                  <>
                    <Divider>
                      <Typography variant="caption" color="text.secondary">
                        or
                      </Typography>
                    </Divider>
                    {buttons.map((b) => (
                      <Button key={b.id} variant={ssoRequired ? 'contained' : 'outlined'} onClick={() => leave(b)}>
                        Continue with {b.name}
                      </Button>
                    ))}
                  </>
                )}
              </>
            )}

            {step === 'code' && (
              <>
                <TextField
                  label="Authentication code"
                  name="code"
                  value={code}
                  onChange={(e) => setCode(e.target.value)}
                  autoFocus
                  autoComplete="one-time-code"
                  error={!!invalid.code}
                  helperText={invalid.code ?? 'The 6-digit code from your authenticator app, or a recovery code'}
                />
                <Button type="submit" variant="contained" disabled={busy} startIcon={busy ? <CircularProgress size={16} /> : undefined}>
                  Verify
                </Button>
              </>
            )}

            {step === 'leaving' && (
              <Stack direction="row" spacing={2} alignItems="center" role="status">
                <CircularProgress size={20} />
                <Typography variant="body2">Taking you to {leavingFor}…</Typography>
              </Stack>
            )}

            {(step === 'identify' || step === 'password') && (
              <Link href="#/forgot-password" variant="body2">
                Forgot your password?
              </Link>
            )}
            {step === 'identify' && (
              <Link href="#/support-sign-in" variant="body2" color="text.secondary">
                Vendor support staff sign in here
              </Link>
            )}
          </Stack>
        </CardContent>
      </Card>
    </Box>
  );
}
