import { createHash } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/core';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import { AppError, audit, Tenant, withSystemContext, type AppServices, type Permission, type RequestContext } from '@bulwark/platform-api';
import { createUser, User } from '@bulwark/identity-api';
import { addComment, attachIncomingFiles, Comment, createTicket, judgeIncomingFiles, Ticket, TicketPermission, type IncomingFile } from '@bulwark/tickets-api';
import { MailAudit } from './mail.audit';
import { mailConfig } from './mail.config';
import { MailRecord, MailSettings, MailThread, type MailAuthentication, type MailStatus, type SenderPolicy } from './mail.entities';
import { readReplyToken } from './reply-address';
import { checkSender, whyUnverified, type Envelope } from './sender-auth';
import { trimQuoted } from './quoted-text';

/** A message read once (parsed, its sender checked) and then filed once per tenant it is for. */
export interface PreparedMessage {
  raw: Buffer;
  parsed: ParsedMail;
  auth: MailAuthentication;
  envelope: Envelope;
  via: 'smtp' | 'http';
}

export interface FiledMail {
  status: MailStatus | 'duplicate';
  recordId: string | null;
  ticketId: string | null;
}

/**
 * The person that mail whose sender could not be verified is filed under (policy "unverified"):
 * never the person the message claims to be from (H5). A `.invalid` address (RFC 2606) receives
 * nothing, so no acknowledgement can go back to a forged address, and the account is suspended,
 * so nobody can ever sign in as it.
 */
export const UNVERIFIED_SENDER_EMAIL = 'unverified-sender@bulwark.invalid';
const UNVERIFIED_SENDER_NAME = 'Unverified sender (email)';

const SUBJECT_MAX = 200;
const BODY_MAX = 20000;
/** Copied addresses kept on a thread: they receive staff's public replies. */
const CC_MAX = 10;

/** Parses the message and checks its sender (SPF, DKIM, DMARC, ARC); no database, once per message. */
export async function prepareMessage(app: AppServices, raw: Buffer, envelope: Envelope, via: 'smtp' | 'http'): Promise<PreparedMessage> {
  const domain = mailConfig.of(app.config).domain;
  const [parsed, auth] = await Promise.all([
    simpleParser(raw, { skipImageLinks: true, skipTextLinks: true, maxHtmlLengthToParse: 2 * 1024 * 1024 }),
    checkSender(raw, envelope, app.dns, domain),
  ]);
  return { raw, parsed, auth, envelope, via };
}

/**
 * Files a prepared message into one tenant, in a transaction of its own as the system (the
 * tenant comes from the envelope recipient or the endpoint's credential, never from the message).
 * Throws only when it could not be stored; the caller then asks the sender to try again.
 */
export async function receiveForTenant(
  services: AppServices & { orm: MikroORM },
  tenantId: string,
  message: PreparedMessage,
  recipients: string[],
  request?: { requestId: string; ip: string; userAgent: string },
): Promise<FiledMail> {
  return withSystemContext(services.orm, services, tenantId, 'inbound mail', (ctx) => fileInbound(ctx, message, recipients), request);
}

/** The held queue is at BULWARK_MAIL_HELD_MAX: nothing is stored, and the sender is told to try later. */
export class HeldMailFull extends Error {
  readonly responseCode = 452;
  constructor() {
    super('4.3.1 This help desk holds too much unverified mail for review: try again later');
  }
}

interface Sender {
  address: string;
  name: string;
}

