import VerifiedIcon from '@mui/icons-material/VerifiedUser';
import { Alert, Button, CircularProgress, Dialog, DialogActions, DialogContent, DialogTitle, Typography } from '@mui/material';
import { useState } from 'react';
import { Button as ToolbarButton, Link, useCreatePath, useListContext, useNotify } from 'react-admin';
import { ExportButton, gql, type Api } from '@bulwark/platform-console';
import { toAuditFilter } from './audit.data';

type Verification = Api.AuditVerification;

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
      {/* react-admin's Button, like the toolbar's others, so they line up */}
      <ToolbarButton label="Verify chain" onClick={verify} disabled={busy}>
        {busy ? <CircularProgress size={16} /> : <VerifiedIcon />}
      </ToolbarButton>
      <Dialog open={!!result} onClose={() => setResult(null)} aria-labelledby="verify-title" maxWidth="sm" fullWidth>
        <DialogTitle id="verify-title">Audit chain verification</DialogTitle>
        <DialogContent>
          {result?.ok ? (
            <Alert severity="success">
              {result.checked.toLocaleString()} events verified, chain intact
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
                {result.checked.toLocaleString()} events checked before it.
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

/** Exports what the list shows (its filters) as a file, through the server (see ExportButton). */
export function ExportAuditButton() {
  const { filterValues } = useListContext();
  return (
    <ExportButton
      prepare={async (format) =>
        (
          await gql<{ exportAuditLog: { url: string } }>(`mutation($format: String, $filter: AuditFilter) { exportAuditLog(format: $format, filter: $filter) { url expiresAt } }`, {
            format,
            filter: toAuditFilter(filterValues ?? {}),
          })
        ).exportAuditLog
      }
    />
  );
}
