import RestoreIcon from '@mui/icons-material/SettingsBackupRestore';
import {
  Alert,
  AlertTitle,
  Box,
  Button,
  Card,
  CardContent,
  CircularProgress,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  FormControlLabel,
  Radio,
  RadioGroup,
  Stack,
  Step,
  StepLabel,
  Stepper,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  TextField,
  Typography,
} from '@mui/material';
import { useEffect, useState } from 'react';
import { useLocation, useLogout, useNavigate } from 'react-admin';
import { withReauth } from '@bulwark/platform-console';
import { serverMessage, when } from './backups.common';
import { restore, type BackupRun, type RestoreResult } from './backups.data';
import { formatBytes, shortHash, tableLabel } from './backups.format';

const STEPS = ['Dry run', 'Confirm', 'Restored'];
type Target = 'replace' | 'copy';

/** Where the wizard ends: outside the signed-in layout, since the restore ended every session. */
export const RESTORED_PATH = 'backup-restored';

function CountsTable({ counts }: { counts: Record<string, number> }) {
  const all = Object.entries(counts);
  const rows = all.filter(([, n]) => n > 0).sort(([a, x], [b, y]) => y - x || a.localeCompare(b));
  const empty = all.length - rows.length;
  const total = rows.reduce((n, [, c]) => n + c, 0);
  return (
    <Box sx={{ maxHeight: 320, overflow: 'auto', border: 1, borderColor: 'divider', borderRadius: 1 }}>
      <Table size="small" stickyHeader aria-label="Rows per table">
        <TableHead>
          <TableRow>
            <TableCell>Table</TableCell>
            <TableCell align="right">Rows</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {rows.map(([table, n]) => (
            <TableRow key={table}>
              <TableCell title={table}>{tableLabel(table)}</TableCell>
              <TableCell align="right">{n.toLocaleString()}</TableCell>
            </TableRow>
          ))}
          {empty > 0 && (
            <TableRow>
              <TableCell sx={{ color: 'text.secondary' }} title={all.filter(([, n]) => !n).map(([t]) => t).join(', ')}>
                {empty} other {empty === 1 ? 'table' : 'tables'}
              </TableCell>
              <TableCell align="right" sx={{ color: 'text.secondary' }}>
                0
              </TableCell>
            </TableRow>
          )}
          <TableRow>
            <TableCell sx={{ fontWeight: 600 }}>Total</TableCell>
            <TableCell align="right" sx={{ fontWeight: 600 }}>
              {total.toLocaleString()}
            </TableCell>
          </TableRow>
        </TableBody>
      </Table>
    </Box>
  );
}

/**
 * Restoring a backup in three steps: a dry run (the server reads and verifies the whole archive
 * and counts its rows; nothing changes), the target, then the restore. Over this workspace, its
 * name is typed to confirm; that ends every session, so the last step is a page of its own outside
 * the signed-in console. Into a new workspace (a sandbox copy), nothing here changes and the
 * dialog itself says where to sign in. Every call needs a recent password confirmation.
 */
