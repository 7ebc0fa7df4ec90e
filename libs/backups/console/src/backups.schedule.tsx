import LockIcon from '@mui/icons-material/Lock';
import {
  Alert,
  Autocomplete,
  Box,
  Button,
  Card,
  CardContent,
  CardHeader,
  Chip,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  Divider,
  FormControlLabel,
  List,
  ListItem,
  Radio,
  RadioGroup,
  Stack,
  Switch,
  TextField,
  Typography,
} from '@mui/material';
import { useEffect, useMemo, useState } from 'react';
import { useNotify } from 'react-admin';
import { GraphQLRequestError, withReauth } from '@bulwark/platform-console';
import { ENCRYPTION, inZone, localTime, localZone, serverMessage } from './backups.common';
import { AES, OPENPGP, saveSchedule, setEncryption, type BackupSchedule } from './backups.data';
import { cronInWords, groupFingerprint } from './backups.format';

/** Common schedules, one click away (the field takes any five-field cron expression). */
const PRESETS = [
  { label: 'Daily 02:00', cron: '0 2 * * *' },
  { label: 'Weekdays 02:00', cron: '0 2 * * 1-5' },
  { label: 'Sundays 03:00', cron: '0 3 * * 0' },
  { label: 'Every 6 hours', cron: '0 */6 * * *' },
  { label: 'Monthly, 1st 03:00', cron: '0 3 1 * *' },
];

interface Form {
  cron: string;
  timezone: string;
  retentionCount: string;
  enabled: boolean;
}
const formOf = (s: BackupSchedule): Form => ({ cron: s.cron, timezone: s.timezone, retentionCount: String(s.retentionCount), enabled: s.enabled });

/** The zones this browser knows (IANA names), plus UTC and whatever is saved, so both show. */
function useTimeZones(current: string) {
  return useMemo(() => {
    let zones: string[] = [];
    try {
      zones = Intl.supportedValuesOf('timeZone');
    } catch {
      // An older browser: the saved zone and UTC still show.
    }
    return [...new Set(['UTC', ...zones, current])].sort((a, b) => (a === 'UTC' ? -1 : b === 'UTC' ? 1 : a.localeCompare(b)));
  }, [current]);
}

/** The five next runs as the server computed them, in the schedule's zone (and the viewer's, when different). */
function NextRuns({ schedule, dirty }: { schedule: BackupSchedule; dirty: boolean }) {
  const mine = localZone();
  return (
    <Box>
      <Typography variant="subtitle2">Next runs</Typography>
      <Typography variant="caption" color="text.secondary" component="p">
        Computed by the server for the saved schedule, in {schedule.timezone}
        {mine !== schedule.timezone && ` (your time zone: ${mine})`}
      </Typography>
      {dirty && (
        <Alert severity="info" sx={{ my: 1, py: 0 }}>
          Save to see the runs of the changed schedule.
        </Alert>
      )}
      {!schedule.enabled ? (
        <Typography variant="body2" color="text.secondary" sx={{ mt: 1 }}>
          Scheduled backups are off: only backups started by hand (or from the CLI) run.
        </Typography>
      ) : (
        <List dense aria-label="Next runs" sx={{ py: 0 }}>
          {schedule.nextRuns.map((iso) => (
            <ListItem key={iso} disableGutters sx={{ py: 0.25 }}>
              <Typography variant="body2" sx={{ fontVariantNumeric: 'tabular-nums' }}>
                {inZone(iso, schedule.timezone)}
                {mine !== schedule.timezone && (
                  <Typography component="span" variant="body2" color="text.secondary">
                    {' '}
                    · {localTime(iso)} your time
                  </Typography>
                )}
              </Typography>
            </ListItem>
          ))}
        </List>
      )}
    </Box>
  );
}

/**
 * When backups run (cron, in a time zone), how many are kept, whether the schedule is on. The
 * run times come from the server after each save: it alone decides what a cron expression means.
 */
