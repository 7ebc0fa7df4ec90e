import { Entity, PrimaryKey, Property } from '@mikro-orm/core';
import { TenantScoped } from '@bulwark/platform-api';
import { randomUUID } from 'node:crypto';

/** An API token: shown once at creation; only its SHA-256 is stored (SECURITY.md B1, B9). */
@Entity({ tableName: 'api_tokens' })
export class ApiToken extends TenantScoped {
  @PrimaryKey({ type: 'uuid' }) id: string = randomUUID();
  @Property({ type: 'text' }) name!: string;
  @Property({ type: 'bytea', hidden: true }) tokenHash!: Buffer;
  @Property({ type: 'text[]' }) permissions: string[] = [];
  @Property({ type: 'uuid' }) createdBy!: string;
  @Property({ type: 'timestamptz' }) createdAt!: Date;
  @Property({ type: 'timestamptz', nullable: true }) expiresAt?: Date | null;
  @Property({ type: 'timestamptz', nullable: true }) lastUsedAt?: Date | null;
  @Property({ type: 'text', nullable: true }) lastUsedIp?: string | null;
  @Property({ type: 'timestamptz', nullable: true }) revokedAt?: Date | null;
}
