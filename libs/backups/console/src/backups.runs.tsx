import BackupIcon from '@mui/icons-material/Backup';
import DownloadIcon from '@mui/icons-material/Download';
import RestoreIcon from '@mui/icons-material/SettingsBackupRestore';
import { Box, Button, Card, CardContent, CardHeader, CircularProgress, Stack, Tooltip, Typography } from '@mui/material';
import { useCallback, useEffect, useRef, useState } from 'react';
import { DataTable, ListContextProvider, useDataProvider, useList, useNotify } from 'react-admin';
import { downloadOnce, fromNow, RecordTable } from '@bulwark/platform-console';
import { ENCRYPTION, StatusChip, TRIGGER, when } from './backups.common';
import { ACTIVE, AES, prepareDownload, startBackup, type BackupRun } from './backups.data';
import { formatBytes, formatDuration, shortHash, tableLabel } from './backups.format';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** How long "Back up now" waits for its run to appear, then to finish, before leaving it to the list. */
const APPEAR_MS = 60_000;
const FINISH_MS = 30 * 60_000;

/**
 * The runs, newest first, and "back up now": the server starts the run after it answers, so the
 * list is read until a run newer than the ones seen before shows and is no longer running.
 * A run already under way when the page opens (scheduled, CLI) is followed the same way.
 */
export function useBackupRuns() {
  const notify = useNotify();
  const dataProvider = useDataProvider();
  const [runs, setRuns] = useState<BackupRun[] | null>(null);
  const [backingUp, setBackingUp] = useState(false);
  const alive = useRef(true);
  useEffect(() => {
    alive.current = true;
    return () => {
      alive.current = false;
    };
  }, []);

  const reload = useCallback(async () => {
    const list = (await dataProvider.getList<BackupRun>('backups', { pagination: { page: 1, perPage: 50 }, sort: { field: 'createdAt', order: 'DESC' }, filter: {} })).data;
    if (alive.current) setRuns(list);
    return list;
  }, [dataProvider]);

  const active = !!runs?.some((r) => ACTIVE.has(r.status));
  useEffect(() => {
    if (!active || backingUp) return;
    const timer = setTimeout(() => void reload().catch(() => undefined), 3000);
    return () => clearTimeout(timer);
  }, [runs, active, backingUp, reload]);

  const backUpNow = useCallback(async () => {
    setBackingUp(true);
    try {
      const before = new Set((await reload()).map((r) => r.id));
      await startBackup();
      notify('Backup started', { type: 'info' });
      const started = Date.now();
      for (let i = 0; alive.current; i++) {
        await sleep(i < 20 ? 1000 : 3000);
        const [newest] = await reload();
        const mine = newest && !before.has(newest.id) ? newest : null;
        if (mine && !ACTIVE.has(mine.status)) {
          if (mine.status === 'succeeded') notify(`Backup finished: ${formatBytes(mine.sizeBytes)}, ${mine.rows ?? 0} rows`, { type: 'success' });
          else notify(`The backup failed: ${mine.error ?? 'no reason given'}`, { type: 'error' });
          return;
        }
        const waited = Date.now() - started;
        if ((!mine && waited > APPEAR_MS) || waited > FINISH_MS) {
          notify(mine ? 'The backup is still running; the list updates when it ends' : 'The backup has not started yet; it shows here when it does', { type: 'warning' });
          return;
        }
      }
    } catch (e) {
      notify((e as Error).message, { type: 'error' });
    } finally {
      if (alive.current) setBackingUp(false);
    }
  }, [notify, reload]);

  return { runs, reload, backUpNow, backingUp };
}

function RowsCell({ run }: { run: BackupRun }) {
  if (run.rows === null) return <>—</>;
  const tables = Object.entries(run.counts ?? {})
    .filter(([, n]) => n > 0)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([t, n]) => `${tableLabel(t)}: ${n.toLocaleString()}`);
  return (
    <Tooltip title={tables.length ? tables.join(' · ') : 'No rows'}>
      <span>{run.rows.toLocaleString()}</span>
    </Tooltip>
  );
}

function HashCell({ sha256 }: { sha256: string | null }) {
  if (!sha256) return <>—</>;
  return (
    <Tooltip title={<Box sx={{ fontFamily: 'monospace', wordBreak: 'break-all' }}>{sha256}</Box>}>
      <Box component="span" sx={{ fontFamily: 'monospace', fontSize: '0.8rem', cursor: 'help' }} data-sha256={sha256}>
        {shortHash(sha256)}
      </Box>
    </Tooltip>
  );
}

function RestoreCell({ run, onRestore }: { run: BackupRun; onRestore: (run: BackupRun) => void }) {
  if (run.status !== 'succeeded') return null;
  if (run.encryption !== AES) {
    return (
      <Tooltip title="Encrypted to your OpenPGP key: the server cannot read it. Decrypt it and restore it with the CLI.">
        <span>
          <Button size="small" disabled>
            Restore…
          </Button>
        </span>
      </Tooltip>
    );
  }
  return (
    <Button size="small" color="warning" startIcon={<RestoreIcon />} onClick={() => onRestore(run)}>
      Restore…
    </Button>
  );
}

