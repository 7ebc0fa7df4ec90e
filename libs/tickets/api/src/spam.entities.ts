import { Entity, ManyToOne, PrimaryKey, Property, type Opt } from '@mikro-orm/core';
import { TenantScoped } from '@bulwark/platform-api';
import { User } from '@bulwark/identity-api';
import { randomUUID } from 'node:crypto';

/** The spam watcher's defaults (Freshdesk's): 50 tickets in 30 minutes, on for every workspace. */
export const SPAM_DEFAULTS = { enabled: true, limit: 50, windowMinutes: 30 } as const;
/** The bounds an admin may choose within (spam.service validates them with field errors). */
export const SPAM_BOUNDS = { limit: [1, 1000], windowMinutes: [1, 1440] } as const;

/** A workspace's spam rules; no row means the defaults. */
@Entity({ tableName: 'spam_settings' })
export class SpamSettings extends TenantScoped {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'boolean' }) enabled: Opt<boolean> = SPAM_DEFAULTS.enabled;
  @Property({ type: 'integer', fieldName: 'ticket_limit' }) limit: Opt<number> = SPAM_DEFAULTS.limit;
  @Property({ type: 'integer' }) windowMinutes: Opt<number> = SPAM_DEFAULTS.windowMinutes;
  @Property({ type: 'timestamptz' }) updatedAt: Opt<Date> = new Date();
}

/**
 * What a quarantine is about: a requester (every ticket has one), or, for anonymous channels, the
 * sender's address or the client's network address the tickets came from (see spam.service).
 */
export const SPAM_SUBJECT_KINDS = ['requester', 'sender', 'address'] as const;
export type SpamSubjectKind = (typeof SPAM_SUBJECT_KINDS)[number];

/**
 * active: over the limit, tickets held for an admin to judge; blocked: an admin refused their
 * tickets until someone releases them; released: the held tickets were let through; deleted: the
 * held tickets were deleted (the person stays).
 */
export const QUARANTINE_STATUSES = ['active', 'blocked', 'released', 'deleted'] as const;
export type QuarantineStatus = (typeof QUARANTINE_STATUSES)[number];

/** One quarantine of one subject; at most one open (active or blocked) per subject (a partial unique index). */
@Entity({ tableName: 'spam_quarantines' })
export class SpamQuarantine extends TenantScoped {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'text' }) subjectKind!: SpamSubjectKind;
  /** The requester's id, the sender's address or the client's address. */
  @Property({ type: 'text' }) subjectKey!: string;

  /** The person, when the subject is a requester. */
  @ManyToOne(() => User, { fieldName: 'requester_id', nullable: true })
  requester?: User | null;

  /** Why: the rule that was passed, as it stood then. */
  @Property({ type: 'integer' }) ticketCount!: number;
  @Property({ type: 'integer', fieldName: 'ticket_limit' }) limit!: number;
  @Property({ type: 'integer' }) windowMinutes!: number;

  @Property({ type: 'timestamptz' }) since!: Date;
  @Property({ type: 'timestamptz' }) lastHeldAt!: Date;
  @Property({ type: 'text' }) status: Opt<QuarantineStatus> = 'active';

  @ManyToOne(() => User, { fieldName: 'decided_by_id', nullable: true })
  decidedBy?: User | null;

  @Property({ type: 'timestamptz', nullable: true }) decidedAt?: Date | null;
}
