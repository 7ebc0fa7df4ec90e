import { Entity, ManyToOne, PrimaryKey, Property, type Opt } from '@mikro-orm/core';
import { TenantScoped } from '@bulwark/platform-api';
import { Ticket } from '@bulwark/tickets-api';
import { randomUUID } from 'node:crypto';

/** The platform's own support staff: no tenant's, managed by the CLI (`operator create|list|suspend`). */
@Entity({ tableName: 'support_operators' })
export class SupportOperator {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'text' })
  email!: string;

  @Property({ type: 'text' })
  name!: string;

  @Property({ type: 'text', hidden: true })
  passwordHash!: string;

  /** Sealed like people's (identity's encryptTotpSecret), bound to the operator. Mandatory. */
  @Property({ type: 'text', hidden: true })
  totpSecret!: string;

  @Property({ type: 'bigint', nullable: true })
  totpLastStep?: number | null;

  @Property({ type: 'text' })
  status: Opt<'active' | 'suspended'> = 'active';

  @Property({ type: 'int' })
  failedCount: Opt<number> = 0;

  @Property({ type: 'timestamptz', nullable: true })
  lockedUntil?: Date | null;

  @Property({ type: 'timestamptz' })
  createdAt: Opt<Date> = new Date();
}

export const SUPPORT_ACCESS = ['read_only', 'custom'] as const;
export type SupportAccessKind = (typeof SUPPORT_ACCESS)[number];
export type GrantEndReason = 'ticket_closed' | 'expired' | 'revoked';

/** A tenant admin's consent: what, for whom, until when, tied to a vendor support ticket. */
@Entity({ tableName: 'support_grants' })
export class SupportGrant extends TenantScoped {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  /** A relation, so a new request's ticket is inserted before its grant. */
  @ManyToOne(() => Ticket, { fieldName: 'ticket_id', deleteRule: 'cascade' })
  ticket!: Ticket;

  @Property({ type: 'uuid' })
  grantedBy!: string;

  @Property({ type: 'text' })
  access!: SupportAccessKind;

  @Property({ type: 'text[]' })
  permissions!: string[];

  /** Empty: the whole support team. */
  @Property({ type: 'uuid[]' })
  operatorIds: Opt<string[]> = [];

  @Property({ type: 'timestamptz' })
  createdAt!: Date;

  @Property({ type: 'timestamptz' })
  expiresAt!: Date;

  @Property({ type: 'timestamptz', nullable: true })
  endedAt?: Date | null;

  @Property({ type: 'text', nullable: true })
  endReason?: GrantEndReason | null;

  @Property({ type: 'uuid', nullable: true })
  endedBy?: string | null;

  @Property({ type: 'timestamptz', nullable: true })
  endNoticedAt?: Date | null;
}

/** An operator signed in to one tenant under one grant: dies with the grant (H2). */
@Entity({ tableName: 'support_sessions' })
export class SupportSession extends TenantScoped {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid' })
  grantId!: string;

  @Property({ type: 'uuid' })
  operatorId!: string;

  @Property({ type: 'bytea', hidden: true })
  tokenHash!: Buffer;

  @Property({ type: 'timestamptz' })
  createdAt!: Date;

  @Property({ type: 'timestamptz' })
  lastSeenAt!: Date;

  @Property({ type: 'timestamptz' })
  expiresAt!: Date;
}
