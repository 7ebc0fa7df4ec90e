import { DEMO, type RequestContext } from '@bulwark/platform-api';
import { User } from '@bulwark/identity-api';
import { Comment, Ticket, TICKET_CHANNELS, TICKET_PRIORITIES, TICKET_STATUSES } from './ticket.entity';
import { nextTicketNumber } from './tickets.service';

export const DEMO_SUBJECTS = [
  'Cannot sign in after password change',
  'Invoice shows the wrong VAT number',
  'VPN drops every ten minutes',
  'Request: new laptop for onboarding',
  'Printer on floor 3 is offline',
  'Export to CSV times out',
  'Two-factor codes are not accepted',
  'Mailbox is full',
  'Access to the finance share',
  'Phishing email reported',
  'Slow dashboard this morning',
  'Update billing contact',
];

const DEMO_TAGS = [['access'], ['billing'], ['network', 'vpn'], ['hardware'], ['hardware', 'printer'], [], ['security'], ['email'], ['access', 'finance'], ['security', 'phishing'], [], ['billing']];

/** A small, believable tenant: tickets in every state, some assigned, some with replies. */
export async function seedDemoTickets(ctx: RequestContext): Promise<void> {
  const agent = await ctx.em.findOneOrFail(User, { email: DEMO.agentEmail });
  const requester = await ctx.em.findOneOrFail(User, { email: DEMO.requesterEmail });
  const admin = await ctx.em.findOneOrFail(User, { email: DEMO.adminEmail });
  const start = ctx.app.now().getTime() - 30 * 24 * 3600_000;
  for (let i = 0; i < 36; i++) {
    const at = new Date(start + i * 18 * 3600_000);
    const ticket = ctx.em.create(Ticket, {
      number: await nextTicketNumber(ctx),
      subject: DEMO_SUBJECTS[i % DEMO_SUBJECTS.length],
      body: `Reported through the ${TICKET_CHANNELS[i % TICKET_CHANNELS.length]} channel. Details follow in the thread.`,
      status: TICKET_STATUSES[i % TICKET_STATUSES.length],
      priority: TICKET_PRIORITIES[(i * 3) % TICKET_PRIORITIES.length],
      channel: TICKET_CHANNELS[i % TICKET_CHANNELS.length],
      requester: i % 3 === 0 ? admin : requester,
      assignee: i % 4 === 0 ? null : agent,
      tags: DEMO_TAGS[i % DEMO_TAGS.length],
      createdAt: at,
      updatedAt: at,
    });
    if (i % 2 === 0) {
      ctx.em.create(Comment, { ticket, author: agent, body: 'Thanks, we are looking into it.', public: true, createdAt: at });
      ctx.em.create(Comment, { ticket, author: agent, body: 'Internal: check the change log first.', public: false, createdAt: at });
    }
  }
  await ctx.em.flush();
}
