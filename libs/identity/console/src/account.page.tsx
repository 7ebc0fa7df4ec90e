import { Alert, Box, Button, Card, CardContent, CardHeader, Chip, List, ListItem, ListItemText, Stack, TextField, Typography } from '@mui/material';
import { useCallback, useEffect, useState } from 'react';
import { Title, useGetIdentity, useNotify } from 'react-admin';
import { fieldMessagesInWords, fromNow, gql, GraphQLRequestError, withReauth } from '@bulwark/platform-console';
import { deviceName } from './device-name';
import { NewPasswordField } from './password-field';

interface Session {
  id: string;
  createdAt: string;
  lastSeenAt: string;
  ip: string;
  userAgent: string;
  current: boolean;
}
interface Account {
  me: { email: string; name: string; phone: string | null; twoFactorEnabled: boolean; twoFactorEnrolmentRequired: boolean; singleSignOnOnly: boolean };
  passwordPolicy: { minLength: number; contextWords: string[] };
  mySessions: Session[];
}

const LOAD = `{ me { email name phone twoFactorEnabled twoFactorEnrolmentRequired singleSignOnOnly } passwordPolicy { minLength contextWords } mySessions { id createdAt lastSeenAt ip userAgent current } }`;

/** My account: password, two-factor sign-in, and the devices signed in as me. */
export function AccountPage() {
  const { data: identity } = useGetIdentity();
  // A vendor support operator has no account in this workspace: theirs is the vendor's.
  if ((identity as { role?: string } | undefined)?.role === 'vendor_support') {
    return (
      <Box sx={{ p: 2, maxWidth: 900 }}>
        <Title title="My account" />
        <Alert severity="info">
          You are signed in as the vendor’s support staff ({identity?.fullName}). Your password and authenticator are managed by the vendor’s platform operators, not by this
          workspace.
        </Alert>
      </Box>
    );
  }
  return <PersonAccount />;
}

function PersonAccount() {
  const notify = useNotify();
  const [a, setA] = useState<Account | null>(null);
  const load = useCallback(() => gql<Account>(LOAD).then(setA), []);
  useEffect(() => {
    load().catch((e) => notify((e as Error).message, { type: 'error' }));
  }, [load, notify]);
  if (!a) return <Typography sx={{ p: 2 }}>Loading…</Typography>;
  return (
    <Box sx={{ p: 2, display: 'grid', gap: 2, maxWidth: 900 }}>
      <Title title="My account" />
      <ProfileCard me={a.me} onDone={load} />
      {a.me.singleSignOnOnly ? (
        <Card>
          <CardHeader title="Password" />
          <CardContent>
            <Alert severity="info">Your workspace signs you in with single sign-on: your password is kept by your identity provider, not here.</Alert>
          </CardContent>
        </Card>
      ) : (
        <PasswordCard policy={a.passwordPolicy} onDone={load} />
      )}
      <TwoFactorCard me={a.me} onDone={load} />
      <SessionsCard sessions={a.mySessions} onDone={load} />
    </Box>
  );
}

/** Name and phone number (others without the PII permission see the phone masked). */
function ProfileCard({ me, onDone }: { me: Account['me']; onDone: () => Promise<unknown> }) {
  const notify = useNotify();
  const [name, setName] = useState(me.name);
  const [phone, setPhone] = useState(me.phone ?? '');
  const save = async () => {
    try {
      await gql(`mutation($i: ProfileInput!) { updateMyProfile(input: $i) { id } }`, { i: { name, phone: phone.trim() || null } });
      notify('Profile saved', { type: 'success' });
      await onDone();
    } catch (e) {
      notify((e as Error).message, { type: 'error' });
    }
  };
  return (
    <Card>
      <CardHeader title="Profile" subheader={me.email} />
      <CardContent>
        <Stack spacing={2} direction="row" useFlexGap sx={{ alignItems: 'center', flexWrap: 'wrap' }}>
          <TextField label="Name" value={name} onChange={(e) => setName(e.target.value)} />
          <TextField label="Phone" value={phone} onChange={(e) => setPhone(e.target.value)} helperText="Colleagues who may not see contact details see it partly hidden" />
          <Button variant="contained" onClick={save} disabled={!name.trim()}>
            Save
          </Button>
        </Stack>
      </CardContent>
    </Card>
  );
}

function PasswordCard({ policy, onDone }: { policy: Account['passwordPolicy']; onDone: () => Promise<unknown> }) {
  const notify = useNotify();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const save = async () => {
    setErrors({});
    try {
      await gql(`mutation($input: ChangePasswordInput!) { changePassword(input: $input) }`, { input: { currentPassword: current, newPassword: next } });
      setCurrent('');
      setNext('');
      notify('Password changed; your other sessions were signed out', { type: 'success' });
      await onDone();
    } catch (e) {
      // A wrong current password, a new one the policy refuses: said under the field concerned.
      const words = e instanceof GraphQLRequestError ? fieldMessagesInWords(e.fields, e.serverMessage) : {};
      if (words.currentPassword || words.newPassword) setErrors(words);
      else notify((e as Error).message, { type: 'error' });
    }
  };
  return (
    <Card>
      <CardHeader title="Password" />
      <CardContent>
        <Stack spacing={2} sx={{ maxWidth: 480 }}>
          <TextField
            type="password"
            label="Current password"
            value={current}
            onChange={(e) => {
              setCurrent(e.target.value);
              setErrors({});
            }}
            autoComplete="current-password"
            error={!!errors.currentPassword}
            helperText={errors.currentPassword}
          />
          <NewPasswordField
            value={next}
            onChange={(v) => {
              setNext(v);
              setErrors({});
            }}
            minLength={policy.minLength}
            contextWords={policy.contextWords}
            error={errors.newPassword}
          />
          <Box>
            <Button variant="contained" disabled={!current || !next} onClick={save}>
              Change password
            </Button>
          </Box>
        </Stack>
      </CardContent>
    </Card>
  );
}

