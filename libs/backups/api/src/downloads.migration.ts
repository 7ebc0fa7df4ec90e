import { Migration } from '@mikro-orm/migrations';
import { oneTimeLinkTable } from '@bulwark/platform-api';

/**
 * One-time links to download a backup file (issue 5 §9): the mutation (backups.download,
 * re-authenticated, audited) stores the token's hash; the GET claims it once. A link goes with
 * its run when the run is rotated out.
 */
export class Migration20261121001800BackupDownloads extends Migration {
  override async up(): Promise<void> {
    const run = ['run_id uuid not null', 'foreign key (tenant_id, run_id) references backup_runs (tenant_id, id) on delete cascade'];
    for (const sql of oneTimeLinkTable('backup_downloads', run)) this.addSql(sql);
  }
}
