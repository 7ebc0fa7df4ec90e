import DownloadIcon from '@mui/icons-material/Download';
import VerifiedIcon from '@mui/icons-material/VerifiedUser';
import { Alert, Button, CircularProgress, Dialog, DialogActions, DialogContent, DialogTitle, ListItemText, Menu, MenuItem, Typography } from '@mui/material';
import { useState } from 'react';
import { Link, useCreatePath, useListContext, useNotify, usePermissions } from 'react-admin';
import { downloadOnce, gql } from '@bulwark/platform-console';
import { toAuditFilter } from './audit.data';

interface Verification {
  ok: boolean;
  checked: number;
  headSeq: number;
  brokenSeq: number | null;
  brokenEventId: string | null;
  reason: string | null;
}

/** Walks the hash chain on the server (a recorded action) and says whether it holds, or where it breaks. */
export function VerifyChainButton() {
  const notify = useNotify();
  const createPath = useCreatePath();
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<Verification | null>(null);
  const verify = async () => {
    setBusy(true);
    try {
      const d = await gql<{ verifyAuditChain: Verification }>(`mutation { verifyAuditChain { ok checked headSeq brokenSeq brokenEventId reason } }`);
      setResult(d.verifyAuditChain);
    } catch (e) {
      notify((e as Error).message, { type: 'error' });
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <Button size="small" startIcon={busy ? <CircularProgress size={16} /> : <VerifiedIcon />} onClick={verify} disabled={busy}>
        Verify chain
      </Button>
      <Dialog open={!!result} onClose={() => setResult(null)} aria-labelledby="verify-title" maxWidth="sm" fullWidth>
        <DialogTitle id="verify-title">Audit chain verification</DialogTitle>
        <DialogContent>
          {result?.ok ? (
            <Alert severity="success">
              {result.checked.toLocaleString('en')} events verified, chain intact
              <Typography variant="body2" color="text.secondary">
                Newest event: #{result.headSeq}
              </Typography>
            </Alert>
          ) : result ? (
            <Alert severity="error">
              The chain is broken{result.brokenSeq !== null ? ` at event #${result.brokenSeq}` : ''}: {result.reason ?? 'no reason given'}
              {result.brokenEventId && (
                <Typography variant="body2" sx={{ mt: 1 }}>
                  <Link to={createPath({ resource: 'audit', type: 'show', id: result.brokenEventId })} onClick={() => setResult(null)}>
                    Open the first event that does not verify
                  </Link>
                </Typography>
              )}
              <Typography variant="body2" color="text.secondary">
                {result.checked.toLocaleString('en')} events checked before it.
              </Typography>
            </Alert>
          ) : null}
        </DialogContent>
        <DialogActions>
          <Button onClick={() => setResult(null)}>Close</Button>
        </DialogActions>
      </Dialog>
    </>
  );
}

const FORMATS = [
  { id: 'csv', label: 'CSV', hint: 'For spreadsheets' },
  { id: 'ndjson', label: 'NDJSON', hint: 'One JSON object per line, for tools' },
];

/**
 * Exports what the list shows (its filters) as a file. The API answers with a one-time link,
 * after a password confirmation when none is recent; the browser then downloads from it.
 */
export function ExportAuditButton() {
  const { permissions } = usePermissions<string[]>();
  const { filterValues } = useListContext();
  const notify = useNotify();
  const [anchor, setAnchor] = useState<HTMLElement | null>(null);
  const [busy, setBusy] = useState(false);
  if (!permissions?.includes('AUDIT_EXPORT')) return null;
  const run = async (format: string) => {
    setAnchor(null);
    setBusy(true);
    try {
      await downloadOnce(async () =>
        (
          await gql<{ exportAuditLog: { url: string } }>(`mutation($format: String, $filter: AuditFilter) { exportAuditLog(format: $format, filter: $filter) { url expiresAt } }`, {
            format,
            filter: toAuditFilter(filterValues ?? {}),
          })
        ).exportAuditLog,
      );
      notify('Export started: the file is downloading', { type: 'success' });
    } catch (e) {
      notify((e as Error).message, { type: 'error' });
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <Button
        size="small"
        startIcon={busy ? <CircularProgress size={16} /> : <DownloadIcon />}
        disabled={busy}
        onClick={(e) => setAnchor(e.currentTarget)}
        aria-haspopup="menu"
        aria-controls={anchor ? 'audit-export-menu' : undefined}
      >
        Export
      </Button>
      <Menu id="audit-export-menu" anchorEl={anchor} open={!!anchor} onClose={() => setAnchor(null)}>
        {FORMATS.map((f) => (
          <MenuItem key={f.id} onClick={() => run(f.id)}>
            <ListItemText primary={f.label} secondary={f.hint} />
          </MenuItem>
        ))}
      </Menu>
    </>
  );
}
