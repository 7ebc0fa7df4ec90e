import AdminPanelSettingsIcon from '@mui/icons-material/AdminPanelSettings';
import RouterIcon from '@mui/icons-material/Router';
import { defineConsolePlugin, Permission } from '@bulwark/platform-console';
import { LockdownBanner } from './lockdown-banner';
import { NetworkPage } from './network.page';
import { permissionsData, rolesData } from './roles.data';
import { RolesList } from './roles.page';

export const accessConsolePlugin = defineConsolePlugin({
  name: 'access',
  resources: [
    {
      name: 'roles',
      label: 'Roles',
      labelSingular: 'Role',
      icon: AdminPanelSettingsIcon,
      list: RolesList,
      recordRepresentation: 'name',
      access: { list: Permission.ROLES_READ, manage: Permission.ROLES_MANAGE },
      data: rolesData,
    },
    // The catalog the matrix's rows come from.
    { name: 'permissions', label: 'Permissions', hideInMenu: true, access: { list: Permission.ROLES_READ }, data: permissionsData },
  ],
  pages: [
    { path: 'network', component: NetworkPage, access: { list: Permission.NETWORK_MANAGE }, menu: { label: 'Network & lockdown', icon: RouterIcon } },
  ],
  banners: [LockdownBanner],
});
