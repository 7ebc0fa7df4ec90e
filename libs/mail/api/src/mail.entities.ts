import { Entity, ManyToOne, OneToOne, PrimaryKey, Property, type Opt } from '@mikro-orm/core';
import { TenantScoped } from '@bulwark/platform-api';
import { Ticket } from '@bulwark/tickets-api';
import { randomUUID } from 'node:crypto';

/**
 * What happens to mail whose sender is not authenticated (no aligned DMARC pass, H5):
 * `hold` keeps it for an admin to release or discard; `unverified` files it at once, but never
 * as the person it claims to be from.
 */
export const SENDER_POLICIES = ['hold', 'unverified'] as const;
export type SenderPolicy = (typeof SENDER_POLICIES)[number];

/** A workspace's mail settings; made with the defaults the first time they are read or changed. */
@Entity({ tableName: 'mail_settings' })
export class MailSettings extends TenantScoped {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'text' }) senderPolicy: Opt<SenderPolicy> = 'hold';
  /** The workspace's own support addresses that forward to its Bulwark address (lowercase). */
  @Property({ type: 'text[]' }) forwardingAddresses: Opt<string[]> = [];
  /** SHA-256 (hex) of the HTTP endpoint's bearer secret (`bwm_…`); null: the endpoint is closed. */
  @Property({ type: 'text', nullable: true, hidden: true }) inboundSecretHash?: string | null = null;
  @Property({ type: 'timestamptz' }) updatedAt: Opt<Date> = new Date();
}

export const MAIL_DIRECTIONS = ['in', 'out'] as const;
export type MailDirection = (typeof MAIL_DIRECTIONS)[number];

/**
 * in: ticket (filed a new ticket), reply (a comment on one), held (sender not authenticated,
 * waiting for an admin), ignored (auto-reply, loop, duplicate: see reason), released and
 * discarded (an admin's decision on a held message). out: queued (in the outbox).
 */
export const MAIL_STATUSES = ['ticket', 'reply', 'held', 'ignored', 'released', 'discarded', 'queued'] as const;
export type MailStatus = (typeof MAIL_STATUSES)[number];

/** SPF, DKIM, DMARC and ARC results as mailauth gave them, summarized for people and the audit log. */
export interface MailAuthentication {
  spf?: string;
  dkim?: string;
  dmarc?: string;
  arc?: string;
  /** The From: domain the results are about. */
  domain?: string;
  /** The From: address the results are about (mailauth's reading of the header). */
  address?: string;
  /** From: names another address than the one the checks vouched for (hidden in a group). */
  hidden?: boolean;
  /** True only when DMARC passed: an SPF or DKIM pass aligned with the From: domain. */
  authenticated: boolean;
}

/**
 * One message in or out of a workspace: the threading index and the record of what became of it
 * (looked up by (tenant_id, message_id), an index of the migration).
 */
@Entity({ tableName: 'mail_messages' })
export class MailRecord extends TenantScoped {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'text' }) direction!: MailDirection;
  /** The Message-ID header without its angle brackets. */
  @Property({ type: 'text' }) messageId!: string;

  @ManyToOne(() => Ticket, { fieldName: 'ticket_id', nullable: true, deleteRule: 'cascade' })
  ticket?: Ticket | null;

  @Property({ type: 'uuid', nullable: true }) commentId?: string | null;
  @Property({ type: 'text' }) fromAddress!: string;
  @Property({ type: 'text[]' }) toAddresses: Opt<string[]> = [];
  @Property({ type: 'text' }) subject: Opt<string> = '';
  @Property({ type: 'text' }) status!: MailStatus;
  /** Why it was held or ignored, in words for a person. */
  @Property({ type: 'text', nullable: true }) reason?: string | null;
  @Property({ type: 'json', nullable: true }) authentication?: MailAuthentication | null;
  /** The message as received, kept only while it is held (a release files it from this). */
  @Property({ type: 'bytea', nullable: true, lazy: true, hidden: true }) raw?: Buffer | null;
  /** The outbox entry that sends it (direction out). */
  @Property({ type: 'uuid', nullable: true }) outboxId?: string | null;
  @Property({ type: 'timestamptz' }) createdAt: Opt<Date> = new Date();
}

/** A ticket's mail conversation: who else is copied on it, and the message that began it. */
@Entity({ tableName: 'mail_threads' })
export class MailThread extends TenantScoped {
  @OneToOne(() => Ticket, { primary: true, fieldName: 'ticket_id', owner: true, deleteRule: 'cascade' })
  ticket!: Ticket;

  /** Addresses copied on the first message (lowercase), other than the workspace's own. */
  @Property({ type: 'text[]' }) ccAddresses: Opt<string[]> = [];
  /** Message-ID (without brackets) of the message that began the ticket, when mail did. */
  @Property({ type: 'text', nullable: true }) rootMessageId?: string | null;
}
