import { defineConfig } from '@bulwark/platform-api';
import { parseRange, type Range } from '@bulwark/access-api';

/** Vendor support access's platform settings (README "Settings"). */
export const supportConfig = defineConfig('support', (env) => {
  const networks = (env.BULWARK_SUPPORT_NETWORKS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const ranges: Range[] = networks.map((n) => {
    const range = parseRange(n);
    if (!range) throw new Error(`BULWARK_SUPPORT_NETWORKS: "${n}" is not an IP address or CIDR range (e.g. 203.0.113.0/24, 2001:db8::/32)`);
    return range;
  });
  const sweep = env.BULWARK_SUPPORT_SWEEP_MS ?? '60000';
  if (!/^\d+$/.test(sweep)) throw new Error(`BULWARK_SUPPORT_SWEEP_MS must be a number of milliseconds, got "${sweep}"`);
  return {
    /** Where operators may sign in and work from; empty: anywhere (2FA is mandatory either way). */
    networks: ranges,
    /** An operator's session: idle timeout and absolute lifetime (never beyond the grant). */
    idleMinutes: 30,
    sessionHours: 8,
    /** Grants: default and maximum duration (issue 18: 72 h, 30 days). */
    defaultHours: 72,
    maxHours: 30 * 24,
    /** How often the sweeper ends expired grants and tells admins that access ended. */
    sweepMs: Number(sweep),
  };
});
