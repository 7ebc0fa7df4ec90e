import LoginIcon from '@mui/icons-material/Login';
import { defineConsolePlugin, Permission } from '@bulwark/platform-console';
import { ConnectionCreate, ConnectionEdit } from './connection.page';
import { ConnectionsList } from './connections.page';
import { ssoConnectionsData } from './sso.data';

/**
 * Single sign-on in the console (issue 17): connections to identity providers (OpenID Connect,
 * SAML 2.0, JWT) with our URLs to copy and a test, role and group mapping with a preview, which
 * roles must use single sign-on (identity settings), and SCIM provisioning tokens. The sign-in
 * page's single sign-on step is the platform's (login.page.tsx).
 */
export const ssoConsolePlugin = defineConsolePlugin({
  name: 'sso',
  resources: [
    {
      name: 'sso-connections',
      label: 'Single sign-on',
      labelSingular: 'Connection',
      icon: LoginIcon,
      list: ConnectionsList,
      create: ConnectionCreate,
      edit: ConnectionEdit,
      recordRepresentation: 'name',
      access: {
        list: Permission.SSO_MANAGE,
        create: Permission.SSO_MANAGE,
        edit: Permission.SSO_MANAGE,
        delete: Permission.SSO_MANAGE,
        // Sections of the page that other features' permissions open.
        enforce: Permission.SECURITY_MANAGE,
        scim: Permission.TOKENS_MANAGE,
      },
      data: ssoConnectionsData,
    },
  ],
});