function TwoFactorCard({ me, onDone }: { me: Account['me']; onDone: () => Promise<unknown> }) {
  const notify = useNotify();
  const [enrolment, setEnrolment] = useState<{ secret: string; qrSvg: string } | null>(null);
  const [code, setCode] = useState('');
  const [codes, setCodes] = useState<string[] | null>(null);
  const begin = async () => {
    try {
      const d = await withReauth(() => gql<{ beginTwoFactorEnrolment: { secret: string; qrSvg: string } }>(`mutation { beginTwoFactorEnrolment { secret qrSvg } }`));
      setEnrolment(d.beginTwoFactorEnrolment);
    } catch (e) {
      notify((e as Error).message, { type: 'error' });
    }
  };
  const confirm = async () => {
    try {
      const d = await gql<{ confirmTwoFactorEnrolment: { codes: string[] } }>(`mutation($code: String!) { confirmTwoFactorEnrolment(code: $code) { codes } }`, { code });
      setCodes(d.confirmTwoFactorEnrolment.codes);
      setEnrolment(null);
      setCode('');
      await onDone();
    } catch (e) {
      notify((e as Error).message, { type: 'error' });
    }
  };
  const disable = async () => {
    try {
      await withReauth(() => gql(`mutation { disableTwoFactor }`));
      notify('Two-factor sign-in is off', { type: 'success' });
      await onDone();
    } catch (e) {
      notify((e as Error).message, { type: 'error' });
    }
  };
  return (
    <Card>
      <CardHeader title="Two-factor sign-in" subheader="A code from an authenticator app at every sign-in" action={<Chip label={me.twoFactorEnabled ? 'On' : 'Off'} color={me.twoFactorEnabled ? 'success' : 'default'} />} />
      <CardContent>
        <Stack spacing={2}>
          {me.twoFactorEnrolmentRequired && !me.twoFactorEnabled && <Alert severity="warning">Your role requires two-factor sign-in. Please turn it on.</Alert>}
          {codes && (
            <Alert severity="success">
              Two-factor sign-in is on. Keep these recovery codes somewhere safe; each works once and they are not shown again:
              <Box component="pre" data-testid="recovery-codes" sx={{ fontFamily: 'monospace', mt: 1 }}>
                {codes.join('\n')}
              </Box>
            </Alert>
          )}
          {enrolment ? (
            <Stack spacing={2} sx={{ maxWidth: 480 }}>
              <Typography variant="body2">Scan this code with your authenticator app, then enter the 6-digit code it shows.</Typography>
              <Box aria-label="QR code" sx={{ width: 200, height: 200 }} dangerouslySetInnerHTML={{ __html: enrolment.qrSvg }} />
              <Typography variant="caption">
                Or type this key: <code data-testid="totp-secret">{enrolment.secret}</code>
              </Typography>
              <TextField label="Code from the app" value={code} onChange={(e) => setCode(e.target.value)} inputProps={{ inputMode: 'numeric', maxLength: 6 }} />
              <Box>
                <Button variant="contained" onClick={confirm} disabled={code.length !== 6}>
                  Turn on
                </Button>
              </Box>
            </Stack>
          ) : me.twoFactorEnabled ? (
            <Box>
              <Button color="warning" variant="outlined" onClick={disable}>
                Turn off
              </Button>
            </Box>
          ) : (
            <Box>
              <Button variant="contained" onClick={begin}>
                Set up two-factor sign-in
              </Button>
            </Box>
          )}
        </Stack>
      </CardContent>
    </Card>
  );
}

function SessionsCard({ sessions, onDone }: { sessions: Session[]; onDone: () => Promise<unknown> }) {
  const notify = useNotify();
  const run = async (q: string, vars: Record<string, unknown>, done: string) => {
    try {
      await gql(q, vars);
      notify(done, { type: 'success' });
      await onDone();
    } catch (e) {
      notify((e as Error).message, { type: 'error' });
    }
  };
  return (
    <Card>
      <CardHeader
        title="Where you are signed in"
        action={
          <Button onClick={() => run(`mutation { revokeOtherSessions }`, {}, 'Signed out everywhere else')} disabled={sessions.length < 2}>
            Sign out all others
          </Button>
        }
      />
      <List dense>
        {sessions.map((s) => (
          <ListItem
            key={s.id}
            secondaryAction={
              s.current ? (
                <Chip size="small" label="This device" />
              ) : (
                <Button size="small" onClick={() => run(`mutation($id: ID!) { revokeSession(id: $id) }`, { id: s.id }, 'Session ended')}>
                  Sign out
                </Button>
              )
            }
          >
            <ListItemText primary={<span title={s.userAgent}>{deviceName(s.userAgent)}</span>} secondary={`${s.ip || 'unknown address'} · last active ${fromNow(s.lastSeenAt)}`} />
          </ListItem>
        ))}
      </List>
    </Card>
  );
}
