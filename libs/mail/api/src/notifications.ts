import { randomUUID } from 'node:crypto';
import { actingUserId, loader, queueMail, Tenant, type AuditEvent, type AuditReaction, type RequestContext } from '@bulwark/platform-api';
import { User } from '@bulwark/identity-api';
import { Comment, GroupMember, Ticket, TicketAudit } from '@bulwark/tickets-api';
import { mailConfig } from './mail.config';
import { MailRecord, MailThread } from './mail.entities';
import { replyAddress } from './reply-address';
import { MailTemplate } from './templates.entity';
import { DEFAULT_TEMPLATES, renderTemplate, type TemplateKind, type TemplateText, type TemplateView } from './templates';

/**
 * Outbound mail about tickets (issue 19 §3), decided in the transaction that records the change
 * (an AuditReaction), so a mail exists if and only if its change commits, and leaves through the
 * outbox:
 * - the requester gets an acknowledgement of a new ticket (not of one the spam watcher holds);
 * - the requester and the people copied get every public reply, never an internal note, and
 *   never their own words back;
 * - an agent hears of a ticket assigned to them, a group's members of one routed to the group,
 *   unless they did it themselves.
 * Conversation mail carries the signed reply address and threading headers, so an answer by
 * mail lands on the same ticket.
 */
export const ticketMail: AuditReaction = {
  name: 'mail.ticket-mail',
  actions: [TicketAudit.ticketCreated, TicketAudit.ticketUpdated, TicketAudit.commentAdded],
  async run(ctx, events) {
    for (const e of events) {
      if (!e.targetId) continue;
      if (e.action === TicketAudit.commentAdded) await onComment(ctx, e.targetId, e);
      else await onTicket(ctx, e.targetId, e);
    }
  },
};

const after = (e: AuditEvent, field: string) => e.changes?.[field]?.after ?? null;
const changed = (e: AuditEvent, field: string) => !!e.changes?.[field] && after(e, field) !== (e.changes[field].before ?? null);

async function onTicket(ctx: RequestContext, ticketId: string, e: AuditEvent): Promise<void> {
  const created = e.action === TicketAudit.ticketCreated;
  if (!created && !changed(e, 'assignee') && !changed(e, 'group')) return;
  const ticket = await ctx.em.findOne(Ticket, { id: ticketId }, { populate: ['requester', 'assignee', 'group'] });
  // Held by the spam watcher: nobody hears of it unless an admin releases it.
  if (!ticket || ticket.quarantine || ticket.kind !== 'request') return;
  if (created) await acknowledge(ctx, ticket);
  const actor = actingUserId(ctx.principal);
  const by = actor ? ((await ctx.em.findOne(User, { id: actor }, { fields: ['name'] }))?.name ?? 'Someone') : 'Bulwark';
  const told = new Set<string>(actor ? [actor] : []);
  if (ticket.assignee && (created || changed(e, 'assignee')) && !told.has(ticket.assignee.id)) {
    told.add(ticket.assignee.id);
    await send(ctx, 'assignment', ticket, ticket.assignee, { 'assigned.to': ticket.assignee.name, 'assigned.by': by }, { conversation: false });
  }
  if (ticket.group && (created || changed(e, 'group'))) {
    const members = await ctx.em.find(GroupMember, { group: ticket.group.id }, { populate: ['user'] });
    for (const m of members) {
      if (told.has(m.user.id) || m.user.status !== 'active') continue;
      told.add(m.user.id);
      await send(ctx, 'assignment', ticket, m.user, { 'assigned.to': ticket.group.name, 'assigned.by': by }, { conversation: false });
    }
  }
}

async function acknowledge(ctx: RequestContext, ticket: Ticket): Promise<void> {
  await send(ctx, 'acknowledgement', ticket, ticket.requester, { 'ticket.body': ticket.body }, { conversation: true, autoReply: true });
}

async function onComment(ctx: RequestContext, commentId: string, e: AuditEvent): Promise<void> {
  if (after(e, 'public') !== true) return; // an internal note sends nothing
  const comment = await ctx.em.findOne(Comment, { id: commentId }, { populate: ['author', 'ticket', 'ticket.requester'] });
  if (!comment || comment.ticket.quarantine || comment.ticket.kind !== 'request') return;
  const ticket = comment.ticket;
  const author = comment.author;
  const view = { 'reply.author': author.name, 'reply.body': comment.body };
  const thread = await ctx.em.findOne(MailThread, { ticket: ticket.id });
  // Those copied by mail and those the desk copied on the ticket (agents set them), each once.
  const copied = [...new Set([...(thread?.ccAddresses ?? []), ...ticket.ccEmails.map((a) => a.toLowerCase())])];
  const cc = copied.filter((a) => a !== author.email.toLowerCase() && a !== ticket.requester.email.toLowerCase());
  // Staff's public replies only: the requester's own words (portal or mail) are not relayed to the
  // copied addresses, which the requester chose and wrote to directly: Bulwark signing and sending
  // a requester's text to addresses of their choosing would make it a relay for spam.
  if (ticket.requester.id !== author.id) await send(ctx, 'reply', ticket, ticket.requester, view, { conversation: true, cc, commentId });
}