async function fileInbound(ctx: RequestContext, m: PreparedMessage, recipients: string[]): Promise<FiledMail> {
  const cfg = mailConfig.of(ctx.app.config);
  const tenant = await ctx.em.findOneOrFail(Tenant, { id: ctx.tenantId as string });
  const settings = await ctx.em.findOne(MailSettings, {});
  const messageId = messageIdOf(m);
  // One delivery at a time per message: two copies arriving together must not both file it.
  await ctx.em
    .getConnection()
    .execute('select pg_advisory_xact_lock(hashtextextended(?, 0))', [`mail:${ctx.tenantId}:${messageId}`], 'all', ctx.em.getTransactionContext());
  if (await ctx.em.count(MailRecord, { messageId, direction: 'in' })) return { status: 'duplicate', recordId: null, ticketId: null };

  const from = senderOf(m.parsed);
  const record = ctx.em.create(MailRecord, {
    direction: 'in',
    messageId,
    fromAddress: (from?.address ?? '').slice(0, 320),
    toAddresses: recipients,
    subject: noNul(m.parsed.subject ?? '').slice(0, 998),
    status: 'ignored',
    authentication: m.auth,
    createdAt: ctx.app.now(),
  });
  const own = ownAddresses(tenant.slug, cfg.domain, settings);
  const ignored = from ? loopReason(m, messageId, from, own, cfg.domain) : 'The message names no sender address (From:).';
  if (ignored) {
    record.reason = ignored;
    return { status: 'ignored', recordId: record.id, ticketId: null };
  }
  const sender = from as Sender;
  // Only the address the checks vouched for is verified: From: may name others (in a group).
  const auth = m.auth.authenticated && m.auth.address !== sender.address ? { ...m.auth, authenticated: false, hidden: true } : m.auth;
  record.authentication = auth;
  if (!auth.authenticated) {
    const policy: SenderPolicy = settings?.senderPolicy ?? 'hold';
    if (policy === 'hold') {
      if ((await ctx.em.count(MailRecord, { status: 'held', direction: 'in' })) >= cfg.heldMax) throw new HeldMailFull();
      record.status = 'held';
      record.raw = m.raw;
      record.reason = whyUnverified(auth);
      audit(ctx, MailAudit.messageHeld, { targetId: record.id, details: { from: sender.address, subject: record.subject, via: m.via, authentication: auth } });
      return { status: 'held', recordId: record.id, ticketId: null };
    }
    return fileUnverified(ctx, { ...m, auth }, sender, record);
  }
  return fileAuthenticated(ctx, m.parsed, sender, recipients, own, record, { via: m.via, authentication: m.auth });
}

/**
 * Files mail from a sender who is who they claim (or whom an admin trusted by releasing it): a
 * reply onto its ticket when it threads and the sender belongs on that ticket, else a new ticket
 * of theirs. Used by both doors and by releaseHeldMail.
 */
export async function fileAuthenticated(
  ctx: RequestContext,
  parsed: ParsedMail,
  sender: Sender,
  recipients: string[],
  own: ReadonlySet<string>,
  record: MailRecord,
  /** What the messageReceived event says; null: the caller records its own event (a release). */
  details: Record<string, unknown> | null,
): Promise<FiledMail> {
  const person = await personOf(ctx, sender);
  if (!person) {
    record.status = 'ignored';
    record.reason = `The sender's account (${sender.address}) is suspended or deleted in this workspace.`;
    return { status: 'ignored', recordId: record.id, ticketId: null };
  }
  const thread = await threadOf(ctx, parsed, recipients);
  if (thread && (await belongsOn(ctx, thread, person))) {
    const extra = thread.requester.id === person.id ? [] : [TicketPermission.viewAll];
    const files = await judgeIncomingFiles(ctx, filesOf(parsed));
    const body = withNotes(trimQuoted(textOf(parsed)) || '(no text)', files.notes);
    const comment = await asSender(ctx, person, extra, () => addComment(ctx, thread.id, { body, public: true }));
    await attachIncomingFiles(ctx, files.taken, { ticket: thread, comment: ctx.em.getReference(Comment, comment.id) }, person.id);
    Object.assign(record, { status: 'reply', ticket: thread, commentId: comment.id, reason: null });
    if (details) audit(ctx, MailAudit.messageReceived, { targetId: record.id, details: { ...details, ticketId: thread.id, commentId: comment.id, from: sender.address } });
    return { status: 'reply', recordId: record.id, ticketId: thread.id };
  }
  const subject = clip(noNul(parsed.subject ?? '').replace(/\s+/g, ' ').trim() || '(no subject)', SUBJECT_MAX);
  const files = await judgeIncomingFiles(ctx, filesOf(parsed));
  const body = withNotes(textOf(parsed).trim() || '(no text)', files.notes);
  const filed = await newTicket(ctx, person, subject, body, sender.address);
  if (!filed.ticket) {
    Object.assign(record, { status: 'ignored', reason: filed.refused });
    return { status: 'ignored', recordId: record.id, ticketId: null };
  }
  await attachIncomingFiles(ctx, files.taken, { ticket: filed.ticket }, person.id);
  ctx.em.create(MailThread, { ticket: filed.ticket, ccAddresses: copiedAddresses(parsed, sender.address, own, mailConfig.of(ctx.app.config).domain), rootMessageId: record.messageId });
  Object.assign(record, { status: 'ticket', ticket: filed.ticket, reason: filed.held ? 'Filed, and held by the spam watcher with the sender’s other recent tickets.' : null });
  if (details) audit(ctx, MailAudit.messageReceived, { targetId: record.id, details: { ...details, ticketId: filed.ticket.id, from: sender.address, spamHeld: !!filed.held } });
  return { status: 'ticket', recordId: record.id, ticketId: filed.ticket.id };
}

