import { Alert, Link } from '@mui/material';
import { useEffect, useState } from 'react';
import { gql } from '@bulwark/platform-console';

/** A role that requires two-factor sign-in holds no permission until its member enrols: say so. */
export function EnrolmentBanner() {
  const [required, setRequired] = useState(false);
  useEffect(() => {
    gql<{ me: { twoFactorEnrolmentRequired: boolean } }>(`{ me { twoFactorEnrolmentRequired } }`)
      .then((d) => setRequired(d.me.twoFactorEnrolmentRequired))
      .catch(() => undefined);
  }, []);
  if (!required) return null;
  return (
    <Alert severity="warning" sx={{ borderRadius: 0 }} role="status">
      Your role requires two-factor sign-in. Until you set it up, you can only manage your own account.{' '}
      <Link href="#/account">Set it up now</Link>
    </Alert>
  );
}
