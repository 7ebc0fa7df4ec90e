import { Chip, Stack, Typography } from '@mui/material';
import { useEffect, useState } from 'react';
import { loadAuditActions, type AuditActionInfo, type AuditEvent } from './audit.data';

export const OUTCOME_CHOICES = [
  { id: 'success', name: 'Success' },
  { id: 'failure', name: 'Failure' },
  { id: 'denied', name: 'Denied' },
];
const OUTCOME_COLOR: Record<string, 'success' | 'error' | 'warning'> = { success: 'success', failure: 'error', denied: 'warning' };

export function OutcomeChip({ outcome }: { outcome: string }) {
  const label = OUTCOME_CHOICES.find((c) => c.id === outcome)?.name ?? outcome;
  return <Chip size="small" variant="outlined" label={label} color={OUTCOME_COLOR[outcome] ?? 'default'} />;
}

/** "Ada Admin" over "user"; events without a person say who instead (system, anonymous). */
export function ActorCell({ event }: { event: Pick<AuditEvent, 'actorName' | 'actorType' | 'actorId'> }) {
  return (
    <Stack spacing={0}>
      <Typography variant="body2" sx={{ whiteSpace: 'nowrap' }}>
        {event.actorName ?? event.actorId ?? '—'}
      </Typography>
      <Typography variant="caption" color="text.secondary">
        {event.actorType}
      </Typography>
    </Stack>
  );
}

/** In the list a target id is shortened (the event page shows it whole); ids are mostly UUIDs. */
export function TargetCell({ event }: { event: Pick<AuditEvent, 'targetType' | 'targetId'> }) {
  if (!event.targetType && !event.targetId) return <Typography variant="body2">—</Typography>;
  const id = event.targetId;
  return (
    <Stack spacing={0}>
      <Typography variant="body2">{event.targetType ?? '—'}</Typography>
      {id && (
        <Typography variant="caption" color="text.secondary" sx={{ fontFamily: 'monospace', whiteSpace: 'nowrap' }} title={id}>
          {id.length > 13 ? `${id.slice(0, 8)}…` : id}
        </Typography>
      )}
    </Stack>
  );
}

/** The action catalog for pickers; empty until loaded (filters still work by key). */
export function useAuditActions(): AuditActionInfo[] {
  const [actions, setActions] = useState<AuditActionInfo[]>([]);
  useEffect(() => {
    let alive = true;
    loadAuditActions()
      .then((a) => alive && setActions(a))
      .catch(() => undefined);
    return () => {
      alive = false;
    };
  }, []);
  return actions;
}