/**
 * Policy "unverified": a new ticket at once, but under the unverified-sender account, never the
 * claimed person's, and never threaded onto an existing ticket: who may add to a conversation is
 * exactly what an unverified message cannot show. The claimed address is on the ticket
 * (`senderAddress`, which the spam watcher counts) and in words at the top of its text.
 */
async function fileUnverified(ctx: RequestContext, m: PreparedMessage, sender: Sender, record: MailRecord): Promise<FiledMail> {
  const placeholder = await unverifiedSender(ctx);
  const subject = clip(`[Unverified sender] ${noNul(m.parsed.subject ?? '').replace(/\s+/g, ' ').trim() || '(no subject)'}`, SUBJECT_MAX);
  const head = `Unverified sender: ${sender.address}\n${whyUnverified(m.auth)}\nThis ticket is not attached to anyone: check with the person another way before acting on it.\n\n`;
  const files = await judgeIncomingFiles(ctx, filesOf(m.parsed));
  const body = withNotes(head + (textOf(m.parsed).trim() || '(no text)'), files.notes);
  const filed = await newTicket(ctx, placeholder, subject, body, sender.address);
  if (!filed.ticket) {
    Object.assign(record, { status: 'ignored', reason: filed.refused });
    return { status: 'ignored', recordId: record.id, ticketId: null };
  }
  await attachIncomingFiles(ctx, files.taken, { ticket: filed.ticket }, placeholder.id);
  ctx.em.create(MailThread, { ticket: filed.ticket, ccAddresses: [], rootMessageId: record.messageId });
  Object.assign(record, { status: 'ticket', ticket: filed.ticket, reason: `Filed from an unverified sender: ${whyUnverified(m.auth)}` });
  audit(ctx, MailAudit.messageReceived, {
    targetId: record.id,
    details: { via: m.via, ticketId: filed.ticket.id, from: sender.address, unverified: true, authentication: m.auth, spamHeld: filed.held },
  });
  return { status: 'ticket', recordId: record.id, ticketId: filed.ticket.id };
}

/** The files a message carries (attachments and inline images), as the tickets feature takes them. */
function filesOf(parsed: ParsedMail): IncomingFile[] {
  return (parsed.attachments ?? []).map((a, i) => ({ filename: a.filename || `attachment-${i + 1}`, content: a.content }));
}

/** The text, clipped, and what was left out of the message said after it (never clipped away). */
function withNotes(text: string, notes: string[]): string {
  if (!notes.length) return clip(text, BODY_MAX);
  const said = `\n\nAttachments left out (this help desk's limits):\n${notes.map((n) => `- ${n}`).join('\n')}`.slice(0, 4000);
  return clip(text, BODY_MAX - said.length) + said;
}

/**
 * A ticket filed by the sender through the tickets feature, so the spam watcher counts it like
 * any other channel's. A held ticket is stored (the watcher's error keeps the changes), so that
 * is success here; a sender the watcher blocks gets nothing filed.
 */
async function newTicket(ctx: RequestContext, person: User, subject: string, body: string, senderAddress: string): Promise<{ ticket?: Ticket; held?: boolean; refused?: string }> {
  try {
    const view = await asSender(ctx, person, [], () => createTicket(ctx, { subject, body, channel: 'email' as never }, { senderAddress }));
    return { ticket: ctx.em.getReference(Ticket, view.id) };
  } catch (e) {
    if (!(e instanceof AppError)) throw e;
    if (e.extensions.held) {
      // createTicket made the ticket before it answered; it waits in this unit of work for the commit.
      const ticket = [...ctx.em.getUnitOfWork().getPersistStack()].find((x): x is Ticket => x instanceof Ticket && x.senderAddress === senderAddress.toLowerCase());
      if (!ticket) throw e;
      return { ticket, held: true };
    }
    if (e.code === 'FORBIDDEN') return { refused: 'The spam watcher blocks new tickets from this sender.' };
    throw e;
  }
}

