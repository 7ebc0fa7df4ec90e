import type { ConsolePlugin } from '@bulwark/platform-console';
import { accessConsolePlugin } from '@bulwark/access-console';
import { auditConsolePlugin } from '@bulwark/audit-console';
import { backupsConsolePlugin } from '@bulwark/backups-console';
import { identityConsolePlugin } from '@bulwark/identity-console';
import { limitsConsolePlugin } from '@bulwark/limits-console';
import { mailConsolePlugin } from '@bulwark/mail-console';
import { ssoConsolePlugin } from '@bulwark/sso-console';
import { supportConsolePlugin } from '@bulwark/support-console';
import { ticketsConsolePlugin } from '@bulwark/tickets-console';

/** The console is exactly this list. A new feature adds one line here. */
export const consolePlugins: readonly ConsolePlugin[] = [ticketsConsolePlugin, mailConsolePlugin, identityConsolePlugin, accessConsolePlugin, limitsConsolePlugin, ssoConsolePlugin, supportConsolePlugin, auditConsolePlugin, backupsConsolePlugin];
