import { platformPlugin, type ApiPlugin } from '@bulwark/platform-api';
import { accessPlugin } from '@bulwark/access-api';
import { auditPlugin } from '@bulwark/audit-api';
import { backupsPlugin } from '@bulwark/backups-api';
import { identityPlugin } from '@bulwark/identity-api';
import { ticketsPlugin } from '@bulwark/tickets-api';
import { ssoPlugin } from '@bulwark/sso-api';
import { scimPlugin } from '@bulwark/scim-api';
import { supportPlugin } from '@bulwark/support-api';
import { limitsPlugin } from '@bulwark/limits-api';
import { mailPlugin } from '@bulwark/mail-api';

/**
 * The server is exactly this list: the API, the CLI, the worker, the bench, the console's code
 * generator and the whole-app tests all compose it from here. A new feature adds one line.
 */
export const apiPlugins: readonly ApiPlugin[] = [platformPlugin, identityPlugin, supportPlugin, accessPlugin, ticketsPlugin, mailPlugin, ssoPlugin, scimPlugin, limitsPlugin, auditPlugin, backupsPlugin];
