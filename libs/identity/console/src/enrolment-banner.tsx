import { Alert, Link } from '@mui/material';
import { useEffect, useState } from 'react';
import { gql } from '@bulwark/platform-console';

/**
 * A session is restricted to the person's own account while their role requires two-factor
 * sign-in they have not set up, or their password has expired: say why and where to go.
 */
export function EnrolmentBanner() {
  const [state, setState] = useState<{ twoFactorEnrolmentRequired: boolean; passwordExpired: boolean } | null>(null);
  useEffect(() => {
    gql<{ me: { twoFactorEnrolmentRequired: boolean; passwordExpired: boolean } }>(`{ me { twoFactorEnrolmentRequired passwordExpired } }`)
      .then((d) => setState(d.me))
      .catch(() => undefined);
  }, []);
  if (!state || !(state.twoFactorEnrolmentRequired || state.passwordExpired)) return null;
  return (
    <Alert severity="warning" sx={{ borderRadius: 0 }} role="status">
      {state.passwordExpired ? 'Your password has expired.' : 'Your role requires two-factor sign-in.'} Until you{' '}
      {state.passwordExpired ? 'change it' : 'set it up'}, you can only manage your own account. <Link href="#/account">Go to My account</Link>
    </Alert>
  );
}
