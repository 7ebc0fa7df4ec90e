import BackupIcon from '@mui/icons-material/Backup';
import { defineConsolePlugin } from '@bulwark/platform-console';
import { BackupsCard } from './backups.card';
import { BackupsPage } from './backups.page';
import { RESTORED_PATH, RestoredPage } from './backups.restore';

export const backupsConsolePlugin = defineConsolePlugin({
  name: 'backups',
  pages: [
    { path: 'backups', component: BackupsPage, menu: { label: 'Backups', icon: BackupIcon, permission: 'BACKUPS_READ' } },
    // After a real restore every session has ended: this last step lives outside the signed-in layout.
    { path: RESTORED_PATH, component: RestoredPage, public: true },
  ],
  dashboardCards: [{ key: 'backups', permission: 'BACKUPS_READ', component: BackupsCard }],
});
