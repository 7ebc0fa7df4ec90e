import AutorenewIcon from '@mui/icons-material/Autorenew';
import UploadFileIcon from '@mui/icons-material/UploadFile';
import {
  Alert,
  Box,
  Button,
  Card,
  CardContent,
  CardHeader,
  CircularProgress,
  FormControlLabel,
  FormHelperText,
  MenuItem,
  Radio,
  RadioGroup,
  Stack,
  Switch,
  TextField,
  Typography,
} from '@mui/material';
import { useEffect, useRef, useState, type ChangeEvent, type FormEvent, type ReactNode } from 'react';
import type { Api } from '@bulwark/platform-console';
import { generateSecret, HINTS, placed, toInput, validate, type ConnectionState } from './connection.state';
import { CopyButton } from './copy-button';
import { errorAt, errorsOf, type FieldErrors } from './form-errors';
import { MappingCard } from './mapping.form';
import type { RoleChoice, SsoConnection } from './sso.data';

function Section({ title, subheader, children }: { title: string; subheader?: ReactNode; children: ReactNode }) {
  return (
    <Card>
      <CardHeader title={title} subheader={subheader} titleTypographyProps={{ variant: 'h6' }} />
      <CardContent sx={{ pt: 0 }}>
        <Stack spacing={2} sx={{ maxWidth: 640 }}>
          {children}
        </Stack>
      </CardContent>
    </Card>
  );
}

/**
 * A connection's settings: the provider (per kind), domains, sign-in page, new accounts and the
 * role and group mapping. `onSave` gets the API's input; a refusal comes back as messages on the
 * fields it concerns.
 */
