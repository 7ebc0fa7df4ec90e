import { Box, Card, CardContent, Typography } from '@mui/material';
import { useGetIdentity, usePermissions } from 'react-admin';
import type { ConsolePlugin } from './plugin';

/** The dashboard is the cards plugins contribute, each shown only with its permission. */
export function buildDashboard(plugins: readonly ConsolePlugin[]) {
  const cards = plugins.flatMap((p) => p.dashboardCards ?? []);
  return function Dashboard() {
    const { identity } = useGetIdentity();
    const { permissions } = usePermissions<string[]>();
    const visible = cards.filter((c) => permissions?.includes(c.permission));
    return (
      <Box sx={{ p: 2 }}>
        <Typography variant="h5" gutterBottom>
          {identity ? `Welcome, ${identity.fullName}` : 'Welcome'}
        </Typography>
        <Box sx={{ display: 'grid', gap: 2, gridTemplateColumns: 'repeat(auto-fill, minmax(320px, 1fr))' }}>
          {visible.map(({ key, component: C }) => (
            <C key={key} />
          ))}
          {!visible.length && (
            <Card>
              <CardContent>Nothing to show for your role yet.</CardContent>
            </Card>
          )}
        </Box>
      </Box>
    );
  };
}
