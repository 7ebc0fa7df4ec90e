import { Box } from '@mui/material';
import { AccountPage } from './account.page';

/** My account inside the portal, whose page already has its margins (the console's page brings its own). */
export function PortalAccountPage() {
  return (
    <Box sx={{ m: -2 }}>
      <AccountPage />
    </Box>
  );
}