export function ConnectionForm({
  initial,
  connection,
  roles,
  groups,
  submitLabel,
  onSave,
  onCancel,
  extraActions,
}: {
  initial: ConnectionState;
  /** The saved connection, when editing. */
  connection?: SsoConnection;
  roles: RoleChoice[];
  groups: { id: string; name: string }[];
  submitLabel: string;
  onSave: (input: Api.SsoConnectionInput) => Promise<void>;
  onCancel: () => void;
  extraActions?: ReactNode;
}) {
  const [s, setS] = useState(initial);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const creating = !connection;
  const formRef = useRef<HTMLFormElement>(null);
  /** A field edited is no longer judged: its message goes until the next save. */
  const forget = (...keys: string[]) =>
    setErrors((prev) => {
      const next = Object.fromEntries(Object.entries(prev).filter(([k]) => !keys.some((key) => k === key || k.startsWith(`${key}.`))));
      if (!Object.keys(next).length) setFormError(null);
      return next;
    });
  const set = <K extends keyof ConnectionState>(key: K, value: ConnectionState[K]) => {
    forget(key);
    setS((prev) => ({ ...prev, [key]: value }));
  };
  const setOidc = (patch: Partial<ConnectionState['oidc']>) => {
    forget(...Object.keys(patch).map((k) => `oidc.${k}`), 'oidc');
    setS((prev) => ({ ...prev, oidc: { ...prev.oidc, ...patch } }));
  };
  const setSaml = (patch: Partial<ConnectionState['saml']>) => {
    forget(...Object.keys(patch).map((k) => `saml.${k}`), 'saml');
    setS((prev) => ({ ...prev, saml: { ...prev.saml, ...patch } }));
  };
  const setJwt = (patch: Partial<ConnectionState['jwt']>) => {
    forget(...Object.keys(patch).map((k) => `jwt.${k}`), 'jwt');
    setS((prev) => ({ ...prev, jwt: { ...prev.jwt, ...patch } }));
  };
  const err = (key: string) => errorAt(errors, key);
  // After a refused save, the first field with a message comes into view, focused.
  const [showFirst, setShowFirst] = useState(0);
  useEffect(() => {
    if (!showFirst) return;
    const field = formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]');
    field?.scrollIntoView({ block: 'center' });
    field?.focus({ preventScroll: true });
  }, [showFirst]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setFormError(null);
    const found = validate(s, creating, { secret: !creating });
    setErrors(found);
    if (Object.keys(found).length) {
      setFormError('Some fields need your attention: see the messages in red.');
      setShowFirst((n) => n + 1);
      return;
    }
    setBusy(true);
    try {
      await onSave(toInput(s));
    } catch (error) {
      const { fields, form } = errorsOf(error, HINTS);
      setErrors(fields);
      const elsewhere = Object.entries(fields).filter(([k]) => !placed(k));
      setFormError(form ?? (elsewhere.length ? elsewhere[0][1] : 'Some fields need your attention: see the messages in red.'));
      setShowFirst((n) => n + 1);
    } finally {
      setBusy(false);
    }
  };

  const readMetadata = async (e: ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    e.target.value = '';
    if (!file) return;
    if (file.size > 200_000) {
      setErrors((prev) => ({ ...prev, 'saml.metadataXml': 'That file is larger than 200 KB: is it the metadata XML?' }));
      return;
    }
    const text = await file.text();
    if (!/<(\w+:)?EntityDescriptor[\s>]/.test(text)) {
      setErrors((prev) => ({ ...prev, 'saml.metadataXml': 'That file is not SAML metadata (no EntityDescriptor in it)' }));
      return;
    }
    setErrors(({ ['saml.metadataXml']: _gone, ...rest }) => rest);
    setSaml({ metadataXml: text, fileName: file.name });
  };

  const assignable = roles.filter((r) => r.key !== 'owner');
  const buttonName = s.name.trim() || 'this connection';

  return (
    <Box component="form" ref={formRef} noValidate onSubmit={submit} aria-label={submitLabel} sx={{ display: 'grid', gap: 2 }}>
      <Section title="Connection">
        <TextField label="Name" value={s.name} onChange={(e) => set('name', e.target.value)} error={!!err('name')} helperText={err('name') ?? 'What people see, e.g. “Okta” or “Company login”'} inputProps={{ maxLength: 80 }} />
        <FormControlLabel control={<Switch checked={s.enabled} onChange={(e) => set('enabled', e.target.checked)} />} label="Switched on: people can sign in with it" />
        <FormControlLabel
          control={<Switch checked={s.showButton} onChange={(e) => set('showButton', e.target.checked)} />}
          label={`Show “Continue with ${buttonName}” on the sign-in page`}
        />
      </Section>

      {s.kind === 'oidc' && (
        <Section title="OpenID Connect provider" subheader="From the application (client) you registered at your provider">
          <TextField
            label="Issuer URL"
            value={s.oidc.issuer}
            onChange={(e) => setOidc({ issuer: e.target.value })}
            placeholder="https://login.example.com"
            error={!!err('oidc.issuer')}
            helperText={err('oidc.issuer') ?? 'Bulwark reads the provider’s settings from <issuer>/.well-known/openid-configuration'}
            inputProps={{ maxLength: 500 }}
          />
          <TextField label="Client ID" value={s.oidc.clientId} onChange={(e) => setOidc({ clientId: e.target.value })} error={!!err('oidc.clientId')} helperText={err('oidc.clientId')} inputProps={{ maxLength: 255 }} />
          <TextField
            label="Client secret"
            type="password"
            autoComplete="new-password"
            value={s.oidc.clientSecret}
            onChange={(e) => setOidc({ clientSecret: e.target.value })}
            error={!!err('oidc.clientSecret')}
            helperText={err('oidc.clientSecret') ?? (connection?.oidc?.hasClientSecret ? 'A secret is stored (never shown again). Leave this empty to keep it.' : 'Stored sealed; never shown again')}
            inputProps={{ maxLength: 1000 }}
          />
          <TextField
            label="Extra scopes"
            value={s.oidc.scopes}
            onChange={(e) => setOidc({ scopes: e.target.value })}
            placeholder="groups"
            error={!!err('oidc.scopes')}
            helperText={err('oidc.scopes') ?? 'Separated by spaces. openid, email and profile are always asked for.'}
          />
        </Section>
      )}

      {s.kind === 'saml' && (
        <Section title="SAML 2.0 identity provider" subheader="Your provider’s metadata: its entity ID, sign-in URL and signing certificates">
          {connection?.saml && (
            <Box sx={{ bgcolor: 'action.hover', borderRadius: 1, p: 1.5 }}>
              <Typography variant="body2">
                Provider <strong>{connection.saml.idpEntityId}</strong>
              </Typography>
              <Typography variant="body2" sx={{ wordBreak: 'break-all' }}>
                Signs in at {connection.saml.idpSsoUrl}
              </Typography>
              {connection.saml.certificateFingerprints.map((f) => (
                <Typography key={f} variant="caption" component="div" sx={{ fontFamily: 'monospace', wordBreak: 'break-all' }}>
                  Certificate SHA-256 {f}
                </Typography>
              ))}
            </Box>
          )}
          <RadioGroup row value={s.saml.source} onChange={(e) => setSaml({ source: e.target.value as 'file' | 'url' })} aria-label="Where the metadata comes from">
            <FormControlLabel value="file" control={<Radio />} label="Upload the metadata file" />
            <FormControlLabel value="url" control={<Radio />} label="Read it from a URL" />
          </RadioGroup>
          {s.saml.source === 'file' ? (
            <Box>
              <Button variant="outlined" component="label" startIcon={<UploadFileIcon />}>
                {s.saml.fileName ? 'Choose another file' : 'Choose metadata file'}
                <input hidden type="file" accept=".xml,application/xml,text/xml,application/samlmetadata+xml" onChange={readMetadata} aria-label="Metadata file" />
              </Button>
              <FormHelperText error={!!err('saml.metadataXml')}>
                {err('saml.metadataXml') ??
                  (s.saml.fileName ? `${s.saml.fileName} will be read when you save` : connection?.saml ? 'Leave it to keep the metadata read before' : 'The XML file your provider offers to download')}
              </FormHelperText>
            </Box>
          ) : (
            <TextField
              label="Metadata URL"
              value={s.saml.metadataUrl}
              onChange={(e) => setSaml({ metadataUrl: e.target.value })}
              placeholder="https://idp.example.com/metadata"
              error={!!err('saml.metadataUrl')}
              helperText={err('saml.metadataUrl') ?? 'Read when you save'}
              inputProps={{ maxLength: 500 }}
            />
          )}
          <FormControlLabel
            control={<Switch checked={s.saml.allowIdpInitiated} onChange={(e) => setSaml({ allowIdpInitiated: e.target.checked })} />}
            label="Accept sign-ins started at the provider (its app dashboard)"
          />
          {s.saml.allowIdpInitiated && <Alert severity="warning">Sign-ins started at the provider carry no request of ours to match: only turn this on if people need the provider’s app tiles.</Alert>}
        </Section>
      )}

      {s.kind === 'jwt' && (
        <Section title="JWT single sign-on" subheader="Your own sign-in page signs people in, then sends them back with a token signed with the shared secret (HS256)">
          <TextField
            label="Remote login URL"
            value={s.jwt.remoteLoginUrl}
            onChange={(e) => setJwt({ remoteLoginUrl: e.target.value })}
            placeholder="https://example.com/sso/bulwark"
            error={!!err('jwt.remoteLoginUrl')}
            helperText={err('jwt.remoteLoginUrl') ?? 'Your sign-in page: people are sent there, with return_to'}
            inputProps={{ maxLength: 500 }}
          />
          <TextField
            label="Remote logout URL (optional)"
            value={s.jwt.remoteLogoutUrl}
            onChange={(e) => setJwt({ remoteLogoutUrl: e.target.value })}
            error={!!err('jwt.remoteLogoutUrl')}
            helperText={err('jwt.remoteLogoutUrl')}
            inputProps={{ maxLength: 500 }}
          />
          <Stack direction="row" spacing={1} alignItems="flex-start">
            <TextField
              label="Shared secret"
              type={s.jwt.generated ? 'text' : 'password'}
              autoComplete="new-password"
              value={s.jwt.sharedSecret}
              onChange={(e) => setJwt({ sharedSecret: e.target.value, generated: false })}
              error={!!err('jwt.sharedSecret')}
              helperText={err('jwt.sharedSecret') ?? (connection ? 'A secret is stored (never shown again). Leave this empty to keep it.' : '32 characters or more; stored sealed, never shown again')}
              inputProps={{ maxLength: 200, 'data-testid': 'jwt-secret', style: s.jwt.generated ? { fontFamily: 'monospace' } : undefined }}
              InputProps={{ endAdornment: s.jwt.generated ? <CopyButton value={s.jwt.sharedSecret} label="Copy the shared secret" /> : undefined }}
              sx={{ flexGrow: 1 }}
            />
            <Button variant="outlined" startIcon={<AutorenewIcon />} onClick={() => setJwt({ sharedSecret: generateSecret(), generated: true })} sx={{ mt: 1, whiteSpace: 'nowrap' }}>
              Generate
            </Button>
          </Stack>
          {s.jwt.generated && (
            <Alert severity="warning">Copy this secret into your sign-in page’s settings now: once saved it is stored sealed, and never shown again.</Alert>
          )}
        </Section>
      )}

      <Section title="Email domains" subheader="People whose address is at one of these domains go straight to this provider from the sign-in page">
        <TextField
          label="Domains"
          value={s.domains}
          onChange={(e) => set('domains', e.target.value)}
          placeholder="example.com, example.org"
          error={!!err('domains')}
          helperText={err('domains') ?? 'Separated by commas. A domain can belong to one connection only. New accounts and links are made only for addresses at these domains (with none, new accounts for any address, no links).'}
        />
      </Section>

      <Section title="Accounts" subheader="What happens the first time someone signs in through this connection">
        <FormControlLabel
          control={<Switch checked={s.provisionUsers} onChange={(e) => set('provisionUsers', e.target.checked)} />}
          label="Create an account for people who have none yet"
        />
        <TextField
          select
          label="Role of new accounts"
          value={s.defaultRole}
          onChange={(e) => set('defaultRole', e.target.value)}
          disabled={!s.provisionUsers}
          error={!!err('defaultRole')}
          helperText={err('defaultRole') ?? 'When no mapping rule below gives one'}
          sx={{ maxWidth: 320 }}
        >
          {assignable.map((r) => (
            <MenuItem key={r.key} value={r.key}>
              {r.name}
            </MenuItem>
          ))}
        </TextField>
        <FormControlLabel
          sx={{ alignItems: 'flex-start', '& .MuiSwitch-root': { mt: -0.75 } }}
          control={<Switch checked={s.linkByEmail} onChange={(e) => set('linkByEmail', e.target.checked)} />}
          label={
            <Box>
              <Typography>Link an existing account that has the same email</Typography>
              <Typography variant="caption" color="text.secondary" component="div">
                Only when the provider says it verified the email and the address is at one of the domains above. Turn it on for a provider you trust: whoever it vouches for gets that account.
              </Typography>
            </Box>
          }
        />
      </Section>

      <MappingCard value={s.mapping} onChange={(m) => set('mapping', m)} roles={roles} groups={groups} defaultRole={s.defaultRole} errors={errors} />

      <Stack direction="row" spacing={2} alignItems="center" sx={{ py: 1 }}>
        <Button type="submit" variant="contained" disabled={busy} startIcon={busy ? <CircularProgress size={16} /> : undefined}>
          {submitLabel}
        </Button>
        <Button onClick={onCancel}>Cancel</Button>
        <Box sx={{ flexGrow: 1 }}>
          {formError && (
            <Alert severity="error" sx={{ py: 0 }}>
              {formError}
            </Alert>
          )}
        </Box>
        {extraActions}
      </Stack>
    </Box>
  );
}
