import { Entity, PrimaryKey, Property, type Opt } from '@mikro-orm/core';
import { TenantScoped } from '@bulwark/platform-api';
import { randomUUID } from 'node:crypto';

/**
 * A customer company whose people ask for help. Requesters belong to at most one; a new
 * requester whose address is at one of its domains joins it (organizations.service.ts).
 */
@Entity({ tableName: 'organizations' })
export class Organization extends TenantScoped {
  @PrimaryKey({ type: 'uuid' }) id: string = randomUUID();
  /** Unique per tenant. */
  @Property({ type: 'text' }) name!: string;
  /** Lower-case domain names; one domain belongs to at most one organization of a tenant. */
  @Property({ type: 'text[]' }) domains: Opt<string[]> = [];
  @Property({ type: 'timestamptz' }) createdAt: Opt<Date> = new Date();
}
