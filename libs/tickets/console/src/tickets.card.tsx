import { Card, CardContent, CardHeader, Chip, Stack } from '@mui/material';
import { useEffect, useState } from 'react';
import { Link } from 'react-admin';
import { gql } from '@bulwark/platform-console';
import { STATUS_CHOICES, STATUS_COLOR } from './tickets.choices';

const QUERY = `{ ${STATUS_CHOICES.map((s) => `${s.id}: tickets(filter: { status: [${s.id}] }, page: { limit: 1 }) { totalCount }`).join(' ')} }`;

/** How many tickets are in each state; each chip opens the list filtered to it. */
export function TicketsByStatusCard() {
  const [counts, setCounts] = useState<Record<string, number> | null>(null);
  useEffect(() => {
    gql<Record<string, { totalCount: number }>>(QUERY)
      .then((d) => setCounts(Object.fromEntries(Object.entries(d).map(([k, v]) => [k, v.totalCount]))))
      .catch(() => setCounts({}));
  }, []);
  return (
    <Card>
      <CardHeader title="Tickets by status" />
      <CardContent>
        <Stack direction="row" spacing={1} flexWrap="wrap" useFlexGap>
          {STATUS_CHOICES.map((s) => (
            <Chip
              key={s.id}
              component={Link}
              to={`/tickets?filter=${encodeURIComponent(JSON.stringify({ status: s.id }))}`}
              clickable
              color={STATUS_COLOR[s.id]}
              label={`${s.name}: ${counts ? (counts[s.id] ?? '–') : '…'}`}
            />
          ))}
        </Stack>
      </CardContent>
    </Card>
  );
}