/** The person a verified sender is: theirs in this workspace, or a new requester (no password). */
async function personOf(ctx: RequestContext, sender: Sender): Promise<User | null> {
  const found = await ctx.em.findOne(User, { email: sender.address });
  if (found) return found.status === 'suspended' || found.status === 'deleted' ? null : found;
  const name = sender.name.trim() || sender.address.split('@')[0];
  return createUser(ctx, { email: sender.address, name: clip(name, 200), role: 'requester' });
}

async function unverifiedSender(ctx: RequestContext): Promise<User> {
  const found = await ctx.em.findOne(User, { email: UNVERIFIED_SENDER_EMAIL });
  if (found) return found;
  const user = await createUser(ctx, { email: UNVERIFIED_SENDER_EMAIL, name: UNVERIFIED_SENDER_NAME, role: 'requester' });
  user.status = 'suspended';
  return user;
}

/**
 * Acts as the sender for one call into the tickets feature: a requester's permissions (whatever
 * their role: mail can do no more than a requester's form), plus what the thread itself allows
 * (`extra`: a copied person or a staff member replying to a ticket that is not theirs).
 */
async function asSender<T>(ctx: RequestContext, person: User, extra: Permission[], fn: () => Promise<T>): Promise<T> {
  const saved = ctx.principal;
  const permissions = new Set<Permission>([...((await ctx.app.roles.permissionsOf(ctx, 'requester')) ?? []), ...extra]);
  ctx.principal = { kind: 'user', tenantId: ctx.tenantId as string, userId: person.id, sessionId: '', role: 'requester', name: person.name, permissions };
  try {
    return await fn();
  } finally {
    ctx.principal = saved;
  }
}

/**
 * The ticket a reply is for: the signed token of a reply address it was sent to (checked against
 * this tenant, so another workspace's token names nothing here), else a Message-ID it answers
 * (In-Reply-To, References) among this tenant's own mail. A held ticket (spam) takes no replies.
 */
async function threadOf(ctx: RequestContext, parsed: ParsedMail, recipients: string[]): Promise<Ticket | null> {
  for (const r of recipients) {
    const local = r.split('@')[0];
    const plus = local.indexOf('+');
    if (plus < 0) continue;
    const id = readReplyToken(ctx.app.config, ctx.tenantId as string, local.slice(plus + 1));
    const ticket = id ? await ctx.em.findOne(Ticket, { id, quarantine: null }, { populate: ['requester'] }) : null;
    if (ticket) return ticket;
  }
  const refs = [...new Set([...idList(parsed.inReplyTo), ...idList(parsed.references)])].slice(0, 100);
  if (!refs.length) return null;
  const rec = await ctx.em.findOne(MailRecord, { messageId: { $in: refs }, ticket: { $ne: null } }, { orderBy: { createdAt: 'desc' } });
  if (!rec?.ticket) return null;
  return ctx.em.findOne(Ticket, { id: rec.ticket.id, quarantine: null }, { populate: ['requester'] });
}

/**
 * Who may add to a ticket by mail: its requester, the people copied on its thread or by the desk, and staff who
 * could reply to it in the console (their role replies, and sees every ticket or this one is
 * theirs): mail is no way around an auditor's read-only role or an agent's scope.
 */
async function belongsOn(ctx: RequestContext, ticket: Ticket, person: User): Promise<boolean> {
  if (ticket.requester.id === person.id) return true;
  if (person.role !== 'requester' && person.email !== UNVERIFIED_SENDER_EMAIL) {
    const held = await ctx.app.roles.permissionsOf(ctx, person.role);
    if (held?.has(TicketPermission.comment) && (held.has(TicketPermission.viewAll) || ticket.assignee?.id === person.id)) return true;
  }
  if (ticket.ccEmails.includes(person.email)) return true;
  const thread = await ctx.em.findOne(MailThread, { ticket: ticket.id });
  return !!thread?.ccAddresses.includes(person.email);
}

