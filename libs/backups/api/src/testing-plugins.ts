import { platformPlugin, type ApiPlugin } from '@bulwark/platform-api';
import { accessPlugin } from '@bulwark/access-api';
import { auditPlugin } from '@bulwark/audit-api';
import { identityPlugin } from '@bulwark/identity-api';
import { ticketsPlugin } from '@bulwark/tickets-api';
import { backupsPlugin } from './index';

/** The backup tests' server: every feature with tenant tables, as the API composes them. */
export const backupTestPlugins: readonly ApiPlugin[] = [platformPlugin, identityPlugin, accessPlugin, ticketsPlugin, auditPlugin, backupsPlugin];
