import { Entity, ManyToOne, PrimaryKey, Property } from '@mikro-orm/core';
import { TenantScoped } from '@bulwark/platform-api';
import { User } from '@bulwark/identity-api';
import { randomUUID } from 'node:crypto';

/** A group of staff (Billing, Tier 2, …): tickets can be given to one. */
@Entity({ tableName: 'ticket_groups' })
export class TicketGroup extends TenantScoped {
  @PrimaryKey({ type: 'uuid' }) id: string = randomUUID();
  @Property({ type: 'text' }) name!: string;
  @Property({ type: 'timestamptz' }) createdAt!: Date;
}

@Entity({ tableName: 'ticket_group_members' })
export class GroupMember extends TenantScoped {
  @PrimaryKey({ type: 'uuid' }) id: string = randomUUID();
  @ManyToOne(() => TicketGroup, { fieldName: 'group_id', deleteRule: 'cascade' }) group!: TicketGroup;
  @ManyToOne(() => User, { fieldName: 'user_id' }) user!: User;
}