export function RestoreWizard({ run, slug, onClose }: { run: BackupRun | null; slug: string | undefined; onClose: () => void }) {
  const navigate = useNavigate();
  const [step, setStep] = useState(0);
  const [dry, setDry] = useState<RestoreResult | null>(null);
  const [typed, setTyped] = useState('');
  const [target, setTarget] = useState<Target>('replace');
  const [copy, setCopy] = useState({ slug: '', name: '' });
  const [copied, setCopied] = useState<RestoreResult | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (run) {
      setStep(0);
      setDry(null);
      setTyped('');
      setTarget('replace');
      setCopy({ slug: slug ? `${slug}-copy` : '', name: '' });
      setCopied(null);
      setError(null);
    }
  }, [run, slug]);

  const dryRun = async () => {
    if (!run) return;
    setBusy(true);
    setError(null);
    try {
      setDry(await withReauth(() => restore(run.id, true)));
    } catch (e) {
      setError(serverMessage(e));
    } finally {
      setBusy(false);
    }
  };
  const restoreNow = async () => {
    if (!run || !slug) return;
    setBusy(true);
    setError(null);
    try {
      if (target === 'copy') {
        setCopied(await withReauth(() => restore(run.id, false, { newWorkspace: { slug: copy.slug.trim(), name: copy.name.trim() } })));
        setStep(2);
        setBusy(false);
        return;
      }
      const result = await withReauth(() => restore(run.id, false, { confirm: typed.trim() }));
      navigate(`/${RESTORED_PATH}`, { state: { result, slug } });
    } catch (e) {
      setError(serverMessage(e));
      setBusy(false);
    }
  };
  const close = () => !busy && onClose();
  const confirmed = target === 'copy' ? /^[a-z0-9][a-z0-9-]{1,62}$/.test(copy.slug.trim()) && !!copy.name.trim() : !!slug && typed.trim() === slug;

  return (
    <Dialog open={!!run} onClose={close} aria-labelledby="restore-title" maxWidth="sm" fullWidth>
      <DialogTitle id="restore-title">Restore from a backup</DialogTitle>
      <DialogContent>
        <Stepper activeStep={step} sx={{ mb: 3 }}>
          {STEPS.map((s) => (
            <Step key={s}>
              <StepLabel>{s}</StepLabel>
            </Step>
          ))}
        </Stepper>
        {run && (
          <Typography variant="body2" color="text.secondary" sx={{ mb: 2 }}>
            Backup of <strong>{when(run.createdAt)}</strong> · {formatBytes(run.sizeBytes)} · {run.rows?.toLocaleString() ?? '?'} rows · SHA-256{' '}
            <Box component="span" sx={{ fontFamily: 'monospace' }}>
              {run.sha256 ? shortHash(run.sha256) : '—'}
            </Box>
          </Typography>
        )}
        {error && (
          <Alert severity="error" sx={{ mb: 2 }}>
            {error}
          </Alert>
        )}
        {step === 0 && (
          <Stack spacing={2}>
            <Typography variant="body2">
              First a dry run: the server reads the whole archive, checks that it decrypts and matches its checksums, and counts the rows it would restore. Nothing is changed.
            </Typography>
            {dry ? (
              <>
                <Alert severity="success">
                  The backup is readable: {dry.rows.toLocaleString()} rows in {Object.keys(dry.counts).length} tables, written {when(dry.backupCreatedAt)}.
                </Alert>
                <CountsTable counts={dry.counts} />
                <Typography variant="caption" color="text.secondary">
                  Database schema of the backup: {dry.schema}
                </Typography>
              </>
            ) : (
              <Box>
                <Button variant="outlined" onClick={dryRun} disabled={busy} startIcon={busy ? <CircularProgress size={16} /> : undefined}>
                  Start the dry run
                </Button>
              </Box>
            )}
          </Stack>
        )}
        {step === 1 && (
          <RadioGroup row value={target} onChange={(e) => setTarget(e.target.value as Target)} aria-label="Restore into" sx={{ mb: 2 }}>
            <FormControlLabel value="replace" control={<Radio />} label="Over this workspace" />
            <FormControlLabel value="copy" control={<Radio />} label="Into a new workspace (a copy)" />
          </RadioGroup>
        )}
        {step === 1 && target === 'copy' && (
          <Stack spacing={2}>
            <Alert severity="info">
              A new workspace is made from the backup, a sandbox to look at or test with. <strong>{slug}</strong> is not changed and nobody is signed out. Its people sign in to
              the new workspace with the passwords and second factors they had when the backup was made.
            </Alert>
            <TextField
              autoFocus
              label="New workspace name (sign-in name)"
              value={copy.slug}
              onChange={(e) => setCopy({ ...copy, slug: e.target.value.toLowerCase() })}
              helperText="2 to 63 lowercase letters, digits or dashes"
              autoComplete="off"
              slotProps={{ htmlInput: { spellCheck: false } }}
            />
            <TextField label="Display name" value={copy.name} onChange={(e) => setCopy({ ...copy, name: e.target.value })} autoComplete="off" />
          </Stack>
        )}
        {step === 2 && copied && (
          <Stack spacing={2}>
            <Alert severity="success">
              <AlertTitle>Workspace {copied.newWorkspaceSlug} created</AlertTitle>
              {copied.rows.toLocaleString()} rows copied from the backup of {when(copied.backupCreatedAt)}. Sign in to <strong>{copied.newWorkspaceSlug}</strong> with the password you
              had then. {slug} is unchanged.
            </Alert>
            <CountsTable counts={copied.counts} />
          </Stack>
        )}
        {step === 1 && target === 'replace' && (
          <Stack spacing={2}>
            <Alert severity="error">
              <AlertTitle>This replaces all of the workspace’s data</AlertTitle>
              Tickets, comments, people, roles and settings in <strong>{slug}</strong> become what they were on {run ? when(run.createdAt) : 'the day of the backup'}. Anything changed since then
              is lost.
            </Alert>
            <Alert severity="warning">
              Everyone is signed out, you included, and API tokens stop working: sessions and tokens are not part of a backup. People sign in again with the passwords they had
              when the backup was made. The audit log is kept (the restore is recorded in it).
            </Alert>
            <TextField
              autoFocus
              label="Workspace name"
              value={typed}
              onChange={(e) => setTyped(e.target.value)}
              helperText={`Type “${slug ?? ''}” to confirm`}
              autoComplete="off"
              slotProps={{ htmlInput: { spellCheck: false } }}
            />
          </Stack>
        )}
      </DialogContent>
      <DialogActions>
        <Button onClick={close} disabled={busy}>
          {step === 2 ? 'Close' : 'Cancel'}
        </Button>
        {step === 0 && (
          <Button variant="contained" onClick={() => setStep(1)} disabled={!dry || busy}>
            Next
          </Button>
        )}
        {step === 1 && (
          <>
            <Button onClick={() => setStep(0)} disabled={busy}>
              Back
            </Button>
            <Button
              variant="contained"
              color={target === 'copy' ? 'primary' : 'error'}
              onClick={restoreNow}
              disabled={!confirmed || busy}
              startIcon={busy ? <CircularProgress size={16} color="inherit" /> : <RestoreIcon />}
            >
              {target === 'copy' ? 'Create the copy' : 'Restore the workspace'}
            </Button>
          </>
        )}
      </DialogActions>
    </Dialog>
  );
}

