import { Entity, PrimaryKey, Property, type Opt } from '@mikro-orm/core';
import { OneTimeLink, TenantScoped } from '@bulwark/platform-api';
import { randomUUID } from 'node:crypto';

@Entity({ tableName: 'audit_settings' })
export class AuditSettings extends TenantScoped {
  @PrimaryKey({ type: 'uuid' }) id: string = randomUUID();
  @Property({ type: 'int' }) retentionDays: Opt<number> = 365;
  @Property({ type: 'timestamptz' }) updatedAt: Opt<Date> = new Date();
}

export const ALERT_KINDS = ['failed_logins', 'permission_granted', 'network_change', 'break_glass', 'backup_failed', 'export', 'spam_quarantine'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

@Entity({ tableName: 'audit_alert_rules' })
export class AlertRule extends TenantScoped {
  @PrimaryKey({ type: 'uuid' }) id: string = randomUUID();
  @Property({ type: 'text' }) name!: string;
  @Property({ type: 'text' }) kind!: AlertKind;
  @Property({ type: 'int' }) threshold: Opt<number> = 1;
  @Property({ type: 'int' }) windowMinutes: Opt<number> = 15;
  @Property({ type: 'text', nullable: true }) webhookUrl?: string | null;
  /** The signing secret, sealed with the platform key (alerts.ts); never returned after creation. */
  @Property({ type: 'text', nullable: true }) webhookSecretSealed?: string | null;
  /** Addresses each alert is mailed to (alerts.ts), besides `emailAdmins`. */
  @Property({ type: 'text[]' }) emailTo: Opt<string[]> = [];
  /** Mail each alert to every active owner and admin, as they are when it is raised. */
  @Property({ type: 'boolean' }) emailAdmins: Opt<boolean> = false;
  @Property({ type: 'boolean' }) enabled: Opt<boolean> = true;
  @Property({ type: 'timestamptz' }) createdAt!: Date;
}

export type Delivery = 'none' | 'pending' | 'delivered' | 'failed';

@Entity({ tableName: 'audit_alerts' })
export class Alert extends TenantScoped {
  @PrimaryKey({ type: 'uuid' }) id: string = randomUUID();
  @Property({ type: 'uuid', nullable: true }) ruleId?: string | null;
  @Property({ type: 'text' }) ruleName!: string;
  @Property({ type: 'text' }) kind!: AlertKind;
  @Property({ type: 'text' }) subject!: string;
  @Property({ type: 'text' }) title!: string;
  @Property({ type: 'bigint' }) eventSeq!: string;
  @Property({ type: 'uuid', nullable: true }) eventId?: string | null;
  @Property({ type: 'timestamptz' }) createdAt!: Date;
  @Property({ type: 'text' }) delivery: Opt<Delivery> = 'none';
  @Property({ type: 'int' }) attempts: Opt<number> = 0;
  @Property({ type: 'text', nullable: true }) lastError?: string | null;
  @Property({ type: 'timestamptz', nullable: true }) deliveredAt?: Date | null;
}

@Entity({ tableName: 'audit_exports' })
export class AuditExport extends OneTimeLink {
  @Property({ type: 'text' }) format!: 'csv' | 'ndjson';
  @Property({ type: 'json' }) filter!: Record<string, unknown>;
}
