import MailIcon from '@mui/icons-material/Mail';
import MarkEmailUnreadIcon from '@mui/icons-material/MarkEmailUnread';
import { defineConsolePlugin, Permission } from '@bulwark/platform-console';
import { HeldMailPage } from './held-mail.page';
import { MailSettingsPage } from './mail-settings.page';
import { MailTemplatesPage } from './templates.page';
import DraftsIcon from '@mui/icons-material/Drafts';

/**
 * The email channel: the workspace's address, forwarding and sender verification, and the queue
 * of held mail, and the wording of outbound mail with the DKIM record to publish. One page per job.
 */
export const mailConsolePlugin = defineConsolePlugin({
  name: 'mail',
  pages: [
    { path: 'mail', component: MailSettingsPage, access: { list: Permission.MAIL_MANAGE }, menu: { label: 'Mail', icon: MailIcon } },
    { path: 'held-mail', component: HeldMailPage, access: { list: Permission.MAIL_MANAGE }, menu: { label: 'Held mail', icon: MarkEmailUnreadIcon } },
    { path: 'mail-templates', component: MailTemplatesPage, access: { list: Permission.MAIL_MANAGE }, menu: { label: 'Mail templates', icon: DraftsIcon } },
  ],
});