/** The wizard's last step, reached after a real restore: what was restored, and sign in again. */
export function RestoredPage() {
  const logout = useLogout();
  const state = useLocation().state as { result?: RestoreResult; slug?: string } | null;
  const result = state?.result;
  return (
    <Box sx={{ minHeight: '100vh', display: 'grid', placeItems: 'center', bgcolor: 'grey.100', p: 2 }}>
      <Card sx={{ width: 560, maxWidth: '100%' }} aria-label="Workspace restored">
        <CardContent>
          <Stack spacing={2}>
            <Typography variant="h5">Workspace restored</Typography>
            <Stepper activeStep={STEPS.length}>
              {STEPS.map((s) => (
                <Step key={s}>
                  <StepLabel>{s}</StepLabel>
                </Step>
              ))}
            </Stepper>
            <Alert severity="success">
              {result
                ? `${state?.slug ? `${state.slug}: ` : ''}${result.rows.toLocaleString()} rows restored from the backup of ${when(result.backupCreatedAt)}.`
                : 'The workspace was restored from a backup.'}
            </Alert>
            {result && <CountsTable counts={result.counts} />}
            <Alert severity="warning">
              <AlertTitle>Everyone has been signed out</AlertTitle>
              Sessions are not part of a backup, so every session ended with the restore, yours too. Sign in again with the password you had when the backup was made; so does everyone
              else. API tokens were not restored either: integrations need new ones.
            </Alert>
            {/* Back to the dashboard after signing in, not to this page. */}
            <Button variant="contained" onClick={() => logout({}, '/login', false)}>
              Sign in again
            </Button>
          </Stack>
        </CardContent>
      </Card>
    </Box>
  );
}
