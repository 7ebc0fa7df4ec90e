import { Entity, PrimaryKey, Property, type Opt } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';

/**
 * A tenant (one customer account). Not tenant-scoped itself: its RLS policy lets a transaction see
 * only the tenant it is set to; sign-in finds a tenant by slug through a SECURITY DEFINER function.
 */
@Entity({ tableName: 'tenants' })
export class Tenant {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'text' })
  slug!: string;

  @Property({ type: 'text' })
  name!: string;

  @Property({ type: 'timestamptz' })
  createdAt: Opt<Date> = new Date();
}
