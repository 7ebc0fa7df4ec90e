import { Entity, PrimaryKey, Property, type Opt } from '@mikro-orm/core';
import { TenantScoped } from '@bulwark/platform-api';
import { randomUUID } from 'node:crypto';

/** A custom role: any subset of the permission catalog, made by a tenant admin. */
@Entity({ tableName: 'roles' })
export class Role extends TenantScoped {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'text' })
  name!: string;

  @Property({ type: 'text' })
  description: Opt<string> = '';

  @Property({ type: 'text[]' })
  permissions: string[] = [];

  @Property({ type: 'timestamptz' })
  createdAt!: Date;

  @Property({ type: 'timestamptz' })
  updatedAt!: Date;
}

export type IpMode = 'off' | 'report' | 'enforce';

@Entity({ tableName: 'access_settings' })
export class AccessSettings extends TenantScoped {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'text' }) ipMode: Opt<IpMode> = 'off';
  @Property({ type: 'boolean' }) ipIncludesRequesters: Opt<boolean> = false;
  @Property({ type: 'boolean' }) lockdown: Opt<boolean> = false;
  @Property({ type: 'timestamptz', nullable: true }) lockdownChangedAt?: Date | null;
  @Property({ type: 'timestamptz' }) updatedAt: Opt<Date> = new Date();
}

@Entity({ tableName: 'ip_rules' })
export class IpRule extends TenantScoped {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  /** A CIDR range, IPv4 or IPv6, normalised (`10.0.0.0/8`, `2001:db8::/32`). */
  @Property({ type: 'text', columnType: 'cidr' })
  cidr!: string;

  @Property({ type: 'text' })
  label: Opt<string> = '';

  @Property({ type: 'timestamptz' })
  createdAt!: Date;
}
