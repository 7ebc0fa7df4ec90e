import { Button, Dialog, DialogActions, DialogContent, DialogTitle, Divider, Stack, TextField, Typography } from '@mui/material';
import { useCallback, useState } from 'react';
import { gql, GraphQLRequestError } from './graphql';

type Pending = { resolve: (ok: boolean) => void; why: string };
let open: ((p: Pending) => void) | null = null;

/**
 * B8 in the console: when the API answers REAUTH_REQUIRED, ask for the password once, confirm
 * it (`reauthenticate` rotates the session cookie), and retry the action. `why` opens the prompt.
 */
export async function withReauth<T>(action: () => Promise<T>, why = 'This change is sensitive.'): Promise<T> {
  try {
    return await action();
  } catch (e) {
    if (!(e instanceof GraphQLRequestError) || e.code !== 'REAUTH_REQUIRED' || !open) throw e;
    const confirmed = await new Promise<boolean>((resolve) => open?.({ resolve, why }));
    if (!confirmed) throw new Error('Cancelled: this needs your password');
    return action();
  }
}

interface Provider {
  name: string;
  startUrl: string;
}

/**
 * The workspace's single sign-on connections that can confirm who the person is instead of a
 * password (B8 through the provider: it is asked to authenticate them afresh). People whose role
 * signs in with SSO only have no password to give.
 */
async function providersFor(): Promise<Provider[]> {
  try {
    const { me } = await gql<{ me: { email: string; tenant: { slug: string } } }>(`{ me { email tenant { slug } } }`);
    const { ssoSignInOptions: o } = await gql<{ ssoSignInOptions: { buttons: Provider[]; forEmail: Provider | null } }>(
      `query($t: String!, $e: String) { ssoSignInOptions(tenant: $t, email: $e) { buttons { name startUrl } forEmail { name startUrl } } }`,
      { t: me.tenant.slug, e: me.email },
    );
    return o.forEmail ? [o.forEmail] : o.buttons;
  } catch {
    return []; // the password prompt still works
  }
}

/** Off to the provider to confirm; back on this page, where the action can be tried again. */
function confirmWith(p: Provider) {
  const here = window.location.hash.replace(/^#/, '') || '/';
  window.location.assign(`${p.startUrl}?intent=reauth&returnTo=${encodeURIComponent(here)}`);
}

/** Mounted once in the layout; `withReauth` opens it. */
export function ReauthDialog() {
  const [pending, setPending] = useState<Pending | null>(null);
  const [providers, setProviders] = useState<Provider[]>([]);
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  // Kept after closing, so the text does not change while the dialog fades out.
  const [why, setWhy] = useState('');
  open = useCallback((p: Pending) => {
    setPassword('');
    setError(null);
    setWhy(p.why);
    setPending(p);
    void providersFor().then(setProviders);
  }, []);
  const close = (ok: boolean) => {
    pending?.resolve(ok);
    setPending(null);
  };
  const confirm = async () => {
    try {
      await gql(`mutation($p: String!) { reauthenticate(password: $p) { expiresAt } }`, { p: password });
      close(true);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <Dialog open={!!pending} onClose={() => close(false)} aria-labelledby="reauth-title">
      <DialogTitle id="reauth-title">Confirm it is you</DialogTitle>
      <DialogContent>
        <Typography variant="body2" sx={{ mb: 2 }}>
          {why} Enter your password to continue (asked again after 5 minutes).
        </Typography>
        <TextField
          autoFocus
          fullWidth
          type="password"
          label="Your password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          onKeyDown={(e) => e.key === 'Enter' && confirm()}
          error={!!error}
          helperText={error ?? ' '}
        />
        {providers.length > 0 && (
          <Stack spacing={1}>
            <Divider>or</Divider>
            {providers.map((p) => (
              <Button key={p.startUrl} variant="outlined" onClick={() => confirmWith(p)}>
                Sign in again with {p.name}
              </Button>
            ))}
          </Stack>
        )}
      </DialogContent>
      <DialogActions>
        <Button onClick={() => close(false)}>Cancel</Button>
        <Button variant="contained" onClick={confirm} disabled={!password}>
          Confirm
        </Button>
      </DialogActions>
    </Dialog>
  );
}
