import BackupIcon from '@mui/icons-material/Backup';
import { defineConsolePlugin, Permission } from '@bulwark/platform-console';
import { BackupsCard } from './backups.card';
import { backupsData } from './backups.data';
import { BackupsPage } from './backups.page';
import { RESTORED_PATH, RestoredPage } from './backups.restore';

export const backupsConsolePlugin = defineConsolePlugin({
  name: 'backups',
  resources: [
    {
      name: 'backups',
      label: 'Backups',
      labelSingular: 'Backup',
      icon: BackupIcon,
      list: BackupsPage,
      access: { list: Permission.BACKUPS_READ, manage: Permission.BACKUPS_MANAGE, restore: Permission.BACKUPS_RESTORE, download: Permission.BACKUPS_DOWNLOAD },
      data: backupsData,
    },
  ],
  pages: [
    // After a real restore every session has ended: this last step lives outside the signed-in layout.
    { path: RESTORED_PATH, component: RestoredPage, public: true },
  ],
  dashboardCards: [{ key: 'backups', resource: 'backups', component: BackupsCard }],
});
