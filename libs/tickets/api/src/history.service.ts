import { hasPermission, type AuditEvent, type RequestContext } from '@bulwark/platform-api';
import { maskEmail, UserPermission, userSummaries } from '@bulwark/identity-api';
import { TicketGroup } from './group.entity';
import { TicketAudit } from './tickets.audit';
import type { TicketHistoryEntry } from './tickets.types';

/** The latest changes shown; older ones are in the audit log. */
const HISTORY_LIMIT = 100;

const WORDS: Record<string, string> = {
  new: 'New',
  open: 'Open',
  pending: 'Pending',
  solved: 'Solved',
  closed: 'Closed',
  low: 'Low',
  normal: 'Normal',
  high: 'High',
  urgent: 'Urgent',
};
const word = (v: unknown) => WORDS[String(v)] ?? String(v);
const list = (xs: unknown) => (Array.isArray(xs) ? xs.map(String) : []);
const quote = (v: unknown) => `“${String(v ?? '')}”`;

/**
 * A ticket's history from the audit log, in words: who did what, with people's and groups' names
 * (never their ids). Only what the ticket's own events say: its comments are in the thread.
 */
export async function ticketHistory(ctx: RequestContext, ticketId: string): Promise<TicketHistoryEntry[]> {
  const events = (await ctx.app.auditSink?.eventsAbout(ctx, 'Ticket', ticketId, HISTORY_LIMIT)) ?? [];
  const names = await namesIn(ctx, events);
  return events.map((e) => ({ at: e.occurredAt, actorName: e.actorName ?? 'Bulwark', summary: describe(e, names, ctx.app.audit.definitions.find((d) => d.key === e.action)?.description) }));
}

type Names = { person: (id: unknown) => string; group: (id: unknown) => string; address: (email: string) => string };

/** The people and groups the events name, each looked up once (one query each). */
async function namesIn(ctx: RequestContext, events: AuditEvent[]): Promise<Names> {
  const people = new Set<string>();
  const groups = new Set<string>();
  for (const e of events) {
    for (const k of ['requester', 'assignee'] as const) for (const v of [e.changes?.[k]?.before, e.changes?.[k]?.after]) if (typeof v === 'string') people.add(v);
    for (const v of [e.changes?.group?.before, e.changes?.group?.after]) if (typeof v === 'string') groups.add(v);
  }
  const found = await userSummaries(ctx).loadMany([...people]);
  const personName = new Map([...people].map((id, i) => [id, found[i] instanceof Error || !found[i] ? 'a deleted person' : (found[i] as { name: string }).name]));
  const groupName = new Map(groups.size ? (await ctx.em.find(TicketGroup, { id: { $in: [...groups] } })).map((g) => [g.id, g.name]) : []);
  // Copied addresses are masked as people's are, for those without users.viewPii.
  const address = hasPermission(ctx.principal, UserPermission.viewPii) ? (e: string) => e : maskEmail;
  return { person: (id) => personName.get(String(id)) ?? 'a deleted person', group: (id) => groupName.get(String(id)) ?? 'a deleted group', address };
}

function describe(e: AuditEvent, n: Names, description: string | undefined): string {
  const c = e.changes ?? {};
  if (e.action === TicketAudit.ticketCreated) return `Created the ticket for ${n.person(c.requester?.after)}`;
  // Other features' events about the ticket (support access, mail) say what they are in their catalog.
  if (e.action !== TicketAudit.ticketUpdated) return description ?? 'Changed the ticket';
  const parts: string[] = [];
  for (const [field, { before, after }] of Object.entries(c)) {
    switch (field) {
      case 'status':
        parts.push(`changed the status from ${word(before)} to ${word(after)}`);
        break;
      case 'priority':
        parts.push(`changed the priority from ${word(before)} to ${word(after)}`);
        break;
      case 'subject':
        parts.push(`renamed it from ${quote(before)} to ${quote(after)}`);
        break;
      case 'body':
        parts.push('edited the description');
        break;
      case 'assignee':
        parts.push(after ? `assigned it to ${n.person(after)}` : `unassigned it from ${n.person(before)}`);
        break;
      case 'group':
        parts.push(after ? `put it in the group ${n.group(after)}` : `took it out of the group ${n.group(before)}`);
        break;
      case 'requester':
        parts.push(`changed the requester from ${n.person(before)} to ${n.person(after)}`);
        break;
      case 'tags': {
        const added = list(after).filter((t) => !list(before).includes(t));
        const removed = list(before).filter((t) => !list(after).includes(t));
        if (added.length) parts.push(`tagged it ${added.join(', ')}`);
        if (removed.length) parts.push(`removed the tag${removed.length > 1 ? 's' : ''} ${removed.join(', ')}`);
        break;
      }
      case 'ccEmails': {
        const added = list(after).filter((t) => !list(before).includes(t));
        const removed = list(before).filter((t) => !list(after).includes(t));
        if (added.length) parts.push(`copied ${added.map(n.address).join(', ')}`);
        if (removed.length) parts.push(`stopped copying ${removed.map(n.address).join(', ')}`);
        break;
      }
      case 'quarantine':
        parts.push(after ? 'held it as possible spam' : 'released it from the spam quarantine');
        break;
      default:
        break; // bookkeeping (where it came from) says nothing to an agent
    }
  }
  const text = parts.join('; ') || 'changed the ticket';
  return text.charAt(0).toUpperCase() + text.slice(1);
}
