import { Alert } from '@mui/material';
import { usePolled } from '@bulwark/platform-console';

/** Every signed-in person sees when changes are paused, and why their saves fail. */
export function LockdownBanner() {
  const on = usePolled<{ accessStatus: { lockdown: boolean } }>(`{ accessStatus { lockdown } }`)?.accessStatus.lockdown;
  if (!on) return null;
  return (
    <Alert severity="warning" sx={{ borderRadius: 0 }} role="status">
      Lockdown mode: changes are paused for this workspace. You can still read everything.
    </Alert>
  );
}
