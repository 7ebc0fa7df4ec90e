import { Entity, Property } from '@mikro-orm/core';
import { OneTimeLink } from '@bulwark/platform-api';

/** A one-time link to one stored backup file (issue 5 §9): made by downloadBackup, used by the GET. */
@Entity({ tableName: 'backup_downloads' })
export class BackupDownload extends OneTimeLink {
  @Property({ type: 'uuid' }) runId!: string;
}
