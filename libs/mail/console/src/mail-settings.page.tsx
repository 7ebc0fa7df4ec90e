import { Alert, Box, Button, Card, CardContent, CardHeader, FormControlLabel, Radio, RadioGroup, Stack, TextField, Typography } from '@mui/material';
import { useCallback, useEffect, useState } from 'react';
import { Title, useNotify } from 'react-admin';
import { ConfirmAction, gql, OneTimeSecretDialog, useFormSave, withReauth, type Api } from '@bulwark/platform-console';

type Settings = Pick<Api.MailSettings, 'workspaceAddress' | 'domain' | 'forwardingAddresses' | 'senderPolicy' | 'inboundSecretSet' | 'inboundUrl' | 'maxBytes'> & {
  listener: Pick<Api.MailListener, 'host' | 'port' | 'tls'> | null;
};

const FIELDS = 'workspaceAddress domain forwardingAddresses senderPolicy inboundSecretSet inboundUrl maxBytes listener { host port tls }';
const LOAD = `{ mailSettings { ${FIELDS} } }`;
const SAVE = `mutation($i: MailSettingsInput!) { updateMailSettings(input: $i) { ${FIELDS} } }`;
const ROTATE = `mutation { rotateMailInboundSecret { secret settings { ${FIELDS} } } }`;

const mebibytes = (n: number) => `${Math.round((n / 1024 / 1024) * 10) / 10} MB`;

/** The address to hand out, and how mail reaches it from the workspace's own support address. */
function AddressCard({ s }: { s: Settings }) {
  return (
    <Card>
      <CardHeader title="Your help desk’s address" subheader="Mail sent here becomes a ticket; replies to our notifications come back to the same ticket" />
      <CardContent>
        <Stack spacing={2}>
          <Typography variant="h6" component="p" sx={{ fontFamily: 'monospace' }} aria-label="Workspace address">
            {s.workspaceAddress}
          </Typography>
          <Typography variant="body2">
            Give this address to the people you support, or keep your own support address (such as support@yourcompany.com) and have your mail system forward everything it
            receives to the address above. In Google Workspace that is a routing rule or a forwarding address; in Microsoft 365 a mail flow rule or a forwarding setting on the
            shared mailbox. Then add your own address below, so that mail sent from it is never taken for a new request.
          </Typography>
          <Typography variant="body2" color="text.secondary">
            Messages up to {mebibytes(s.maxBytes)} are accepted.{' '}
            {s.listener
              ? `This installation receives mail itself on ${s.listener.host}, port ${s.listener.port}${s.listener.tls ? ', with encryption (STARTTLS)' : ''}.`
              : 'This installation does not receive mail itself: mail reaches it through a mail provider posting to the address below.'}
          </Typography>
        </Stack>
      </CardContent>
    </Card>
  );
}

function ForwardingAndPolicyCard({ s, onSaved }: { s: Settings; onSaved: (s: Settings) => void }) {
  const { busy, errors, save } = useFormSave();
  const [addresses, setAddresses] = useState(s.forwardingAddresses.join('\n'));
  const [policy, setPolicy] = useState<Api.MailSenderPolicy>(s.senderPolicy);
  useEffect(() => {
    setAddresses(s.forwardingAddresses.join('\n'));
    setPolicy(s.senderPolicy);
  }, [s]);

  const submit = async () => {
    const forwardingAddresses = addresses
      .split(/[\n,;]+/)
      .map((a) => a.trim())
      .filter(Boolean);
    const d = await save(() => withReauth(() => gql<{ updateMailSettings: Settings }>(SAVE, { i: { forwardingAddresses, senderPolicy: policy } })), 'Mail settings saved');
    if (d) onSaved(d.updateMailSettings);
  };

  return (
    <Card>
      <CardHeader title="Forwarding and sender verification" />
      <CardContent>
        <Stack spacing={3}>
          <TextField
            label="Your own support addresses that forward here"
            multiline
            minRows={2}
            value={addresses}
            onChange={(e) => setAddresses(e.target.value)}
            error={!!errors.forwardingAddresses}
            helperText={errors.forwardingAddresses ?? 'One per line. Mail from these addresses is never filed: it would be your own mail coming back.'}
            sx={{ maxWidth: 600 }}
          />
          <Box>
            <Typography variant="subtitle1" component="h3">
              Mail whose sender cannot be verified
            </Typography>
            <Typography variant="body2" color="text.secondary" sx={{ mb: 1 }}>
              Anyone can write any address in the From: line of an email. A message is attached to the person it names only when their mail provider vouches for it (an
              aligned SPF or DKIM check, as DMARC defines). What happens to the others:
            </Typography>
            <RadioGroup value={policy} onChange={(e) => setPolicy(e.target.value as Api.MailSenderPolicy)} aria-label="Sender verification">
              <FormControlLabel value="HOLD" control={<Radio />} label="Hold it for an admin to release or discard (recommended)" />
              <FormControlLabel value="UNVERIFIED" control={<Radio />} label="File it at once as a ticket from an unverified sender, attached to nobody" />
            </RadioGroup>
            {errors.senderPolicy && <Alert severity="error">{errors.senderPolicy}</Alert>}
          </Box>
          <Box>
            <Button variant="contained" onClick={submit} disabled={busy}>
              Save mail settings
            </Button>
          </Box>
        </Stack>
      </CardContent>
    </Card>
  );
}