/** The workspace's own addresses: mail from them is our own coming back. */
export function ownAddresses(slug: string, domain: string, settings: MailSettings | null): ReadonlySet<string> {
  return new Set([`${slug}@${domain}`, ...(settings?.forwardingAddresses ?? [])]);
}

/** Why a message must not become a ticket or a reply (an auto-reply, a list, a loop), or null. */
function loopReason(m: PreparedMessage, messageId: string, from: Sender, own: ReadonlySet<string>, domain: string): string | null {
  const h = m.parsed.headers;
  const header = (name: string) => {
    const v = h.get(name);
    return v === undefined ? '' : (typeof v === 'string' ? v : JSON.stringify(v)).trim().toLowerCase();
  };
  const auto = header('auto-submitted');
  if (auto && !auto.startsWith('no')) return `An automatic message (Auto-Submitted: ${auto.slice(0, 60)}): automatic mail never opens or answers tickets.`;
  const precedence = header('precedence');
  if (['bulk', 'junk', 'list', 'auto_reply'].includes(precedence)) return `Bulk or list mail (Precedence: ${precedence}).`;
  if (h.has('x-autoreply') || h.has('x-autorespond')) return 'An automatic reply (X-Autoreply).';
  // mailparser gathers the List-* headers under `list`.
  if (h.has('list-id') || (h.get('list') as { id?: unknown } | undefined)?.id) return 'Mailing-list mail (List-Id).';
  if (messageId.endsWith(`@${domain}`)) return 'One of this help desk’s own messages came back (a mail loop).';
  if (own.has(from.address) || from.address.endsWith(`@${domain}`)) return `Sent from one of this help desk’s own addresses (${from.address}): a mail loop.`;
  if (m.envelope.sender === '' || /^(mailer-daemon|postmaster)@/.test(from.address) || /multipart\/report/i.test(header('content-type'))) {
    return 'A delivery report (bounce).';
  }
  return null;
}

/** The Message-ID without brackets; a message without one gets a stable stand-in (its hash), so redelivery is still recognised. */
function messageIdOf(m: PreparedMessage): string {
  const id = (m.parsed.messageId ?? '').trim().replace(/^<|>$/g, '').trim();
  return id ? noNul(id).slice(0, 900) : `${createHash('sha256').update(m.raw).digest('hex')}@missing-message-id.invalid`;
}

function idList(v: string | string[] | undefined): string[] {
  const all = Array.isArray(v) ? v : v ? v.split(/\s+/) : [];
  return all.map((x) => x.trim().replace(/^<|>$/g, '').trim()).filter(Boolean).map((x) => x.slice(0, 900));
}

export function senderOf(parsed: ParsedMail): Sender | null {
  const first = addressesOf(parsed.from)[0];
  return first?.address ? { address: first.address, name: first.name } : null;
}

function addressesOf(v: AddressObject | AddressObject[] | undefined): { address: string; name: string }[] {
  const objects = Array.isArray(v) ? v : v ? [v] : [];
  return objects
    .flatMap((o) => o.value.flatMap((a) => (a.group ? a.group : [a])))
    .filter((a) => !!a.address && /^[^@\s]+@[^@\s]+$/.test(a.address))
    .map((a) => ({ address: noNul(a.address as string).toLowerCase().slice(0, 320), name: noNul(a.name ?? '') }));
}

/** Everyone else the first message was sent or copied to, except the help desk's own addresses. */
function copiedAddresses(parsed: ParsedMail, sender: string, own: ReadonlySet<string>, domain: string): string[] {
  const all = [...addressesOf(parsed.to), ...addressesOf(parsed.cc)].map((a) => a.address);
  return [...new Set(all)].filter((a) => a !== sender && !own.has(a) && !a.endsWith(`@${domain}`)).slice(0, CC_MAX);
}

/** The message's text: its plain part, else its HTML as text (mailparser converts it). */
function textOf(parsed: ParsedMail): string {
  return noNul((parsed.text ?? '').replace(/\r\n?/g, '\n'));
}

/** PostgreSQL text cannot hold NUL; a message carrying one must still be filed, not retried forever. */
function noNul(s: string): string {
  return s.split(String.fromCharCode(0)).join('');
}

function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 20)}\n[… shortened]`;
}
