import { Entity, PrimaryKey, Property, type Opt } from '@mikro-orm/core';
import { TenantScoped } from '@bulwark/platform-api';
import { randomUUID } from 'node:crypto';

/** A tenant's own rate-limit budgets (cost points per minute); null: the platform's default. */
@Entity({ tableName: 'rate_limit_settings' })
export class RateLimitSettings extends TenantScoped {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'integer', nullable: true }) perUser?: number | null;
  @Property({ type: 'integer', nullable: true }) perToken?: number | null;
  @Property({ type: 'integer', nullable: true }) perTenant?: number | null;
  @Property({ type: 'timestamptz' }) updatedAt: Opt<Date> = new Date();
}
