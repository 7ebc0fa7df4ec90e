import { Box, Card, CardContent, CardHeader, Stack, Tooltip, Typography } from '@mui/material';
import { useEffect, useState } from 'react';
import { Link } from 'react-admin';
import { fromNow, gql } from '@bulwark/platform-console';
import { inZone, StatusChip, when } from './backups.common';
import type { BackupRun, BackupSchedule } from './backups.data';
import { formatBytes } from './backups.format';

type Data = { backupRuns: Pick<BackupRun, 'id' | 'status' | 'sizeBytes' | 'createdAt' | 'error'>[]; backupSchedule: Pick<BackupSchedule, 'enabled' | 'nextRuns' | 'timezone'> };

function Line({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <Stack direction="row" spacing={1} alignItems="center" sx={{ minHeight: 28 }}>
      <Typography variant="body2" color="text.secondary" sx={{ width: 110, flexShrink: 0 }}>
        {label}
      </Typography>
      <Box sx={{ minWidth: 0 }}>{children}</Box>
    </Stack>
  );
}

/** The last backup (how it went, when, how big) and when the next one is due. */
export function BackupsCard() {
  const [data, setData] = useState<Data | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    gql<Data>(`{ backupRuns(limit: 20) { id status sizeBytes createdAt error } backupSchedule { enabled nextRuns timezone } }`)
      .then(setData)
      .catch((e) => setError((e as Error).message));
  }, []);
  const last = data?.backupRuns[0];
  // When the last one did not succeed, the last one that did (among the recent ones) matters most.
  const lastOk = last && last.status !== 'succeeded' ? data?.backupRuns.find((r) => r.status === 'succeeded') : undefined;
  const next = data?.backupSchedule.nextRuns[0];
  return (
    <Card aria-label="Backups">
      <CardHeader
        title="Backups"
        subheader="The last one, and the next"
        action={
          <Link to="/backups" variant="body2" sx={{ mr: 1, display: 'inline-block', mt: 1 }}>
            All backups
          </Link>
        }
      />
      <CardContent sx={{ pt: 0 }}>
        {error ? (
          <Typography variant="body2" color="error">
            {error}
          </Typography>
        ) : !data ? (
          <Typography variant="body2">Loading…</Typography>
        ) : (
          <Stack spacing={0.5}>
            <Line label="Last backup">
              {last ? (
                <Stack direction="row" spacing={1} alignItems="center">
                  <StatusChip run={last} />
                  <Tooltip title={when(last.createdAt)}>
                    <Typography variant="body2">{fromNow(last.createdAt)}</Typography>
                  </Tooltip>
                </Stack>
              ) : (
                <Typography variant="body2">None yet</Typography>
              )}
            </Line>
            {last?.status === 'succeeded' && (
              <Line label="Size">
                <Typography variant="body2">{formatBytes(last.sizeBytes)}</Typography>
              </Line>
            )}
            {lastOk && (
              <Line label="Last successful">
                <Tooltip title={when(lastOk.createdAt)}>
                  <Typography variant="body2">
                    {fromNow(lastOk.createdAt)} · {formatBytes(lastOk.sizeBytes)}
                  </Typography>
                </Tooltip>
              </Line>
            )}
            <Line label="Next scheduled">
              {next ? (
                <>
                  <Typography variant="body2">{inZone(next, data.backupSchedule.timezone)}</Typography>
                  <Typography variant="caption" color="text.secondary" component="div">
                    {fromNow(next)} · {data.backupSchedule.timezone}
                  </Typography>
                </>
              ) : (
                <Typography variant="body2" color="text.secondary">
                  {data.backupSchedule.enabled ? 'Not planned' : 'Scheduled backups are off'}
                </Typography>
              )}
            </Line>
          </Stack>
        )}
      </CardContent>
    </Card>
  );
}
