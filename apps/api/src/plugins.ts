import { platformPlugin, type ApiPlugin } from '@bulwark/platform-api';
import { accessPlugin } from '@bulwark/access-api';
import { auditPlugin } from '@bulwark/audit-api';
import { backupsPlugin } from '@bulwark/backups-api';
import { identityPlugin } from '@bulwark/identity-api';
import { ticketsPlugin } from '@bulwark/tickets-api';

/** The server is exactly this list. A new feature adds one line here. */
export const apiPlugins: readonly ApiPlugin[] = [platformPlugin, identityPlugin, accessPlugin, ticketsPlugin, auditPlugin, backupsPlugin];
