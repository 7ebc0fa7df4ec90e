import { Box, Card, CardContent, Typography } from '@mui/material';
import { Title, useCanAccessResources, useGetIdentity } from 'react-admin';
import type { ConsolePlugin } from './plugin';

/** The dashboard is the cards plugins contribute, each shown to those who may open what it summarises. */
export function buildDashboard(plugins: readonly ConsolePlugin[]) {
  const cards = plugins.flatMap((p) => p.dashboardCards ?? []);
  const resources = [...new Set(cards.map((c) => c.resource))];
  return function Dashboard() {
    const { identity } = useGetIdentity();
    const { canAccess, isPending } = useCanAccessResources({ action: 'list', resources });
    const visible = cards.filter((c) => canAccess?.[c.resource]);
    return (
      <Box sx={{ p: 2 }}>
        <Title title="Dashboard" />
        <Typography variant="h5" gutterBottom>
          {identity ? `Welcome, ${identity.fullName}` : 'Welcome'}
        </Typography>
        <Box sx={{ display: 'grid', gap: 2, gridTemplateColumns: 'repeat(auto-fill, minmax(320px, 1fr))' }}>
          {visible.map(({ key, component: C }) => (
            <C key={key} />
          ))}
          {!isPending && !visible.length && (
            <Card>
              <CardContent>Nothing to show for your role yet.</CardContent>
            </Card>
          )}
        </Box>
      </Box>
    );
  };
}
