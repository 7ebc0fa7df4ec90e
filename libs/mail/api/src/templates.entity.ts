import { Entity, PrimaryKey, Property, type Opt } from '@mikro-orm/core';
import { TenantScoped } from '@bulwark/platform-api';
import { randomUUID } from 'node:crypto';
import type { TemplateKind } from './templates';

/** A tenant's own wording of one kind of mail (templates.ts); without a row, ours is used. */
@Entity({ tableName: 'mail_templates' })
export class MailTemplate extends TenantScoped {
  @PrimaryKey({ type: 'uuid' }) id: string = randomUUID();
  @Property({ type: 'text' }) kind!: TemplateKind;
  @Property({ type: 'text' }) subject!: string;
  @Property({ type: 'text' }) text!: string;
  @Property({ type: 'text', nullable: true }) html?: string | null;
  @Property({ type: 'timestamptz' }) updatedAt: Opt<Date> = new Date();
}