/**
 * The stored file as it is (still encrypted), through a one-time link the API gives after a
 * recent password confirmation; the browser downloads it.
 */
function DownloadCell({ run }: { run: BackupRun }) {
  const notify = useNotify();
  const [busy, setBusy] = useState(false);
  if (run.status !== 'succeeded') return null;
  const download = async () => {
    setBusy(true);
    try {
      const file = await downloadOnce(() => prepareDownload(run.id), 'A backup file holds all of this workspace’s data.');
      notify(`Downloading ${file.fileName} (${formatBytes(file.sizeBytes)})`, { type: 'success' });
    } catch (e) {
      notify((e as Error).message, { type: 'error' });
    } finally {
      setBusy(false);
    }
  };
  const opens = run.encryption === AES ? "Encrypted with this server's key: the CLI's backup verify and restore --file read it" : 'Encrypted to your OpenPGP key: gpg --decrypt reads it';
  return (
    <Tooltip title={opens} describeChild>
      <span>
        <Button size="small" startIcon={busy ? <CircularProgress size={16} /> : <DownloadIcon />} onClick={download} disabled={busy}>
          Download
        </Button>
      </span>
    </Tooltip>
  );
}

export function RunsCard({
  runs,
  kept,
  canManage,
  canRestore,
  canDownload,
  backingUp,
  onBackUpNow,
  onRestore,
}: {
  runs: BackupRun[];
  kept: number;
  canManage: boolean;
  canRestore: boolean;
  canDownload: boolean;
  backingUp: boolean;
  onBackUpNow: () => void;
  onRestore: (run: BackupRun) => void;
}) {
  // The runs as a react-admin list (read by useBackupRuns, which follows running backups).
  const list = useList({ data: runs, resource: 'backups' });
  return (
    <Card>
      <CardHeader
        title="Backups"
        subheader={`Newest first; the ${kept} newest successful ones are kept`}
        action={
          canManage && (
            <Button
              variant="contained"
              startIcon={backingUp ? <CircularProgress size={16} color="inherit" /> : <BackupIcon />}
              onClick={onBackUpNow}
              disabled={backingUp}
              sx={{ mt: 1, mr: 1 }}
            >
              {backingUp ? 'Backing up…' : 'Back up now'}
            </Button>
          )
        }
      />
      <CardContent sx={{ pt: 0 }}>
        <ListContextProvider value={list}>
          <RecordTable label="Backup runs" empty="No backups yet." padded={false} rowAttributes={(r) => ({ 'data-run-id': String(r.id), 'data-status': r.status })}>
            <DataTable.Col<BackupRun>
              label="Created"
              sx={{ whiteSpace: 'nowrap' }}
              render={(r) => (
                <>
                  <Typography variant="body2">{when(r.createdAt)}</Typography>
                  <Typography variant="caption" color="text.secondary">
                    {fromNow(r.createdAt)}
                  </Typography>
                </>
              )}
            />
            <DataTable.Col<BackupRun>
              label="Trigger"
              sx={{ whiteSpace: 'nowrap' }}
              render={(r) => (
                <>
                  <Typography variant="body2">{TRIGGER[r.trigger] ?? r.trigger}</Typography>
                  <Typography variant="caption" color="text.secondary">
                    {ENCRYPTION[r.encryption] ?? r.encryption}
                  </Typography>
                </>
              )}
            />
            <DataTable.Col<BackupRun>
              label="Status"
              sx={{ maxWidth: 320 }}
              render={(r) => (
                <>
                  <StatusChip run={r} />
                  {r.status === 'failed' && r.error && (
                    <Typography variant="caption" color="error" component="p" sx={{ mt: 0.5, wordBreak: 'break-word' }}>
                      {r.error}
                    </Typography>
                  )}
                </>
              )}
            />
            <DataTable.Col<BackupRun> label="Size" align="right" sx={{ whiteSpace: 'nowrap' }} render={(r) => formatBytes(r.sizeBytes)} />
            <DataTable.Col<BackupRun> label="Rows" align="right" render={(r) => <RowsCell run={r} />} />
            <DataTable.Col<BackupRun> label="Duration" align="right" sx={{ whiteSpace: 'nowrap' }} render={(r) => formatDuration(r.durationSeconds)} />
            <DataTable.Col<BackupRun> label="SHA-256" render={(r) => <HashCell sha256={r.sha256} />} />
            {canDownload && <DataTable.Col<BackupRun> label="File" align="right" render={(r) => <DownloadCell run={r} />} />}
            {canRestore && <DataTable.Col<BackupRun> label="Restore" align="right" render={(r) => <RestoreCell run={r} onRestore={onRestore} />} />}
          </RecordTable>
        </ListContextProvider>
        {canDownload && (
          <Stack direction="row" sx={{ mt: 1 }}>
            <Typography variant="caption" color="text.secondary">
              A download is the file as stored, still encrypted, through a link that works once; your password is asked for first.
            </Typography>
          </Stack>
        )}
      </CardContent>
    </Card>
  );
}
