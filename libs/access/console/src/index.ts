import AdminPanelSettingsIcon from '@mui/icons-material/AdminPanelSettings';
import RouterIcon from '@mui/icons-material/Router';
import { defineConsolePlugin } from '@bulwark/platform-console';
import { LockdownBanner } from './lockdown-banner';
import { NetworkPage } from './network-page';
import { RolesPage } from './roles-page';

export const accessConsolePlugin = defineConsolePlugin({
  name: 'access',
  pages: [
    { path: 'roles', component: RolesPage, menu: { label: 'Roles', icon: AdminPanelSettingsIcon, permission: 'ROLES_READ' } },
    { path: 'network', component: NetworkPage, menu: { label: 'Network & lockdown', icon: RouterIcon, permission: 'NETWORK_MANAGE' } },
  ],
  banners: [LockdownBanner],
});
