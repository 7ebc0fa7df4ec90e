import { Entity, PrimaryKey, Property } from '@mikro-orm/core';
import { TenantScoped } from '@bulwark/platform-api';
import { randomUUID } from 'node:crypto';

/** What a person's SCIM record says beyond the account: the parts of their name, as sent. */
export interface ScimProfile {
  givenName?: string | null;
  familyName?: string | null;
  middleName?: string | null;
  honorificPrefix?: string | null;
  honorificSuffix?: string | null;
  formatted?: string | null;
  /** The `type` the provider gave the email (work, home…). */
  emailType?: string | null;
}

/**
 * SCIM's own attributes of a person or a group that Bulwark's records do not hold: the identity
 * provider's `externalId`, and a person's `userName` when it is not their email. A row exists once
 * SCIM has created or changed the resource; a person without one is `userName` = email. The SCIM
 * `id` of a resource is the person's or group's own id.
 */
@Entity({ tableName: 'scim_resources' })
export class ScimResource extends TenantScoped {
  @PrimaryKey({ type: 'uuid' }) id: string = randomUUID();
  @Property({ type: 'text' }) resourceType!: 'User' | 'Group';
  /** Exactly one of the two, as resourceType says (keys to users and ticket_groups, cascading). */
  @Property({ type: 'uuid', nullable: true }) userId?: string | null;
  @Property({ type: 'uuid', nullable: true }) groupId?: string | null;
  @Property({ type: 'text', nullable: true }) externalId?: string | null;
  /** As sent; compared case-insensitively through `userNameKey` (its lower case). */
  @Property({ type: 'text', nullable: true }) userName?: string | null;
  @Property({ type: 'text', nullable: true }) userNameKey?: string | null;
  @Property({ type: 'json' }) profile: ScimProfile = {};
  @Property({ type: 'timestamptz' }) createdAt!: Date;
  @Property({ type: 'timestamptz' }) updatedAt!: Date;
}
