import { BigIntType, Entity, PrimaryKey, Property, type Opt } from '@mikro-orm/core';
import { TenantScoped } from '@bulwark/platform-api';
import { randomUUID } from 'node:crypto';

export type UserStatus = 'active' | 'suspended' | 'invited' | 'deleted';

@Entity({ tableName: 'users' })
export class User extends TenantScoped {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  /** Stored lower-cased: sign-in and uniqueness are case-insensitive. */
  @Property({ type: 'text' })
  email!: string;

  @Property({ type: 'text' })
  name!: string;

  /** Personal data like the email: masked for roles without users.viewPii (D3). */
  @Property({ type: 'text', nullable: true })
  phone?: string | null;

  /** A built-in role key; custom roles arrive with the roles feature. */
  @Property({ type: 'text' })
  role!: string;

  /**
   * The organization a requester belongs to (a plain id, not a relation: loading people never
   * joins organizations). A key with tenant_id holds it to this tenant's organizations.
   */
  @Property({ type: 'uuid', nullable: true })
  organizationId?: string | null;

  @Property({ type: 'text', nullable: true, hidden: true })
  passwordHash?: string | null;

  @Property({ type: 'text' })
  status: Opt<UserStatus> = 'active';

  @Property({ type: 'timestamptz' })
  createdAt: Opt<Date> = new Date();

  /** Consecutive failed sign-ins since the last success or lock (A10). */
  @Property({ type: 'int' })
  failedLogins: Opt<number> = 0;

  @Property({ type: 'timestamptz', nullable: true })
  lockedUntil?: Date | null;

  @Property({ type: 'timestamptz', nullable: true })
  passwordChangedAt?: Date | null;

  /**
   * The TOTP secret, encrypted (totp.ts); set but not yet enabled while enrolment awaits its first
   * code. Never returned after enrolment.
   */
  @Property({ type: 'text', nullable: true, hidden: true })
  totpSecretEnc?: string | null;

  /** When two-factor sign-in was turned on; null: off. */
  @Property({ type: 'timestamptz', nullable: true })
  totpEnabledAt?: Date | null;

  /** The last TOTP time step used: a code's step is accepted once (replay guard). */
  @Property({ type: new BigIntType('number'), nullable: true, hidden: true })
  totpLastStep?: number | null;
}
