import { Entity, PrimaryKey, Property, type Opt } from '@mikro-orm/core';
import { TenantScoped } from '@bulwark/platform-api';
import { randomUUID } from 'node:crypto';

export type BackupStatus = 'queued' | 'running' | 'succeeded' | 'failed';

@Entity({ tableName: 'backup_runs' })
export class BackupRun extends TenantScoped {
  @PrimaryKey({ type: 'uuid' }) id: string = randomUUID();
  @Property({ type: 'text' }) status!: BackupStatus;
  @Property({ type: 'text' }) trigger!: 'manual' | 'schedule' | 'cli';
  @Property({ type: 'text' }) encryption: Opt<'aes-256-gcm' | 'openpgp'> = 'aes-256-gcm';
  @Property({ type: 'text', nullable: true }) storageKey?: string | null;
  @Property({ type: 'bigint', nullable: true }) sizeBytes?: string | null;
  @Property({ type: 'text', nullable: true }) sha256?: string | null;
  @Property({ type: 'json', nullable: true }) counts?: Record<string, number> | null;
  @Property({ type: 'text', nullable: true }) error?: string | null;
  @Property({ type: 'timestamptz' }) createdAt!: Date;
  @Property({ type: 'timestamptz', nullable: true }) startedAt?: Date | null;
  @Property({ type: 'timestamptz', nullable: true }) finishedAt?: Date | null;
}
