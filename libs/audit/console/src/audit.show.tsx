import { Box, Card, CardContent, CardHeader, Stack, Table, TableBody, TableCell, TableHead, TableRow, Typography } from '@mui/material';
import type { ReactNode } from 'react';
import { Link, ListButton, Show, TopToolbar, useCreatePath, useRecordContext, useResourceDefinitions } from 'react-admin';
import { formatDateTime } from '@bulwark/platform-console';
import { ACTOR_TYPES, OutcomeChip, TargetName, targetLabel } from './audit.common';
import type { AuditChange, AuditEvent } from './audit.data';

const listLink = (filter: Record<string, unknown>) => `/audit?filter=${encodeURIComponent(JSON.stringify(filter))}`;

/** A before/after value as people read it: empty, text as is, anything else as JSON. */
function Value({ value }: { value: unknown }) {
  if (value === null || value === undefined || value === '') {
    return (
      <Typography variant="body2" color="text.disabled" component="span" sx={{ fontStyle: 'italic' }}>
        empty
      </Typography>
    );
  }
  const shown = typeof value === 'string' ? value : JSON.stringify(value, null, 2);
  return (
    <Box component="span" sx={{ whiteSpace: 'pre-wrap', wordBreak: 'break-word', fontFamily: typeof value === 'string' ? undefined : 'monospace' }}>
      {shown}
    </Box>
  );
}

