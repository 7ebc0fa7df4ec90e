import { Entity, ManyToOne, PrimaryKey, Property, type Opt } from '@mikro-orm/core';
import { TenantScoped } from '@bulwark/platform-api';
import { randomUUID } from 'node:crypto';
import { User } from './user.entity';

/** A tenant's sign-in and session policy; one row per tenant, steered by its admins. */
@Entity({ tableName: 'identity_settings' })
export class IdentitySettings extends TenantScoped {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'int' }) passwordMinLength: Opt<number> = 12;
  @Property({ type: 'int' }) passwordHistory: Opt<number> = 5;
  @Property({ type: 'int' }) lockoutThreshold: Opt<number> = 5;
  @Property({ type: 'int' }) lockoutMinutes: Opt<number> = 15;
  @Property({ type: 'int' }) sessionIdleMinutes: Opt<number> = 30;
  @Property({ type: 'int' }) sessionAbsoluteHours: Opt<number> = 12;
  @Property({ type: 'boolean' }) allowRequesterSignup: Opt<boolean> = false;
  /** Roles whose members must use two-factor sign-in (they are asked to enrol). */
  @Property({ type: 'text[]', fieldName: 'twofa_required_roles' }) twoFactorRequiredRoles: Opt<string[]> = [];
  /**
   * Roles whose members sign in with single sign-on only: their password sign-in is refused.
   * Owners keep a break-glass password sign-in that needs two-factor and raises an alert.
   */
  @Property({ type: 'text[]' }) ssoRequiredRoles: Opt<string[]> = [];
  /** Days a password stays valid; null: passwords do not expire. */
  @Property({ type: 'int', nullable: true }) passwordExpiryDays?: number | null;
  @Property({ type: 'timestamptz' }) updatedAt: Opt<Date> = new Date();
}

/** Earlier password hashes, so the last N cannot be reused (A-series, history). */
@Entity({ tableName: 'password_history' })
export class PasswordHistory extends TenantScoped {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => User, { fieldName: 'user_id', deleteRule: 'cascade' })
  user!: User;

  @Property({ type: 'text', hidden: true })
  passwordHash!: string;

  @Property({ type: 'timestamptz' })
  createdAt!: Date;
}

export type AuthTokenKind = 'reset' | 'invite';

/** A single-use, expiring secret mailed to someone (A13). Only its SHA-256 is stored. */
@Entity({ tableName: 'auth_tokens' })
export class AuthToken extends TenantScoped {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => User, { fieldName: 'user_id', deleteRule: 'cascade' })
  user!: User;

  @Property({ type: 'text' })
  kind!: AuthTokenKind;

  @Property({ type: 'bytea', hidden: true })
  tokenHash!: Buffer;

  @Property({ type: 'timestamptz' })
  createdAt!: Date;

  @Property({ type: 'timestamptz' })
  expiresAt!: Date;

  @Property({ type: 'timestamptz', nullable: true })
  usedAt?: Date | null;
}

/** The password is older than the tenant allows (then the session is restricted until it changes). */
export function passwordExpired(settings: IdentitySettings, user: { passwordChangedAt?: Date | null; createdAt: Date }, now: Date): boolean {
  if (!settings.passwordExpiryDays) return false;
  const changed = user.passwordChangedAt ?? user.createdAt;
  return changed.getTime() < now.getTime() - settings.passwordExpiryDays * 24 * 3600_000;
}
