import SupportAgentIcon from '@mui/icons-material/SupportAgent';
import { defineConsolePlugin, Permission } from '@bulwark/platform-console';
import { SupportAccessList, supportGrantsData } from './support-access.page';
import { SupportBanner } from './support-banner';
import { SupportSignInPage } from './support-sign-in.page';

/** Vendor support access (issue 18 §1): grants, their banner, and the operators' own sign-in. */
export const supportConsolePlugin = defineConsolePlugin({
  name: 'support',
  resources: [
    {
      name: 'support-grants',
      label: 'Vendor support',
      labelSingular: 'Vendor support access',
      icon: SupportAgentIcon,
      list: SupportAccessList,
      access: { list: Permission.SUPPORT_READ, manage: Permission.SUPPORT_MANAGE },
      data: supportGrantsData,
    },
  ],
  pages: [{ path: 'support-sign-in', component: SupportSignInPage, public: true }],
  banners: [SupportBanner],
});
