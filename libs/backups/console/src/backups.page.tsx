import { Alert, Box, Typography } from '@mui/material';
import { useCallback, useEffect, useState } from 'react';
import { Title, useCanAccess, useGetIdentity, useNotify } from 'react-admin';
import { fetchSchedule, type BackupRun, type BackupSchedule } from './backups.data';
import { RestoreWizard } from './backups.restore';
import { RunsCard, useBackupRuns } from './backups.runs';
import { EncryptionCard, ScheduleCard } from './backups.schedule';

/**
 * Backups: the schedule (and the server's next run times), encryption, the runs with "back up
 * now", downloading a file (backups.download) and restoring one (owners: backups.restore). The
 * console only hides; the server decides.
 */
export function BackupsPage() {
  const notify = useNotify();
  const { identity } = useGetIdentity();
  const canManage = !!useCanAccess({ resource: 'backups', action: 'manage' }).canAccess;
  const canRestore = !!useCanAccess({ resource: 'backups', action: 'restore' }).canAccess;
  const canDownload = !!useCanAccess({ resource: 'backups', action: 'download' }).canAccess;
  const slug = (identity?.tenant as { slug?: string } | undefined)?.slug;
  const [schedule, setSchedule] = useState<BackupSchedule | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [restoring, setRestoring] = useState<BackupRun | null>(null);
  const { runs, reload, backUpNow, backingUp } = useBackupRuns();

  const load = useCallback(async () => {
    const [s] = await Promise.all([fetchSchedule(), reload()]);
    setSchedule(s);
  }, [reload]);
  useEffect(() => {
    load().catch((e) => setError((e as Error).message));
  }, [load]);
  const onSaved = useCallback((s: BackupSchedule) => setSchedule(s), []);
  const onBackUpNow = useCallback(() => {
    backUpNow().catch((e) => notify((e as Error).message, { type: 'error' }));
  }, [backUpNow, notify]);

  if (error) return <Alert severity="error" sx={{ m: 2 }}>{error}</Alert>;
  if (!schedule || !runs) return <Typography sx={{ p: 2 }}>Loading…</Typography>;
  return (
    <Box sx={{ p: 2, display: 'grid', gap: 2, maxWidth: 1200 }}>
      <Title title="Backups" />
      <Box sx={{ display: 'grid', gap: 2, gridTemplateColumns: { xs: '1fr', lg: '3fr 2fr' }, alignItems: 'start' }}>
        <ScheduleCard schedule={schedule} canManage={canManage} onSaved={onSaved} />
        <EncryptionCard schedule={schedule} canManage={canManage} onSaved={onSaved} />
      </Box>
      <RunsCard
        runs={runs}
        kept={schedule.retentionCount}
        canManage={canManage}
        canRestore={canRestore}
        canDownload={canDownload}
        backingUp={backingUp}
        onBackUpNow={onBackUpNow}
        onRestore={setRestoring}
      />
      {canRestore && <RestoreWizard run={restoring} slug={slug} onClose={() => setRestoring(null)} />}
    </Box>
  );
}
