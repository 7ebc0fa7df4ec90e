import SpeedIcon from '@mui/icons-material/Speed';
import { defineConsolePlugin, Permission } from '@bulwark/platform-console';
import { RateLimitsPage } from './rate-limits.page';

/** The workspace's rate limits (H4): a settings page for admins. */
export const limitsConsolePlugin = defineConsolePlugin({
  name: 'limits',
  pages: [{ path: 'rate-limits', component: RateLimitsPage, access: { list: Permission.LIMITS_MANAGE }, menu: { label: 'Rate limits', icon: SpeedIcon } }],
});
