import { audit, auditDiff, badInput, conflict, isUuid, loader, notFound, type RequestContext } from '@bulwark/platform-api';
import { LockMode } from '@mikro-orm/core';
import { User } from '@bulwark/identity-api';
import { GroupMember, TicketGroup } from './group.entity';
import { Ticket } from './ticket.entity';
import { TicketAudit } from './tickets.audit';

export interface GroupInput {
  name: string;
  memberIds: string[];
}

export interface GroupView {
  id: string;
  name: string;
  memberIds: string[];
  createdAt: Date;
}

/** The groups the acting person is in, once per request (the "group" ticket scope). */
export function myGroupIds(ctx: RequestContext, userId: string): Promise<string[]> {
  return loader(ctx, `my-groups:${userId}`, async () => (await ctx.em.find(GroupMember, { user: userId }, { fields: ['group'] })).map((m) => m.group.id));
}

export async function listGroups(ctx: RequestContext): Promise<GroupView[]> {
  const groups = await ctx.em.find(TicketGroup, {}, { orderBy: { name: 'asc' } });
  const members = await ctx.em.find(GroupMember, {}, { fields: ['group', 'user'] });
  return groups.map((g) => ({ id: g.id, name: g.name, createdAt: g.createdAt, memberIds: members.filter((m) => m.group.id === g.id).map((m) => m.user.id) }));
}

/** Members are active or invited staff of this tenant (another tenant's id is NOT_FOUND). */
async function staff(ctx: RequestContext, ids: string[]): Promise<User[]> {
  const unique = [...new Set(ids)];
  if (unique.length > 500) throw badInput('At most 500 members', { memberIds: 'too many' });
  if (unique.some((id) => !isUuid(id))) throw notFound('User');
  const users = unique.length ? await ctx.em.find(User, { id: { $in: unique }, status: { $ne: 'deleted' } }) : [];
  if (users.length !== unique.length) throw notFound('User');
  if (users.some((u) => u.role === 'requester')) throw badInput('Groups are made of staff, not requesters', { memberIds: 'requester' });
  return users;
}

async function nameFree(ctx: RequestContext, name: string, except?: string) {
  const clash = await ctx.em.findOne(TicketGroup, { name });
  if (clash && clash.id !== except) throw conflict(`A group named "${name}" exists already`);
}

function cleanName(name: string): string {
  const n = name.trim();
  if (!n || n.length > 80) throw badInput('The name is 1 to 80 characters', { name: 'invalid' });
  return n;
}

export async function createGroup(ctx: RequestContext, input: GroupInput): Promise<GroupView> {
  const name = cleanName(input.name);
  await nameFree(ctx, name);
  const users = await staff(ctx, input.memberIds);
  const group = ctx.em.create(TicketGroup, { name, createdAt: ctx.app.now() });
  for (const user of users) ctx.em.create(GroupMember, { group, user });
  const memberIds = users.map((u) => u.id).sort();
  audit(ctx, TicketAudit.groupCreated, { targetId: group.id, changes: auditDiff({}, { name, members: memberIds }) });
  return { id: group.id, name, memberIds, createdAt: group.createdAt };
}

/** Renames and replaces the member list (membership changes are audited as a before/after). */
export async function updateGroup(ctx: RequestContext, id: string, input: GroupInput): Promise<GroupView> {
  const group = isUuid(id) ? await ctx.em.findOne(TicketGroup, { id }) : null;
  if (!group) throw notFound('Group');
  const name = cleanName(input.name);
  await nameFree(ctx, name, group.id);
  const users = await staff(ctx, input.memberIds);
  const before = (await ctx.em.find(GroupMember, { group }, { fields: ['user'] })).map((m) => m.user.id).sort();
  const after = users.map((u) => u.id).sort();
  await ctx.em.nativeDelete(GroupMember, { group });
  for (const user of users) ctx.em.create(GroupMember, { group, user });
  const changes = auditDiff({ name: group.name, members: before }, { name, members: after });
  group.name = name;
  if (Object.keys(changes).length) audit(ctx, TicketAudit.groupUpdated, { targetId: group.id, changes });
  return { id: group.id, name, memberIds: after, createdAt: group.createdAt };
}

/**
 * Its tickets stay, without a group. The group's row is locked first: a ticket being put in the
 * group at the same moment waits (its key check needs the row), then finds it gone; none can slip
 * in between letting go and deleting.
 */
export async function deleteGroup(ctx: RequestContext, id: string): Promise<boolean> {
  const group = isUuid(id) ? await ctx.em.findOne(TicketGroup, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE }) : null;
  if (!group) throw notFound('Group');
  audit(ctx, TicketAudit.groupDeleted, { targetId: group.id, details: { name: group.name } });
  // The key from tickets has no ON DELETE SET NULL (it would null tenant_id too): let go here.
  await ctx.em.nativeUpdate(Ticket, { group }, { group: null });
  ctx.em.remove(group);
  return true;
}

/**
 * Puts one person in or out of groups, as an identity provider says (SSO group mapping, SCIM):
 * `member` lists the groups they must be in, `managed` every group the provider decides (others
 * are left alone). Each group that changes is one event, a before/after of its members.
 */
export async function syncMemberships(ctx: RequestContext, userId: string, member: ReadonlySet<string>, managed: readonly string[]): Promise<void> {
  if (!managed.length) return;
  const groups = await ctx.em.find(TicketGroup, { id: { $in: managed.filter(isUuid) } });
  const members = await ctx.em.find(GroupMember, { group: { $in: groups } }, { fields: ['group', 'user'] });
  for (const group of groups) {
    const before = members.filter((m) => m.group.id === group.id).map((m) => m.user.id);
    const has = before.includes(userId);
    const wants = member.has(group.id);
    if (has === wants) continue;
    if (wants) ctx.em.create(GroupMember, { group, user: userId });
    else await ctx.em.nativeDelete(GroupMember, { group, user: userId });
    const after = wants ? [...before, userId] : before.filter((id) => id !== userId);
    audit(ctx, TicketAudit.groupUpdated, { targetId: group.id, changes: auditDiff({ members: before.sort() }, { members: after.sort() }) });
  }
}
