import { audit, isUuid, type RequestContext } from '@bulwark/platform-api';
import { User } from '@bulwark/identity-api';
import { createGroup as createTicketGroup, deleteGroup as deleteTicketGroup, GroupMember, TicketGroup, updateGroup as updateTicketGroup } from '@bulwark/tickets-api';
import type { Request } from 'express';
import { CORE_GROUP, parseFilter, pathKey, type Filter } from './filter';
import { applyPatch, canonicalize, checkAttributes, isObject, readPatch, type Doc, type ResourceAttributes } from './patch';
import { iso, listResponse, locationOf, pageOf, queryParam, wants, type Selection } from './resources';
import { ScimAudit } from './scim.audit';
import { ScimResource } from './scim.entities';
import { invalidFilter, invalidSyntax, invalidValue, notFound, uniqueness } from './scim.errors';

/**
 * SCIM Groups (RFC 7643 §4.2) are the ticket groups (Billing, Tier 2): `displayName` is the
 * group's name (unique in the workspace), `members` its people, who must be staff (a requester is
 * refused: give them a staff role first, through `roles`). Changes go through tickets' own
 * functions, which check them and record their events (`tickets.group…`).
 */
export const GROUP_ATTRIBUTES: ResourceAttributes = {
  resource: 'Group',
  known: new Set(['displayName', 'members', 'externalId', 'schemas', 'id', 'meta']),
  readOnly: new Set(['id', 'meta', 'schemas']),
};

interface Found {
  group: TicketGroup;
  row: ScimResource | null;
}

async function findGroup(ctx: RequestContext, id: string): Promise<Found> {
  const group = isUuid(id) ? await ctx.em.findOne(TicketGroup, { id }) : null;
  if (!group) throw notFound('Group');
  return { group, row: await ctx.em.findOne(ScimResource, { groupId: group.id }) };
}

/** Members that are people of this tenant (the deleted are gone from SCIM), by group. */
async function membersOf(ctx: RequestContext, groups: TicketGroup[]): Promise<Map<string, User[]>> {
  const out = new Map<string, User[]>(groups.map((g) => [g.id, []]));
  if (!groups.length) return out;
  const links = await ctx.em.find(GroupMember, { group: { $in: groups.map((g) => g.id) } }, { fields: ['group', 'user'] });
  const users = links.length ? await ctx.em.find(User, { id: { $in: [...new Set(links.map((l) => l.user.id))] }, status: { $ne: 'deleted' } }) : [];
  const byId = new Map(users.map((u) => [u.id, u]));
  for (const l of links) {
    const u = byId.get(l.user.id);
    if (u) out.get(l.group.id)?.push(u);
  }
  return out;
}

async function representAll(ctx: RequestContext, groups: TicketGroup[], withMembers: boolean): Promise<Doc[]> {
  const rows = groups.length ? await ctx.em.find(ScimResource, { groupId: { $in: groups.map((g) => g.id) } }) : [];
  const byGroup = new Map(rows.map((r) => [r.groupId as string, r]));
  const members = withMembers ? await membersOf(ctx, groups) : null;
  return groups.map((g) => {
    const row = byGroup.get(g.id);
    return {
      schemas: [CORE_GROUP],
      id: g.id,
      ...(row?.externalId ? { externalId: row.externalId } : {}),
      displayName: g.name,
      ...(members
        ? { members: (members.get(g.id) ?? []).sort((a, b) => a.id.localeCompare(b.id)).map((u) => ({ value: u.id, display: u.name, $ref: locationOf(ctx, 'Users', u.id), type: 'User' })) }
        : {}),
      meta: { resourceType: 'Group', created: iso(g.createdAt), lastModified: iso(row?.updatedAt ?? g.createdAt), location: locationOf(ctx, 'Groups', g.id) },
    };
  });
}

export async function getGroup(ctx: RequestContext, id: string, sel: Selection): Promise<Doc> {
  const { group } = await findGroup(ctx, id);
  return (await representAll(ctx, [group], wants(sel, 'members')))[0];
}