interface Recipient {
  name: string;
  email: string | string[];
}

/** The tenant's wording of a kind of mail: its saved template, or ours. One query per operation. */
async function templateOf(ctx: RequestContext, kind: TemplateKind): Promise<TemplateText> {
  const saved = await loader(ctx, 'mail.templates', async () => new Map((await ctx.em.find(MailTemplate, {})).map((t) => [t.kind, t])));
  const t = (await saved).get(kind);
  return t ? { subject: t.subject, text: t.text, html: t.html ?? null } : DEFAULT_TEMPLATES[kind];
}

async function send(
  ctx: RequestContext,
  kind: TemplateKind,
  ticket: Ticket,
  to: Recipient,
  values: TemplateView,
  opts: { conversation: boolean; autoReply?: boolean; cc?: string[]; commentId?: string },
): Promise<void> {
  // `.invalid` (RFC 2606) names nobody: the stand-in for an unverified sender, placeholders.
  const deliverable = (a: string) => !/\.invalid$/i.test(a);
  const recipients = [to.email].flat().filter(deliverable);
  const cc = opts.cc?.filter(deliverable);
  if (!recipients.length) return;
  const config = mailConfig.of(ctx.app.config);
  const tenant = await loader(ctx, 'mail.tenant', () => ctx.em.findOneOrFail(Tenant, { id: ctx.tenantId as string }));
  const view: TemplateView = {
    'workspace.name': tenant.name,
    'recipient.name': to.name,
    'ticket.subject': ticket.subject,
    'ticket.body': ticket.body,
    'ticket.url': `${ctx.app.config.publicUrl}/#/tickets/${ticket.id}/show`,
    ...values,
  };
  const { subject, text, html } = renderTemplate(await templateOf(ctx, kind), view);
  const messageId = `${randomUUID()}@${config.domain}`;
  const workspace = `${tenant.slug}@${config.domain}`;
  const threading = opts.conversation ? await threadingOf(ctx, ticket.id) : {};
  const outboxId = await queueMail(ctx, {
    to: recipients.length === 1 ? recipients[0] : recipients,
    cc: cc?.length ? cc : undefined,
    from: `"${tenant.name.replace(/["\\\r\n]/g, '')}" <${workspace}>`,
    // Answers come back to the ticket they belong to; a notice to staff is not a conversation.
    replyTo: opts.conversation ? replyAddress(ctx.app.config, tenant.slug, tenant.id, ticket.id) : undefined,
    subject,
    text,
    html,
    messageId,
    ...threading,
    // RFC 3834: an automatic answer, so the requester's own auto-responder does not answer it.
    headers: opts.autoReply || !opts.conversation ? { 'Auto-Submitted': opts.autoReply ? 'auto-replied' : 'auto-generated' } : undefined,
  });
  ctx.em.persist(
    ctx.em.create(MailRecord, {
      direction: 'out',
      messageId,
      ticket,
      commentId: opts.commentId ?? null,
      fromAddress: workspace,
      toAddresses: [...recipients, ...(cc ?? [])],
      subject,
      status: 'queued',
      outboxId,
      createdAt: ctx.app.now(),
    }),
  );
  // Reactions run after the operation's flush: what they persist, they flush (no audited entity).
  await ctx.em.flush();
}

/**
 * The reply's place in the ticket's conversation: it answers the latest message, and its
 * References name the first and the nine latest (RFC 5322 lets a long thread drop the middle).
 */
async function threadingOf(ctx: RequestContext, ticketId: string): Promise<{ inReplyTo?: string; references?: string[] }> {
  const latest = await ctx.em.find(MailRecord, { ticket: ticketId }, { fields: ['messageId'], orderBy: { createdAt: 'desc' }, limit: 9 });
  if (!latest.length) return {};
  const ids = latest.map((r) => r.messageId).reverse();
  if (latest.length === 9) {
    const [first] = await ctx.em.find(MailRecord, { ticket: ticketId }, { fields: ['messageId'], orderBy: { createdAt: 'asc' }, limit: 1 });
    if (!ids.includes(first.messageId)) ids.unshift(first.messageId);
  }
  return { inReplyTo: ids.at(-1), references: ids };
}