export function ScheduleCard({ schedule, canManage, onSaved }: { schedule: BackupSchedule; canManage: boolean; onSaved: (s: BackupSchedule) => void }) {
  const notify = useNotify();
  const [form, setForm] = useState<Form>(() => formOf(schedule));
  const [error, setError] = useState<{ message: string; fields: Record<string, string> } | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => setForm(formOf(schedule)), [schedule]);
  /** An edit answers the last error: it goes until the next save says otherwise. */
  const edit = (change: Partial<Form>) => {
    setForm((f) => ({ ...f, ...change }));
    setError(null);
  };
  const zones = useTimeZones(schedule.timezone);
  const saved = formOf(schedule);
  const dirty = (Object.keys(saved) as (keyof Form)[]).some((k) => saved[k] !== form[k]);
  const keep = Number(form.retentionCount);
  const keepValid = Number.isInteger(keep) && keep >= 1 && keep <= 100;

  const save = async () => {
    setBusy(true);
    setError(null);
    try {
      const s = await saveSchedule({ cron: form.cron.trim(), timezone: form.timezone, retentionCount: keep, enabled: form.enabled });
      onSaved(s);
      notify(`Schedule saved: ${s.enabled ? `${cronInWords(s.cron)} (${s.timezone})` : 'scheduled backups are off'}`, { type: 'success' });
    } catch (e) {
      const fields = e instanceof GraphQLRequestError ? (e.fields ?? {}) : {};
      setError({ message: serverMessage(e), fields });
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card>
      <CardHeader title="Schedule" subheader="When backups run by themselves, and how many are kept" />
      <CardContent sx={{ pt: 0 }}>
        <Stack spacing={2}>
          {error && (
            <Alert severity="error" onClose={() => setError(null)}>
              {error.message}
            </Alert>
          )}
          <Box>
            <TextField
              label="Cron expression"
              value={form.cron}
              onChange={(e) => edit({ cron: e.target.value })}
              disabled={!canManage}
              fullWidth
              error={!!error?.fields.cron}
              helperText={cronInWords(form.cron)}
              slotProps={{
                htmlInput: { maxLength: 100, spellCheck: false, style: { fontFamily: 'monospace' } },
                formHelperText: { sx: { fontSize: '0.85rem' } },
              }}
            />
            <Typography variant="caption" color="text.secondary" component="p" sx={{ mx: 1.75, mt: 0.25 }}>
              minute · hour · day of month · month · day of week — at most once an hour
            </Typography>
            {canManage && (
              <Stack direction="row" spacing={1} useFlexGap flexWrap="wrap" sx={{ mt: 1 }}>
                {PRESETS.map((p) => (
                  <Chip key={p.cron} size="small" variant={form.cron.trim() === p.cron ? 'filled' : 'outlined'} label={p.label} onClick={() => edit({ cron: p.cron })} />
                ))}
              </Stack>
            )}
          </Box>
          <Stack direction={{ xs: 'column', sm: 'row' }} spacing={2}>
            <Autocomplete
              options={zones}
              value={form.timezone}
              onChange={(_, v) => v && edit({ timezone: v })}
              disableClearable
              disabled={!canManage}
              sx={{ flexGrow: 1 }}
              renderInput={(params) => <TextField {...params} label="Time zone" error={!!error?.fields.timezone} />}
            />
            <TextField
              type="number"
              label="Backups kept"
              value={form.retentionCount}
              onChange={(e) => edit({ retentionCount: e.target.value })}
              disabled={!canManage}
              error={!keepValid || !!error?.fields.retentionCount}
              helperText={keepValid ? 'Older ones are deleted' : 'From 1 to 100'}
              slotProps={{ htmlInput: { min: 1, max: 100 } }}
              sx={{ width: { sm: 200 }, flexShrink: 0 }}
            />
          </Stack>
          <Stack direction="row" alignItems="center" spacing={2}>
            <FormControlLabel
              control={<Switch checked={form.enabled} onChange={(e) => edit({ enabled: e.target.checked })} disabled={!canManage} />}
              label="Scheduled backups on"
              sx={{ flexGrow: 1 }}
            />
            {canManage && (
              <>
                <Button onClick={() => {
                    setForm(saved);
                    setError(null);
                  }} disabled={!dirty || busy}>
                  Reset
                </Button>
                <Button variant="contained" onClick={save} disabled={!dirty || busy || !keepValid || !form.cron.trim()}>
                  Save
                </Button>
              </>
            )}
          </Stack>
          {!canManage && (
            <Typography variant="caption" color="text.secondary">
              Changing the schedule needs the “run backups and change schedules” permission.
            </Typography>
          )}
          <Divider />
          <NextRuns schedule={schedule} dirty={dirty} />
        </Stack>
      </CardContent>
    </Card>
  );
}

