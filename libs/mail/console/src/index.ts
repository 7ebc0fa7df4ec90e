import MailIcon from '@mui/icons-material/Mail';
import MarkEmailUnreadIcon from '@mui/icons-material/MarkEmailUnread';
import { defineConsolePlugin, Permission } from '@bulwark/platform-console';
import { HeldMailPage } from './held-mail.page';
import { MailSettingsPage } from './mail-settings.page';

/**
 * The email channel: the workspace's address, forwarding and sender verification, and the queue
 * of held mail. One page per job; further mail pages (templates, the DKIM key) join this list.
 */
export const mailConsolePlugin = defineConsolePlugin({
  name: 'mail',
  pages: [
    { path: 'mail', component: MailSettingsPage, access: { list: Permission.MAIL_MANAGE }, menu: { label: 'Mail', icon: MailIcon } },
    { path: 'held-mail', component: HeldMailPage, access: { list: Permission.MAIL_MANAGE }, menu: { label: 'Held mail', icon: MarkEmailUnreadIcon } },
  ],
});
