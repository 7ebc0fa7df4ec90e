import { Alert } from '@mui/material';
import { useEffect, useState } from 'react';
import { gql } from '@bulwark/platform-console';

/** Every signed-in person sees when changes are paused, and why their saves fail. */
export function LockdownBanner() {
  const [on, setOn] = useState(false);
  useEffect(() => {
    let alive = true;
    const check = () =>
      gql<{ accessStatus: { lockdown: boolean } }>(`{ accessStatus { lockdown } }`)
        .then((d) => alive && setOn(d.accessStatus.lockdown))
        .catch(() => undefined);
    void check();
    const timer = setInterval(check, 30_000);
    return () => {
      alive = false;
      clearInterval(timer);
    };
  }, []);
  if (!on) return null;
  return (
    <Alert severity="warning" sx={{ borderRadius: 0 }} role="status">
      Lockdown mode: changes are paused for this workspace. You can still read everything.
    </Alert>
  );
}
