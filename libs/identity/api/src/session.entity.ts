import { Entity, ManyToOne, PrimaryKey, Property, type Opt } from '@mikro-orm/core';
import { TenantScoped } from '@bulwark/platform-api';
import { randomUUID } from 'node:crypto';
import { User } from './user.entity';

/** A server-side session. Only the SHA-256 of its token is stored (SECURITY.md B1, B9). */
@Entity({ tableName: 'sessions' })
export class Session extends TenantScoped {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => User, { fieldName: 'user_id' })
  user!: User;

  @Property({ type: 'bytea', hidden: true })
  tokenHash!: Buffer;

  @Property({ type: 'timestamptz' })
  createdAt!: Date;

  @Property({ type: 'timestamptz' })
  lastSeenAt!: Date;

  @Property({ type: 'timestamptz' })
  expiresAt!: Date;

  @Property({ type: 'text' })
  ip: Opt<string> = '';

  @Property({ type: 'text' })
  userAgent: Opt<string> = '';

  /** When the password was last confirmed in this session (B8 "sudo mode"). */
  @Property({ type: 'timestamptz', nullable: true })
  reauthAt?: Date | null;
}
