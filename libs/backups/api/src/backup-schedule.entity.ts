import { Entity, PrimaryKey, Property, type Opt } from '@mikro-orm/core';
import { TenantScoped } from '@bulwark/platform-api';
import { randomUUID } from 'node:crypto';

@Entity({ tableName: 'backup_schedules' })
export class BackupSchedule extends TenantScoped {
  @PrimaryKey({ type: 'uuid' }) id: string = randomUUID();
  @Property({ type: 'text' }) cron: Opt<string> = '0 2 * * *';
  @Property({ type: 'text' }) timezone: Opt<string> = 'UTC';
  @Property({ type: 'int' }) retentionCount: Opt<number> = 10;
  @Property({ type: 'boolean' }) enabled: Opt<boolean> = true;
  @Property({ type: 'timestamptz', nullable: true }) nextRunAt?: Date | null;
  @Property({ type: 'timestamptz' }) updatedAt: Opt<Date> = new Date();
}