function EncryptionDialog({ open, schedule, onClose, onSaved }: { open: boolean; schedule: BackupSchedule; onClose: () => void; onSaved: (s: BackupSchedule) => void }) {
  const notify = useNotify();
  const [mode, setMode] = useState(schedule.encryption);
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (open) {
      setMode(schedule.encryption === AES ? OPENPGP : AES);
      setKey('');
      setError(null);
    }
  }, [open, schedule.encryption]);
  const save = async () => {
    setBusy(true);
    setError(null);
    try {
      const s = await withReauth(() => setEncryption(mode, mode === OPENPGP ? key.trim() : null));
      onSaved(s);
      onClose();
      notify(s.encryption === OPENPGP ? `New backups are encrypted to the OpenPGP key ${groupFingerprint(s.openpgpFingerprint ?? '')}` : 'New backups are encrypted with AES-256-GCM', {
        type: 'success',
      });
    } catch (e) {
      setError(serverMessage(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog open={open} onClose={onClose} aria-labelledby="encryption-title" maxWidth="sm" fullWidth>
      <DialogTitle id="encryption-title">Backup encryption</DialogTitle>
      <DialogContent>
        <Stack spacing={2}>
          {error && <Alert severity="error">{error}</Alert>}
          <RadioGroup value={mode} onChange={(e) => setMode(e.target.value)} aria-label="Encryption">
            <FormControlLabel
              value={AES}
              control={<Radio />}
              label={
                <Box>
                  <Typography variant="body2">AES-256-GCM, with a key the server keeps</Typography>
                  <Typography variant="caption" color="text.secondary">
                    Backups can be restored from the console.
                  </Typography>
                </Box>
              }
            />
            <FormControlLabel
              value={OPENPGP}
              control={<Radio />}
              label={
                <Box>
                  <Typography variant="body2">OpenPGP, to your public key</Typography>
                  <Typography variant="caption" color="text.secondary">
                    Only the holder of the private key can read them: restore from the CLI, from the file you decrypted.
                  </Typography>
                </Box>
              }
            />
          </RadioGroup>
          {mode === OPENPGP && (
            <TextField
              label="Public key (ASCII-armored)"
              value={key}
              onChange={(e) => setKey(e.target.value)}
              multiline
              minRows={6}
              maxRows={12}
              placeholder={'-----BEGIN PGP PUBLIC KEY BLOCK-----\n…\n-----END PGP PUBLIC KEY BLOCK-----'}
              helperText="gpg --armor --export <fingerprint>"
              slotProps={{ htmlInput: { spellCheck: false, style: { fontFamily: 'monospace', fontSize: 12 } } }}
            />
          )}
          <Typography variant="caption" color="text.secondary">
            Applies to the next backups; existing ones stay as they were written. You may be asked for your password.
          </Typography>
        </Stack>
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose}>Cancel</Button>
        <Button variant="contained" onClick={save} disabled={busy || (mode === OPENPGP ? !key.trim() : schedule.encryption === AES)}>
          {mode === OPENPGP ? 'Use this key' : 'Use AES-256-GCM'}
        </Button>
      </DialogActions>
    </Dialog>
  );
}

/** How backups are encrypted (and to which OpenPGP key) and where they are stored. */
export function EncryptionCard({ schedule, canManage, onSaved }: { schedule: BackupSchedule; canManage: boolean; onSaved: (s: BackupSchedule) => void }) {
  const [open, setOpen] = useState(false);
  const pgp = schedule.encryption === OPENPGP;
  return (
    <Card>
      <CardHeader title="Encryption & storage" subheader="Every backup is encrypted before it is stored" />
      <CardContent sx={{ pt: 0 }}>
        <Stack spacing={1.5}>
          <Stack direction="row" spacing={1} alignItems="center">
            <Typography variant="body2" sx={{ width: 90 }} color="text.secondary">
              Encryption
            </Typography>
            <Chip size="small" icon={<LockIcon />} label={ENCRYPTION[schedule.encryption] ?? schedule.encryption} color="primary" variant="outlined" data-testid="backup-encryption" />
          </Stack>
          {pgp && (
            <Stack direction="row" spacing={1} alignItems="baseline">
              <Typography variant="body2" sx={{ width: 90, flexShrink: 0 }} color="text.secondary">
                Key
              </Typography>
              <Typography variant="body2" sx={{ fontFamily: 'monospace', wordBreak: 'break-word' }} data-testid="openpgp-fingerprint">
                {schedule.openpgpFingerprint ? groupFingerprint(schedule.openpgpFingerprint) : 'unknown'}
              </Typography>
            </Stack>
          )}
          <Stack direction="row" spacing={1} alignItems="center">
            <Typography variant="body2" sx={{ width: 90 }} color="text.secondary">
              Storage
            </Typography>
            <Typography variant="body2">{schedule.storage === 's3' ? 'S3 bucket' : schedule.storage === 'local' ? 'Server disk (local)' : schedule.storage}</Typography>
          </Stack>
          <Typography variant="caption" color="text.secondary">
            {pgp
              ? 'Encrypted to your OpenPGP key: the server cannot read them back. Restore them with the CLI.'
              : 'Encrypted with a key the server keeps (sealed by its master key): they can be restored from the console.'}{' '}
            Storage is set in the server’s configuration.
          </Typography>
          {canManage && (
            <Box>
              <Button variant="outlined" size="small" onClick={() => setOpen(true)}>
                {pgp ? 'Change encryption…' : 'Switch to OpenPGP…'}
              </Button>
            </Box>
          )}
        </Stack>
      </CardContent>
      <EncryptionDialog open={open} schedule={schedule} onClose={() => setOpen(false)} onSaved={onSaved} />
    </Card>
  );
}
