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
 * and counts its rows; nothing changes), the workspace's name typed to confirm, then the restore.
 * Both calls need a recent password confirmation. A real restore ends every session, so the last
 * step is a page of its own outside the signed-in console.
 */
export function RestoreWizard({ run, slug, onClose }: { run: BackupRun | null; slug: string | undefined; onClose: () => void }) {
  const navigate = useNavigate();
  const [step, setStep] = useState(0);
  const [dry, setDry] = useState<RestoreResult | null>(null);
  const [typed, setTyped] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (run) {
      setStep(0);
      setDry(null);
      setTyped('');
      setError(null);
    }
  }, [run]);

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
      const result = await withReauth(() => restore(run.id, false, typed.trim()));
      navigate(`/${RESTORED_PATH}`, { state: { result, slug } });
    } catch (e) {
      setError(serverMessage(e));
      setBusy(false);
    }
  };
  const close = () => !busy && onClose();
  const confirmed = !!slug && typed.trim() === slug;

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
          Cancel
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
              color="error"
              onClick={restoreNow}
              disabled={!confirmed || busy}
              startIcon={busy ? <CircularProgress size={16} color="inherit" /> : <RestoreIcon />}
            >
              Restore the workspace
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
