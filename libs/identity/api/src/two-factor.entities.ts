import { Entity, ManyToOne, PrimaryKey, Property, type Opt } from '@mikro-orm/core';
import { TenantScoped } from '@bulwark/platform-api';
import { randomUUID } from 'node:crypto';
import { User } from './user.entity';

/** A single-use recovery code for two-factor sign-in; only its keyed hash is stored (shown once). */
@Entity({ tableName: 'recovery_codes' })
export class RecoveryCode extends TenantScoped {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => User, { fieldName: 'user_id', deleteRule: 'cascade' })
  user!: User;

  @Property({ type: 'bytea', hidden: true })
  codeHash!: Buffer;

  @Property({ type: 'timestamptz', nullable: true })
  usedAt?: Date | null;

  @Property({ type: 'timestamptz' })
  createdAt!: Date;
}

/**
 * The second step of a sign-in: the password was right, the account has two-factor
 * authentication, and no session exists yet. Only the SHA-256 of its `bwc_` token is stored;
 * it expires after a few minutes and a few wrong codes.
 */
@Entity({ tableName: 'login_challenges' })
export class LoginChallenge extends TenantScoped {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => User, { fieldName: 'user_id', deleteRule: 'cascade' })
  user!: User;

  @Property({ type: 'bytea', hidden: true })
  tokenHash!: Buffer;

  @Property({ type: 'timestamptz' })
  createdAt!: Date;

  @Property({ type: 'timestamptz' })
  expiresAt!: Date;

  @Property({ type: 'int' })
  attempts: Opt<number> = 0;
}