/** GET /Groups: oldest first, or by `displayName`, `externalId`, `id` or a member (`members[value eq "…"]`). */
export async function listGroups(ctx: RequestContext, req: Request, sel: Selection) {
  const { startIndex, count } = pageOf(req);
  const text = queryParam(req, 'filter');
  const order = { orderBy: { createdAt: 'asc', id: 'asc' } } as const;
  const withMembers = wants(sel, 'members');
  if (!text?.trim()) {
    const total = await ctx.em.count(TicketGroup, {});
    const groups = count ? await ctx.em.find(TicketGroup, {}, { ...order, limit: count, offset: startIndex - 1 }) : [];
    return listResponse(await representAll(ctx, groups, withMembers), total, startIndex);
  }
  const ids = await matching(ctx, parseFilter(text));
  const found = ids.length ? await ctx.em.find(TicketGroup, { id: { $in: ids } }, order) : [];
  return listResponse(await representAll(ctx, found.slice(startIndex - 1, startIndex - 1 + count), withMembers), found.length, startIndex);
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

async function matching(ctx: RequestContext, filter: Filter): Promise<string[]> {
  const sets: Set<string>[] = [];
  for (const c of filter) {
    const key = pathKey(c.path);
    if (typeof c.value !== 'string') throw invalidFilter('Compare with a text value');
    const value = c.value;
    let ids: string[];
    if (key === 'id') ids = isUuid(value) ? [value.toLowerCase()] : [];
    else if (key === 'displayname') ids = (await ctx.em.find(TicketGroup, { name: { $ilike: escapeLike(value) } })).map((g) => g.id);
    else if (key === 'externalid') ids = (await ctx.em.find(ScimResource, { resourceType: 'Group', externalId: value })).map((r) => r.groupId as string);
    else if (key === 'members' || key === 'members.value') {
      ids = isUuid(value) ? (await ctx.em.find(GroupMember, { user: value }, { fields: ['group'] })).map((m) => m.group.id) : [];
    } else throw invalidFilter(`Groups are filtered by displayName, externalId, id or members with "eq", not by "${key}"`);
    sets.push(new Set(ids));
  }
  return [...sets[0]].filter((id) => sets.every((set) => set.has(id)));
}

interface GroupInput {
  name?: string;
  memberIds?: string[];
  externalId?: string | null;
}

function readGroup(doc: Doc, mode: 'create' | 'replace' | 'patch'): GroupInput {
  checkAttributes(doc, GROUP_ATTRIBUTES);
  const input: GroupInput = {};
  if (doc.displayName !== undefined && doc.displayName !== null) {
    if (typeof doc.displayName !== 'string') throw invalidValue('"displayName" is text');
    input.name = doc.displayName;
  } else if (mode !== 'replace') throw invalidValue('"displayName" is required');
  if (doc.members === undefined) {
    if (mode === 'patch') input.memberIds = []; // all removed by the patch
  } else if (doc.members === null) input.memberIds = [];
  else {
    if (!Array.isArray(doc.members) || !doc.members.every((m) => isObject(m) && typeof m.value === 'string')) {
      throw invalidValue('"members" is a list of { value: <a person\'s id> }');
    }
    input.memberIds = [...new Set((doc.members as Doc[]).map((m) => (m.value as string).toLowerCase()))];
  }
  if (doc.externalId !== undefined) {
    if (doc.externalId !== null && (typeof doc.externalId !== 'string' || doc.externalId.length > 512)) throw invalidValue('"externalId" is text of at most 512 characters');
    input.externalId = (doc.externalId as string | null)?.trim() || null;
  } else if (mode === 'patch') input.externalId = null;
  return input;
}

/**
 * Members name people of this workspace: an id that is not one, another workspace's included,
 * gets the same answer (D2). Whether they may be in a group is tickets' rule.
 */
async function checkMembers(ctx: RequestContext, ids: string[]): Promise<void> {
  const unknown = ids.find((id) => !isUuid(id));
  const found = ids.length && !unknown ? await ctx.em.count(User, { id: { $in: ids }, status: { $ne: 'deleted' } }) : 0;
  if (unknown || found !== ids.length) throw invalidValue('A member is not a person of this workspace');
}

async function checkExternalIdFree(ctx: RequestContext, externalId: string, except: string | null): Promise<void> {
  const row = await ctx.em.findOne(ScimResource, { resourceType: 'Group', externalId });
  if (row && row.groupId !== except) throw uniqueness('A group with this externalId exists already');
}

/** POST /Groups. */
export async function createGroup(ctx: RequestContext, body: unknown): Promise<Doc> {
  const doc = canonicalize(body);
  if (!isObject(doc)) throw invalidSyntax('Send a Group object');
  const input = readGroup(doc, 'create');
  const memberIds = input.memberIds ?? [];
  await checkMembers(ctx, memberIds);
  if (input.externalId) await checkExternalIdFree(ctx, input.externalId, null);
  const view = await createTicketGroup(ctx, { name: input.name as string, memberIds });
  await ctx.em.flush(); // the group's row first: the SCIM record's key points at it
  const now = ctx.app.now();
  ctx.em.create(ScimResource, { resourceType: 'Group', groupId: view.id, externalId: input.externalId ?? null, profile: {}, createdAt: now, updatedAt: now });
  await ctx.em.flush();
  return (await representAll(ctx, [await ctx.em.findOneOrFail(TicketGroup, { id: view.id })], true))[0];
}

/** PUT /Groups/:id: what the request leaves out (members, externalId) keeps its value. */
export async function replaceGroup(ctx: RequestContext, id: string, body: unknown): Promise<Doc> {
  const doc = canonicalize(body);
  if (!isObject(doc)) throw invalidSyntax('Send a Group object');
  const found = await findGroup(ctx, id);
  await update(ctx, found, readGroup(doc, 'replace'));
  return (await representAll(ctx, [found.group], true))[0];
}

/** PATCH /Groups/:id: add, remove or replace members, rename (answered 204, as Entra expects). */
export async function patchGroup(ctx: RequestContext, id: string, body: unknown): Promise<void> {
  const ops = readPatch(body);
  const found = await findGroup(ctx, id);
  const doc = (await representAll(ctx, [found.group], true))[0];
  applyPatch(doc, ops, GROUP_ATTRIBUTES);
  await update(ctx, found, readGroup(doc, 'patch'));
}

async function update(ctx: RequestContext, { group, row }: Found, input: GroupInput): Promise<void> {
  const current = ((await membersOf(ctx, [group])).get(group.id) ?? []).map((u) => u.id).sort();
  const name = input.name ?? group.name;
  const memberIds = input.memberIds ? [...input.memberIds].sort() : current;
  if (input.memberIds) await checkMembers(ctx, memberIds);
  const externalId = input.externalId === undefined ? (row?.externalId ?? null) : input.externalId;
  if (externalId && externalId !== (row?.externalId ?? null)) await checkExternalIdFree(ctx, externalId, group.id);
  if (name !== group.name || memberIds.join() !== current.join()) await updateTicketGroup(ctx, group.id, { name, memberIds });
  const now = ctx.app.now();
  if (externalId !== (row?.externalId ?? null)) {
    audit(ctx, ScimAudit.groupLinked, { targetId: group.id, changes: { externalId: { before: row?.externalId ?? null, after: externalId } } });
  }
  if (!row) ctx.em.create(ScimResource, { resourceType: 'Group', groupId: group.id, externalId, profile: {}, createdAt: now, updatedAt: now });
  else row.externalId = externalId;
  if (row) row.updatedAt = now;
  await ctx.em.flush();
}

/** DELETE /Groups/:id: its tickets stay, without a group (tickets' rule and event). */
export async function deleteGroup(ctx: RequestContext, id: string): Promise<void> {
  const { group } = await findGroup(ctx, id);
  await deleteTicketGroup(ctx, group.id);
}
