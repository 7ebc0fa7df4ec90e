import { Alert, Box } from '@mui/material';
import { Title } from 'react-admin';

/** A page the signed-in person's role does not open (a bookmark, a link from someone else). */
export function AccessDenied() {
  return (
    <Box sx={{ p: 2, maxWidth: 720 }}>
      <Title title="Not available to you" />
      <Alert severity="info">Your role does not include this page. An administrator of your workspace can change your role.</Alert>
    </Box>
  );
}
