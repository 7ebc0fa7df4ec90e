import AdminPanelSettingsIcon from '@mui/icons-material/AdminPanelSettings';
import RouterIcon from '@mui/icons-material/Router';
import { defineConsolePlugin, Permission } from '@bulwark/platform-console';
import { LockdownBanner } from './lockdown-banner';
import { NetworkPage } from './network.page';
import { RolesPage } from './roles.page';

export const accessConsolePlugin = defineConsolePlugin({
  name: 'access',
  pages: [
    {
      path: 'roles',
      component: RolesPage,
      access: { list: Permission.ROLES_READ, manage: Permission.ROLES_MANAGE },
      menu: { label: 'Roles', icon: AdminPanelSettingsIcon },
    },
    { path: 'network', component: NetworkPage, access: { list: Permission.NETWORK_MANAGE }, menu: { label: 'Network & lockdown', icon: RouterIcon } },
  ],
  banners: [LockdownBanner],
});
