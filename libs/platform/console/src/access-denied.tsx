import { Alert, Box, Button } from '@mui/material';
import { Link, Title, useTranslate } from 'react-admin';

/** A page the signed-in person's role does not open (a bookmark, a link from someone else). */
export function AccessDenied() {
  return (
    <Box sx={{ p: 2, maxWidth: 720 }}>
      <Title title="Not available to you" />
      <Alert severity="info">Your role does not include this page. An administrator of your workspace can change your role.</Alert>
    </Box>
  );
}

/** An address that is no page (a mistyped link, a page removed): said in words, with a title. */
export function NotFound() {
  const translate = useTranslate();
  return (
    <Box sx={{ p: 2, maxWidth: 720 }}>
      <Title title={translate('ra.page.not_found')} />
      <Alert severity="info" action={<Button component={Link} to="/">Dashboard</Button>}>
        {translate('ra.message.not_found')}
      </Alert>
    </Box>
  );
}
