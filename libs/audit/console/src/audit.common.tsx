import { Chip, Stack, Typography } from '@mui/material';
import { useEffect, useState } from 'react';
import { RecordName } from '@bulwark/platform-console';
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

/** Who acted, in words: the API's kinds are keys. */
export const ACTOR_TYPES: Record<string, string> = { user: 'Person', token: 'API token', support: 'Vendor support', system: 'System', anonymous: 'Not signed in' };

/** "Ada Admin" over "user"; events without a person say who instead (system, anonymous). */
export function ActorCell({ event }: { event: Pick<AuditEvent, 'actorName' | 'actorType' | 'actorId'> }) {
  return (
    <Stack spacing={0}>
      <Typography variant="body2" sx={{ whiteSpace: 'nowrap' }}>
        {event.actorName ?? '—'}
      </Typography>
      <Typography variant="caption" color="text.secondary">
        {ACTOR_TYPES[event.actorType] ?? event.actorType}
      </Typography>
    </Stack>
  );
}

/**
 * The kinds of target in words ("SsoConnection" → "Single sign-on connection"), and the console
 * resource whose record names one (a person's name, a ticket's subject) where there is one.
 */
const TARGETS: Record<string, { label: string; resource?: string; name?: string }> = {
  User: { label: 'Person', resource: 'users', name: 'name' },
  Ticket: { label: 'Ticket', resource: 'tickets', name: 'subject' },
  TicketGroup: { label: 'Group', resource: 'groups', name: 'name' },
  Comment: { label: 'Comment' },
  SupportGrant: { label: 'Vendor support access' },
  BackupRun: { label: 'Backup' },
  BackupSchedule: { label: 'Backup schedule' },
  BackupSettings: { label: 'Backup settings' },
  SpamQuarantine: { label: 'Spam quarantine' },
  SpamSettings: { label: 'Spam rules' },
  MailMessage: { label: 'Email' },
  MailTemplate: { label: 'Mail template' },
  MailSettings: { label: 'Mail settings' },
  SsoConnection: { label: 'Single sign-on connection' },
  Role: { label: 'Role' },
  AuditLog: { label: 'Audit log' },
  AuditSettings: { label: 'Audit settings' },
  AlertRule: { label: 'Alert rule' },
  ApiToken: { label: 'API token' },
  AccessSettings: { label: 'Network settings' },
  RateLimitSettings: { label: 'Rate limits' },
  IdentitySettings: { label: 'Sign-in settings' },
  Tenant: { label: 'Workspace' },
  Session: { label: 'Session' },
  Group: { label: 'Group' },
  Delivery: { label: 'Delivery' },
};

/** "TicketGroup" → "Group"; an unknown kind in words ("SomeThing" → "Some thing"). */
export function targetLabel(type: string): string {
  const known = TARGETS[type]?.label;
  if (known) return known;
  const words = type.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The console resource that names a kind of target, and the field that does (people, tickets, groups). */
export function targetResource(type: string | null | undefined): { resource: string; name: string } | undefined {
  const target = type ? TARGETS[type] : undefined;
  return target?.resource && target.name ? { resource: target.resource, name: target.name } : undefined;
}

/** The target by name where its resource names it (people, tickets, groups), else its shortened id. */
export function TargetName({ type, id, full = false }: { type: string | null | undefined; id: string; full?: boolean }) {
  const target = type ? TARGETS[type] : undefined;
  return <RecordName resource={target?.resource} id={id} field={target?.name} full={full} />;
}

/**
 * The kind of target, and which one by name where the console can say it (a person, a ticket, a
 * group). Other kinds have no name to show; their id is on the event's page, for investigations.
 */
export function TargetCell({ event }: { event: Pick<AuditEvent, 'targetType' | 'targetId'> }) {
  if (!event.targetType && !event.targetId) return <Typography variant="body2">—</Typography>;
  const id = targetResource(event.targetType) ? event.targetId : null;
  return (
    <Stack spacing={0}>
      <Typography variant="body2">{event.targetType ? targetLabel(event.targetType) : '—'}</Typography>
      {id && (
        <Typography variant="caption" color="text.secondary">
          <TargetName type={event.targetType} id={id} />
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