function DiffTable({ changes }: { changes: AuditChange[] }) {
  if (!changes.length) {
    return (
      <Typography variant="body2" color="text.secondary">
        This event changed no fields.
      </Typography>
    );
  }
  return (
    <Table size="small" aria-label="Changes">
      <TableHead>
        <TableRow>
          <TableCell sx={{ width: '20%' }}>Field</TableCell>
          <TableCell sx={{ width: '40%' }}>Before</TableCell>
          <TableCell sx={{ width: '40%' }}>After</TableCell>
        </TableRow>
      </TableHead>
      <TableBody>
        {changes.map((c) => (
          <TableRow key={c.field}>
            <TableCell sx={{ fontFamily: 'monospace', verticalAlign: 'top' }}>{c.field}</TableCell>
            <TableCell sx={{ bgcolor: 'rgba(211, 47, 47, 0.08)', verticalAlign: 'top' }}>
              <Value value={c.before} />
            </TableCell>
            <TableCell sx={{ bgcolor: 'rgba(46, 125, 50, 0.08)', verticalAlign: 'top' }}>
              <Value value={c.after} />
            </TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}

function Row({ label, children }: { label: string; children: ReactNode }) {
  return (
    <>
      <Typography variant="body2" color="text.secondary">
        {label}
      </Typography>
      <Box sx={{ minWidth: 0 }}>{children}</Box>
    </>
  );
}

const mono = { fontFamily: 'monospace', wordBreak: 'break-all' } as const;

/** The target, linked when the console has a page for it (a ticket's "Ticket" is the tickets resource). */
function TargetLink({ event }: { event: AuditEvent }) {
  const resources = useResourceDefinitions();
  const createPath = useCreatePath();
  if (!event.targetType) return <Typography variant="body2">—</Typography>;
  const resource = `${event.targetType.toLowerCase()}s`;
  const linkable = event.targetId && resources[resource]?.hasShow;
  return (
    <Stack direction="row" spacing={1} alignItems="baseline" flexWrap="wrap">
      <Typography variant="body2">{targetLabel(event.targetType)}</Typography>
      {event.targetId &&
        (linkable ? (
          <Link to={createPath({ resource, type: 'show', id: event.targetId })} variant="body2">
            <TargetName type={event.targetType} id={event.targetId} full />
          </Link>
        ) : (
          <Typography variant="body2">
            <TargetName type={event.targetType} id={event.targetId} full />
          </Typography>
        ))}
      {event.targetId && (
        <Link to={listLink({ targetType: event.targetType, targetId: event.targetId })} variant="body2">
          (all events for it)
        </Link>
      )}
    </Stack>
  );
}

function EventDetail() {
  const e = useRecordContext<AuditEvent>();
  if (!e) return null;
  return (
    <Stack spacing={2} sx={{ p: 2 }}>
      <Stack direction="row" spacing={2} alignItems="center">
        <Typography variant="h6">{e.actionDescription}</Typography>
        <OutcomeChip outcome={e.outcome} />
        <Typography variant="body2" color="text.secondary">
          Event #{e.seq}
        </Typography>
      </Stack>
      <Box sx={{ display: 'grid', gridTemplateColumns: '160px 1fr', columnGap: 2, rowGap: 1, alignItems: 'baseline' }}>
        <Row label="Time">
          <Typography variant="body2">
            {/* The exact instant too: investigations compare it with other systems' logs, which are in UTC. */}
            {formatDateTime(e.occurredAt)}{' '}
            <Typography component="span" variant="caption" color="text.secondary">
              ({e.occurredAt.replace('T', ' ').replace('Z', ' UTC')})
            </Typography>
          </Typography>
        </Row>
        <Row label="Actor">
          <Stack direction="row" spacing={1} alignItems="baseline" flexWrap="wrap">
            <Typography variant="body2">{e.actorName ?? '—'}</Typography>
            <Typography variant="caption" color="text.secondary">
              {ACTOR_TYPES[e.actorType] ?? e.actorType}
            </Typography>
            {e.actorId && (
              <Typography variant="caption" sx={mono}>
                {e.actorId}
              </Typography>
            )}
            {e.actorId && (
              <Link to={listLink({ actorId: e.actorId, actorType: e.actorType })} variant="body2">
                (all their events)
              </Link>
            )}
          </Stack>
        </Row>
        <Row label="Action">
          <Typography variant="body2">
            {e.actionDescription}{' '}
            <Typography component="span" variant="caption" sx={mono} color="text.secondary">
              {e.action}
            </Typography>
          </Typography>
        </Row>
        <Row label="Target">
          <TargetLink event={e} />
        </Row>
        <Row label="IP address">
          <Typography variant="body2">{e.ip ?? '—'}</Typography>
        </Row>
        <Row label="User agent">
          <Typography variant="body2" sx={{ wordBreak: 'break-word' }}>
            {e.userAgent ?? '—'}
          </Typography>
        </Row>
        <Row label="Request id">
          <Typography variant="body2" sx={mono}>
            {e.requestId ?? '—'}
          </Typography>
        </Row>
        <Row label="Event id">
          <Typography variant="body2" sx={mono}>
            {e.id}
          </Typography>
        </Row>
      </Box>
      <Card variant="outlined">
        <CardHeader title="Changes" titleTypographyProps={{ variant: 'subtitle1' }} />
        <CardContent sx={{ pt: 0 }}>
          <DiffTable changes={e.changes ?? []} />
        </CardContent>
      </Card>
      <Card variant="outlined">
        <CardHeader title="Details" titleTypographyProps={{ variant: 'subtitle1' }} />
        <CardContent sx={{ pt: 0 }}>
          {e.details && Object.keys(e.details).length ? (
            <Box component="pre" aria-label="Details" sx={{ m: 0, p: 1.5, bgcolor: 'action.hover', borderRadius: 1, overflowX: 'auto', fontSize: 13 }}>
              {JSON.stringify(e.details, null, 2)}
            </Box>
          ) : (
            <Typography variant="body2" color="text.secondary">
              No details.
            </Typography>
          )}
        </CardContent>
      </Card>
      <Box>
        <Typography variant="subtitle2">Chain hash (SHA-256)</Typography>
        <Typography variant="body2" sx={mono} data-testid="audit-hash">
          {e.hash}
        </Typography>
      </Box>
    </Stack>
  );
}

const ShowActions = () => (
  <TopToolbar>
    <ListButton label="Audit log" />
  </TopToolbar>
);

export const AuditShow = () => (
  <Show actions={<ShowActions />}>
    <EventDetail />
  </Show>
);
