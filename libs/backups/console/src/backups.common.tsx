import { Chip, CircularProgress, Tooltip } from '@mui/material';
import { formatDateTime } from '@bulwark/platform-console';
import type { BackupRun } from './backups.data';

const STATUS: Record<string, { label: string; color: 'default' | 'info' | 'success' | 'error' }> = {
  queued: { label: 'Queued', color: 'default' },
  running: { label: 'Running', color: 'info' },
  succeeded: { label: 'Succeeded', color: 'success' },
  failed: { label: 'Failed', color: 'error' },
};

export function StatusChip({ run }: { run: Pick<BackupRun, 'status' | 'error'> }) {
  const s = STATUS[run.status] ?? { label: run.status, color: 'default' as const };
  const busy = run.status === 'running' || run.status === 'queued';
  const chip = (
    <Chip
      size="small"
      label={s.label}
      color={s.color}
      variant={run.status === 'succeeded' || run.status === 'failed' ? 'filled' : 'outlined'}
      icon={busy ? <CircularProgress size={12} color="inherit" /> : undefined}
    />
  );
  return run.error ? (
    <Tooltip title={run.error}>
      <span>{chip}</span>
    </Tooltip>
  ) : (
    chip
  );
}

export const TRIGGER: Record<string, string> = { manual: 'Manual', schedule: 'Scheduled', cli: 'CLI' };

export const ENCRYPTION: Record<string, string> = { 'aes-256-gcm': 'AES-256-GCM', openpgp: 'OpenPGP' };

/** The platform's one date format: the reader's locale and time zone. */
export const when = formatDateTime;

/** A run time as the schedule means it: in the schedule's time zone, 24-hour clock. */
export function inZone(iso: string, timeZone: string): string {
  try {
    return new Date(iso).toLocaleString(undefined, { timeZone, weekday: 'short', year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  } catch {
    return when(iso); // a zone this browser does not know
  }
}

/** The browser's own time zone, to say "your time" only when it differs. */
export const localZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone;

export const localTime = (iso: string) => new Date(iso).toLocaleString(undefined, { weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });

/** The refusal as a sentence: the request helper words it (field codes left out, the fields' sentences kept). */
export function serverMessage(e: unknown): string {
  return (e as Error).message ?? String(e);
}
