import AccountCircleIcon from '@mui/icons-material/AccountCircle';
import BusinessIcon from '@mui/icons-material/Business';
import PeopleIcon from '@mui/icons-material/People';
import SecurityIcon from '@mui/icons-material/Security';
import VpnKeyIcon from '@mui/icons-material/VpnKey';
import { defineConsolePlugin, Permission } from '@bulwark/platform-console';
import { AccountPage } from './account.page';
import { ApiTokensList, apiTokensData } from './api-tokens.page';
import { EnrolmentBanner } from './enrolment-banner';
import { PortalAccountPage } from './portal-account.page';
import { AcceptInvitationPage, ForgotPasswordPage, ResetPasswordPage } from './public-pages';
import { SecurityPage } from './security.page';
import { UserList, usersData } from './users';
import { organizationsData } from './organizations.data';
import { OrganizationsList } from './organizations.page';

export const identityConsolePlugin = defineConsolePlugin({
  name: 'identity',
  resources: [
    {
      name: 'users',
      label: 'People',
      labelSingular: 'Person',
      icon: PeopleIcon,
      list: UserList,
      recordRepresentation: 'name',
      access: { list: Permission.USERS_READ, manage: Permission.USERS_MANAGE },
      data: usersData,
    },
    // Also read by the people list's Organization column, filter and picker.
    {
      name: 'organizations',
      label: 'Organizations',
      labelSingular: 'Organization',
      icon: BusinessIcon,
      list: OrganizationsList,
      recordRepresentation: 'name',
      access: { list: Permission.ORGANIZATIONS_READ, manage: Permission.ORGANIZATIONS_MANAGE },
      data: organizationsData,
    },
    { name: 'api-tokens', label: 'API tokens', labelSingular: 'API token', icon: VpnKeyIcon, list: ApiTokensList, access: { list: Permission.TOKENS_MANAGE }, data: apiTokensData },
  ],
  pages: [
    { path: 'account', component: AccountPage, menu: { label: 'My account', icon: AccountCircleIcon } },
    { path: 'security', component: SecurityPage, access: { list: Permission.SECURITY_MANAGE }, menu: { label: 'Sign-in & sessions', icon: SecurityIcon } },
    { path: 'reset-password', component: ResetPasswordPage, public: true },
    { path: 'accept-invitation', component: AcceptInvitationPage, public: true },
    { path: 'forgot-password', component: ForgotPasswordPage, public: true },
  ],
  banners: [EnrolmentBanner],
  // Requesters keep their account (password, two-factor sign-in, sessions) in the portal too.
  portal: { pages: [{ path: 'account', component: PortalAccountPage, nav: 'account', label: 'My account' }] },
});
