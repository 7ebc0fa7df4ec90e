import { Box, Card, CardContent, CardHeader, Stack, Typography, useTheme } from '@mui/material';
import { useEffect, useState } from 'react';
import { Link } from 'react-admin';
import { gql } from '@bulwark/platform-console';

interface Day {
  day: string;
  signInFailures: number;
  configChanges: number;
}

const DAYS = 14;
// Drawn at about the size the card shows it, so 9-unit text reads as 9px.
const W = 320;
const H = 150;
const PAD = { left: 20, right: 4, top: 8, bottom: 18 };

const label = (day: string) => new Date(`${day}T00:00:00Z`).toLocaleDateString(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' });

/** Plain SVG bars: two series, a handful of days; a charting library would outweigh the chart. */
function Bars({ days, colors }: { days: Day[]; colors: [string, string] }) {
  const max = Math.max(1, ...days.flatMap((d) => [d.signInFailures, d.configChanges]));
  const top = max <= 4 ? max : Math.ceil(max / 4) * 4;
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const group = plotW / days.length;
  const bar = group * 0.36;
  const y = (v: number) => PAD.top + plotH - (v / top) * plotH;
  const ticks = top <= 4 ? Array.from({ length: top + 1 }, (_, i) => i) : [0, top / 4, top / 2, (3 * top) / 4, top];
  return (
    <svg viewBox={`0 0 ${W} ${H}`} width="100%" role="img" aria-label={`Sign-in failures and configuration changes per day, last ${days.length} days`}>
      {ticks.map((t) => (
        <g key={t}>
          <line x1={PAD.left} x2={W - PAD.right} y1={y(t)} y2={y(t)} stroke="currentColor" strokeOpacity={t === 0 ? 0.4 : 0.1} />
          <text x={PAD.left - 4} y={y(t) + 3} textAnchor="end" fontSize={9} fill="currentColor" fillOpacity={0.6}>
            {t}
          </text>
        </g>
      ))}
      {days.map((d, i) => {
        const x = PAD.left + i * group + (group - 2 * bar) / 2;
        return (
          <g key={d.day}>
            <rect x={x} y={y(d.signInFailures)} width={bar} height={y(0) - y(d.signInFailures)} fill={colors[0]} rx={1}>
              <title>{`${label(d.day)}: ${d.signInFailures} sign-in failure${d.signInFailures === 1 ? '' : 's'}`}</title>
            </rect>
            <rect x={x + bar} y={y(d.configChanges)} width={bar} height={y(0) - y(d.configChanges)} fill={colors[1]} rx={1}>
              <title>{`${label(d.day)}: ${d.configChanges} configuration change${d.configChanges === 1 ? '' : 's'}`}</title>
            </rect>
            {(i % 2 === (days.length - 1) % 2 || days.length <= 7) && (
              <text x={PAD.left + i * group + group / 2} y={H - 5} textAnchor="middle" fontSize={9} fill="currentColor" fillOpacity={0.7}>
                {label(d.day)}
              </text>
            )}
          </g>
        );
      })}
    </svg>
  );
}

function Legend({ color, text, total }: { color: string; text: string; total: number }) {
  return (
    <Stack direction="row" spacing={0.75} alignItems="center">
      <Box sx={{ width: 12, height: 12, borderRadius: 0.5, bgcolor: color }} />
      <Typography variant="body2">
        {text}: <strong>{total}</strong>
      </Typography>
    </Stack>
  );
}

/** The last two weeks of sign-in failures and configuration changes (UTC days), from the audit log. */
export function AuditActivityCard() {
  const theme = useTheme();
  const [days, setDays] = useState<Day[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    gql<{ auditActivity: Day[] }>(`query($days: Int) { auditActivity(days: $days) { day signInFailures configChanges } }`, { days: DAYS })
      .then((d) => setDays(d.auditActivity))
      .catch((e) => setError((e as Error).message));
  }, []);
  const colors: [string, string] = [theme.palette.error.main, theme.palette.primary.main];
  const sum = (k: 'signInFailures' | 'configChanges') => (days ?? []).reduce((n, d) => n + d[k], 0);
  return (
    <Card aria-label="Security activity">
      <CardHeader title="Security activity" subheader={`Last ${DAYS} days, per day (UTC)`} action={<Link to="/audit" variant="body2" sx={{ mr: 1, display: 'inline-block', mt: 1 }}>Audit log</Link>} />
      <CardContent sx={{ pt: 0 }}>
        {error ? (
          <Typography variant="body2" color="error">
            {error}
          </Typography>
        ) : !days ? (
          <Typography variant="body2">Loading…</Typography>
        ) : (
          <>
            <Stack direction="row" spacing={2} flexWrap="wrap" useFlexGap sx={{ mb: 1 }}>
              <Legend color={colors[0]} text="Sign-in failures" total={sum('signInFailures')} />
              <Legend color={colors[1]} text="Configuration changes" total={sum('configChanges')} />
            </Stack>
            <Bars days={days} colors={colors} />
          </>
        )}
      </CardContent>
    </Card>
  );
}
