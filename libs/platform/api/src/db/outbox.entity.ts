import { Entity, PrimaryKey, Property, type Opt } from '@mikro-orm/core';
import { TenantScoped } from './tenant-scoped';

/**
 * A row of the outbox (outbox.ts), read as the delivery log. Rows are written and claimed by
 * outbox.ts in SQL, in the transaction of the change that causes them; this entity only reads.
 */
@Entity({ tableName: 'outbox' })
export class OutboxMessage extends TenantScoped {
  @PrimaryKey({ type: 'uuid' })
  id!: string;

  @Property({ type: 'text' })
  kind!: string;

  @Property({ type: 'text' })
  recipient!: string;

  @Property({ type: 'text' })
  summary!: string;

  @Property({ type: 'text' })
  status!: 'pending' | 'delivered' | 'failed';

  @Property({ type: 'integer' })
  attempts: Opt<number> = 0;

  @Property({ type: 'text', nullable: true })
  lastError?: string | null;

  @Property({ type: 'timestamptz' })
  nextAttemptAt!: Date;

  @Property({ type: 'timestamptz' })
  createdAt!: Date;

  @Property({ type: 'timestamptz', nullable: true })
  deliveredAt?: Date | null;
}