/** The HTTP endpoint's secret: made here, shown once, never again. */
function EndpointCard({ s, onSaved }: { s: Settings; onSaved: (s: Settings) => void }) {
  const [secret, setSecret] = useState<string | null>(null);
  const rotate = async () => {
    const d = await gql<{ rotateMailInboundSecret: { secret: string; settings: Settings } }>(ROTATE);
    onSaved(d.rotateMailInboundSecret.settings);
    setSecret(d.rotateMailInboundSecret.secret);
  };
  return (
    <Card>
      <CardHeader title="Receiving through a mail provider" subheader="For providers that post each message to a web address instead of delivering it by SMTP" />
      <CardContent>
        <Stack spacing={2}>
          <Typography variant="body2">
            Have the provider post the raw message to <code>{s.inboundUrl}</code> with the header <code>Authorization: Bearer</code> and the secret below. The secret alone decides
            which help desk the message is for.
          </Typography>
          <Typography variant="body2" color="text.secondary">
            {s.inboundSecretSet ? 'A secret is set. Making a new one stops the old one at once.' : 'No secret yet: the address above refuses every message.'}
          </Typography>
          <Box>
            <ConfirmAction
              name={s.inboundSecretSet ? 'Make a new inbound mail secret' : 'Make an inbound mail secret'}
              label={s.inboundSecretSet ? 'Make a new secret' : 'Make a secret'}
              title={s.inboundSecretSet ? 'Make a new secret?' : 'Make a secret?'}
              content={s.inboundSecretSet ? 'The provider’s current secret stops working now; give it the new one.' : 'It will be shown once; copy it into your mail provider.'}
              confirm="Make it"
              run={rotate}
              done="New secret made"
            />
          </Box>
        </Stack>
      </CardContent>
      <OneTimeSecretDialog
        value={secret}
        title="Your inbound mail secret"
        warning="Copy this secret into your mail provider now: it will not be shown again. Anyone holding it can file mail into this help desk."
        copyLabel="Copy the secret"
        testId="mail-inbound-secret"
        onClose={() => setSecret(null)}
      />
    </Card>
  );
}

/** How the workspace takes email in (admins with mail.manage). */
export function MailSettingsPage() {
  const notify = useNotify();
  const [settings, setSettings] = useState<Settings | null>(null);
  const load = useCallback(() => {
    gql<{ mailSettings: Settings }>(LOAD)
      .then((d) => setSettings(d.mailSettings))
      .catch((e) => notify((e as Error).message, { type: 'error' }));
  }, [notify]);
  useEffect(load, [load]);

  if (!settings) return <Typography sx={{ p: 2 }}>Loading…</Typography>;
  return (
    <Box sx={{ p: 2, display: 'grid', gap: 2, maxWidth: 900 }}>
      <Title title="Mail" />
      <AddressCard s={settings} />
      <ForwardingAndPolicyCard s={settings} onSaved={setSettings} />
      <EndpointCard s={settings} onSaved={setSettings} />
    </Box>
  );
}
