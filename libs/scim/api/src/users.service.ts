import { audit, auditDiff, isUuid, type Permission, type RequestContext } from '@bulwark/platform-api';
import { deleteAccount, IdentityAudit, insertUser, normalizeEmail, reactivateAccount, suspendAccount, User } from '@bulwark/identity-api';
import { GroupMember, TicketGroup } from '@bulwark/tickets-api';
import type { Request } from 'express';
import { booleanOf, CORE_USER, parseFilter, pathKey, type Filter } from './filter';
import { applyPatch, canonicalize, checkAttributes, isObject, readPatch, type Doc, type ResourceAttributes } from './patch';
import { authorityOf, iso, listResponse, locationOf, pageOf, queryParam, within } from './resources';
import { ScimAudit } from './scim.audit';
import { ScimResource, type ScimProfile } from './scim.entities';
import { forbidden, invalidFilter, invalidSyntax, invalidValue, notFound, uniqueness } from './scim.errors';

/**
 * SCIM Users (RFC 7643 §4.1) are Bulwark's people. What is kept: `userName` (the person's email
 * unless the provider sends another), `emails` (one address: the primary, else the work one),
 * the name (`displayName`, else `name.formatted`, else its parts), `active` (false suspends:
 * sessions end and API tokens are revoked, B6), `roles` (one role) and `externalId`. Attributes
 * of the core and enterprise schemas that Bulwark has no place for are accepted and not kept
 * (providers send their whole mapping); `password` is never taken (people sign in through single
 * sign-on or set their own). Owners are made and changed in Bulwark only.
 */
export const USER_ATTRIBUTES: ResourceAttributes = {
  resource: 'User',
  known: new Set([
    ...['userName', 'name', 'displayName', 'emails', 'active', 'externalId', 'roles'],
    ...['schemas', 'id', 'meta', 'groups', 'password'],
    // RFC 7643 §4.1 attributes without a place here, and two Entra sends at the top level.
    ...['nickName', 'profileUrl', 'title', 'userType', 'preferredLanguage', 'locale', 'timezone'],
    ...['phoneNumbers', 'ims', 'photos', 'addresses', 'entitlements', 'x509Certificates', 'department', 'manager'],
  ]),
  readOnly: new Set(['id', 'meta', 'groups', 'schemas']),
};

/** A SCIM-made person's role unless the request names one in `roles`. */
export const DEFAULT_ROLE = 'requester';
const OWNERS_ARE_MANAGED_HERE = 'Owners are managed in Bulwark, not by provisioning';

interface Found {
  user: User;
  row: ScimResource | null;
}

/** A live person of this tenant: another tenant's id, or a deleted person's, is not found (D2). */
async function findUser(ctx: RequestContext, id: string): Promise<Found> {
  const user = isUuid(id) ? await ctx.em.findOne(User, { id, status: { $ne: 'deleted' } }) : null;
  if (!user) throw notFound('User');
  return { user, row: await ctx.em.findOne(ScimResource, { userId: user.id }) };
}

async function rowsOf(ctx: RequestContext, users: User[]): Promise<Map<string, ScimResource>> {
  const rows = users.length ? await ctx.em.find(ScimResource, { userId: { $in: users.map((u) => u.id) } }) : [];
  return new Map(rows.map((r) => [r.userId as string, r]));
}

async function groupsOf(ctx: RequestContext, users: User[]): Promise<Map<string, Doc[]>> {
  const out = new Map<string, Doc[]>();
  if (!users.length) return out;
  const members = await ctx.em.find(GroupMember, { user: { $in: users.map((u) => u.id) } }, { fields: ['group', 'user'] });
  const groups = members.length ? await ctx.em.find(TicketGroup, { id: { $in: [...new Set(members.map((m) => m.group.id))] } }) : [];
  const names = new Map(groups.map((g) => [g.id, g.name]));
  for (const m of members) {
    const list = out.get(m.user.id) ?? [];
    list.push({ value: m.group.id, display: names.get(m.group.id) ?? null, $ref: locationOf(ctx, 'Groups', m.group.id), type: 'direct' });
    out.set(m.user.id, list);
  }
  return out;
}

const composed = (p: ScimProfile) => [p.honorificPrefix, p.givenName, p.middleName, p.familyName, p.honorificSuffix].filter((s) => s && s.trim()).join(' ');

function represent(ctx: RequestContext, user: User, row: ScimResource | undefined | null, groups: Doc[]): Doc {
  const p = row?.profile ?? {};
  const name: Doc = { formatted: p.formatted || composed(p) || user.name };
  for (const k of ['givenName', 'familyName', 'middleName', 'honorificPrefix', 'honorificSuffix'] as const) if (p[k] != null) name[k] = p[k];
  return {
    schemas: [CORE_USER],
    id: user.id,
    ...(row?.externalId ? { externalId: row.externalId } : {}),
    userName: row?.userName ?? user.email,
    name,
    displayName: user.name,
    active: user.status === 'active' || user.status === 'invited',
    emails: [{ value: user.email, type: p.emailType ?? 'work', primary: true }],
    roles: [{ value: user.role, primary: true }],
    groups,
    meta: { resourceType: 'User', created: iso(user.createdAt), lastModified: iso(row?.updatedAt ?? user.createdAt), location: locationOf(ctx, 'Users', user.id) },
  };
}

async function representAll(ctx: RequestContext, users: User[]): Promise<Doc[]> {
  const [rows, groups] = [await rowsOf(ctx, users), await groupsOf(ctx, users)];
  return users.map((u) => represent(ctx, u, rows.get(u.id), groups.get(u.id) ?? []));
}

export async function getUser(ctx: RequestContext, id: string): Promise<Doc> {
  const { user } = await findUser(ctx, id);
  return (await representAll(ctx, [user]))[0];
}

/**
 * GET /Users: every person but the deleted, oldest first (a stable order for paging), or those a
 * filter finds: `userName`, `externalId`, `id` and the email (`emails.value`,
 * `emails[type eq "work"].value`) compared with `eq`, joined by `and`.
 */
export async function listUsers(ctx: RequestContext, req: Request) {
  const { startIndex, count } = pageOf(req);
  const text = queryParam(req, 'filter');
  const order = { orderBy: { createdAt: 'asc', id: 'asc' } } as const;
  if (!text?.trim()) {
    const total = await ctx.em.count(User, { status: { $ne: 'deleted' } });
    const users = count ? await ctx.em.find(User, { status: { $ne: 'deleted' } }, { ...order, limit: count, offset: startIndex - 1 }) : [];
    return listResponse(await representAll(ctx, users), total, startIndex);
  }
  const ids = await matching(ctx, parseFilter(text));
  const found = ids.length ? await ctx.em.find(User, { id: { $in: ids }, status: { $ne: 'deleted' } }, order) : [];
  return listResponse(await representAll(ctx, found.slice(startIndex - 1, startIndex - 1 + count)), found.length, startIndex);
}

const textOf = (v: unknown): string => {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  throw invalidFilter('Compare with a text value');
};

/** The ids a filter selects (before leaving out the deleted). */
async function matching(ctx: RequestContext, filter: Filter): Promise<string[]> {
  const sets: Set<string>[] = [];
  for (const c of filter) {
    const key = pathKey(c.path);
    const value = textOf(c.value);
    let ids: string[];
    if (key === 'id') ids = isUuid(value) ? [value.toLowerCase()] : [];
    else if (key === 'externalid') ids = (await ctx.em.find(ScimResource, { resourceType: 'User', externalId: value })).map((r) => r.userId as string);
    else if (key === 'username') ids = await byUserName(ctx, value);
    else if (['emails', 'emails.value', 'emails[type eq work].value', 'emails[primary eq true].value'].includes(key)) {
      ids = (await ctx.em.find(User, { email: normalizeEmail(value) })).map((u) => u.id);
    } else throw invalidFilter(`Users are filtered by userName, externalId, id or emails with "eq", not by "${key}"`);
    sets.push(new Set(ids));
  }
  return [...sets[0]].filter((id) => sets.every((set) => set.has(id)));
}

/** A person's userName is their SCIM record's, or their email when they have none. */
async function byUserName(ctx: RequestContext, userName: string): Promise<string[]> {
  const key = userName.trim().toLowerCase();
  const named = (await ctx.em.find(ScimResource, { userNameKey: key })).map((r) => r.userId as string);
  const byEmail = await ctx.em.find(User, { email: key });
  const linked = await rowsOf(ctx, byEmail);
  return [...named, ...byEmail.filter((u) => !linked.has(u.id)).map((u) => u.id)];
}

interface UserInput {
  userName: string;
  /** undefined: not given (a PUT keeps the current value). */
  email?: string;
  emailType?: string | null;
  name?: string;
  profile?: ScimProfile;
  active?: boolean;
  externalId?: string | null;
  role?: string;
}

function text(doc: Doc, key: string, max: number): string | null | undefined {
  const v = doc[key];
  if (v === undefined || v === null) return v as null | undefined;
  if (typeof v !== 'string') throw invalidValue(`"${key}" is text`);
  if (v.length > max) throw invalidValue(`"${key}" is at most ${max} characters`);
  return v;
}

const EMAIL = /^[^@\s]+@[^@\s]+$/;

/**
 * A User as a whole (POST, PUT, or a PATCH applied to the current one), checked: the attributes
 * Bulwark keeps, with their types and bounds.
 */
function readUser(doc: Doc, mode: 'create' | 'replace' | 'patch'): UserInput {
  checkAttributes(doc, USER_ATTRIBUTES);
  const userName = text(doc, 'userName', 512)?.trim();
  if (!userName) throw invalidValue('"userName" is required');
  const input: UserInput = { userName };

  if (doc.emails !== undefined && doc.emails !== null) {
    if (!Array.isArray(doc.emails) || !doc.emails.every((e) => isObject(e) && typeof e.value === 'string')) {
      throw invalidValue('"emails" is a list of { value, type, primary }');
    }
    const emails = doc.emails as Doc[];
    const chosen = emails.find((e) => booleanOf(e.primary)) ?? emails.find((e) => String(e.type ?? '').toLowerCase() === 'work') ?? emails[0];
    if (chosen) {
      input.email = normalizeEmail(chosen.value as string);
      input.emailType = typeof chosen.type === 'string' && chosen.type.length <= 64 ? chosen.type : null;
    }
  }
  // A new person without `emails` has their userName as email, if it is one.
  if (input.email === undefined && mode === 'create' && EMAIL.test(userName)) input.email = normalizeEmail(userName);
  if (input.email !== undefined && (!EMAIL.test(input.email) || input.email.length > 254)) throw invalidValue(`"${input.email}" is not an email address`);

  const displayName = text(doc, 'displayName', 200)?.trim();
  if (doc.name !== undefined && doc.name !== null && !isObject(doc.name)) throw invalidValue('"name" is an object ({ givenName, familyName, … })');
  if (isObject(doc.name) || doc.name === null) {
    const n = (doc.name ?? {}) as Doc;
    const profile: ScimProfile = {};
    for (const k of ['givenName', 'familyName', 'middleName', 'honorificPrefix', 'honorificSuffix', 'formatted'] as const) {
      const v = text(n, k, 200);
      if (v != null) profile[k] = v;
    }
    input.profile = profile;
  }
  const derived = displayName || input.profile?.formatted?.trim() || (input.profile && composed(input.profile)) || '';
  if (derived) {
    if (derived.length > 200) throw invalidValue('A name is at most 200 characters');
    input.name = derived;
  }

  if (doc.active !== undefined && doc.active !== null) {
    const active = booleanOf(doc.active);
    if (active === undefined) throw invalidValue('"active" is true or false');
    input.active = active;
  }

  const externalId = text(doc, 'externalId', 512);
  if (externalId !== undefined) input.externalId = externalId?.trim() || null;
  else if (mode === 'patch') input.externalId = null; // removed by the patch

  if (Array.isArray(doc.roles) && doc.roles.length) {
    const roles: Doc[] = doc.roles.map((r) => (isObject(r) ? r : { value: r }));
    const chosen = roles.length === 1 ? roles[0] : roles.filter((r) => booleanOf(r.primary)).length === 1 ? roles.find((r) => booleanOf(r.primary)) : null;
    if (!chosen) throw invalidValue('A person has one role: send one value in "roles", or mark one primary');
    if (typeof chosen.value !== 'string' || !chosen.value.trim()) throw invalidValue('A role is named by its key in "value"');
    input.role = chosen.value.trim().toLowerCase();
  } else if (doc.roles !== undefined && doc.roles !== null && !Array.isArray(doc.roles)) throw invalidValue('"roles" is a list');
  return input;
}

/** A role SCIM may give: never owner (D14: refused, not ignored), one that exists, within the token's authority. */
async function checkRole(ctx: RequestContext, role: string, authority: ReadonlySet<Permission>): Promise<void> {
  if (role === 'owner') throw forbidden('Provisioning cannot make owners: owners are made in Bulwark');
  const granted = await ctx.app.roles.permissionsOf(ctx, role);
  if (!granted) throw invalidValue(`Unknown role "${role}": a built-in role (admin, agent, light_agent, auditor, requester) or a custom role's key (role:<id>)`);
  if (!within(authority, granted)) throw forbidden(`The role "${role}" holds permissions this token's creator does not have`);
}

/** A userName names one person: their record's, or the email of a person without one. */
async function checkUserNameFree(ctx: RequestContext, key: string, except: string | null): Promise<void> {
  const row = await ctx.em.findOne(ScimResource, { userNameKey: key });
  if (row && row.userId !== except) {
    const holder = await ctx.em.findOne(User, { id: row.userId as string });
    if (holder && holder.status !== 'deleted') throw uniqueness('A person with this userName exists already');
    await ctx.em.nativeDelete(ScimResource, { id: row.id }); // left by a deletion outside SCIM
  }
  const byEmail = await ctx.em.findOne(User, { email: key, status: { $ne: 'deleted' } });
  if (byEmail && byEmail.id !== except && !(await ctx.em.count(ScimResource, { userId: byEmail.id }))) {
    throw uniqueness('A person with this userName exists already');
  }
}

async function checkExternalIdFree(ctx: RequestContext, externalId: string, except: string | null): Promise<void> {
  const row = await ctx.em.findOne(ScimResource, { resourceType: 'User', externalId });
  if (!row || row.userId === except) return;
  const holder = await ctx.em.findOne(User, { id: row.userId as string });
  if (holder && holder.status !== 'deleted') throw uniqueness('A person with this externalId exists already');
  await ctx.em.nativeDelete(ScimResource, { id: row.id });
}

async function checkEmailFree(ctx: RequestContext, email: string, except: string | null): Promise<void> {
  if (await ctx.em.count(User, except ? { email, id: { $ne: except } } : { email })) throw uniqueness('A person with this email exists already');
}

/** POST /Users. */
export async function createUser(ctx: RequestContext, body: unknown): Promise<Doc> {
  const doc = canonicalize(body);
  if (!isObject(doc)) throw invalidSyntax('Send a User object');
  const input = readUser(doc, 'create');
  if (!input.email) throw invalidValue('A person needs an email: send "emails", or an email as "userName"');
  const authority = await authorityOf(ctx);
  const role = input.role ?? DEFAULT_ROLE;
  await checkRole(ctx, role, authority);
  await checkUserNameFree(ctx, input.userName.toLowerCase(), null);
  await checkEmailFree(ctx, input.email, null);
  if (input.externalId) await checkExternalIdFree(ctx, input.externalId, null);
  const now = ctx.app.now();
  const user = await insertUser(ctx, { email: input.email, name: input.name ?? input.email.split('@')[0], role, createdAt: now });
  await ctx.em.flush(); // the person's row first: the SCIM record's key points at it
  const row = ctx.em.create(ScimResource, {
    resourceType: 'User',
    userId: user.id,
    userName: input.userName,
    userNameKey: input.userName.toLowerCase(),
    externalId: input.externalId ?? null,
    profile: { ...(input.profile ?? {}), emailType: input.emailType ?? null },
    createdAt: now,
    updatedAt: now,
  });
  audit(ctx, ScimAudit.userProvisioned, { targetId: user.id, details: { userName: input.userName, externalId: row.externalId ?? null, role } });
  await ctx.em.flush();
  if (input.active === false) await suspendAccount(ctx, user);
  return (await representAll(ctx, [user]))[0];
}

/** PUT /Users/:id: what the request leaves out keeps its value (a person always has an email, a name and a role). */
export async function replaceUser(ctx: RequestContext, id: string, body: unknown): Promise<Doc> {
  const doc = canonicalize(body);
  if (!isObject(doc)) throw invalidSyntax('Send a User object');
  const found = await findUser(ctx, id);
  return update(ctx, found, readUser(doc, 'replace'));
}

/** PATCH /Users/:id: the operations applied to the current User, then read as a PUT. */
export async function patchUser(ctx: RequestContext, id: string, body: unknown): Promise<Doc> {
  const ops = readPatch(body);
  const found = await findUser(ctx, id);
  const doc = (await representAll(ctx, [found.user]))[0];
  applyPatch(doc, ops, USER_ATTRIBUTES);
  return update(ctx, found, readUser(doc, 'patch'));
}

async function update(ctx: RequestContext, { user, row }: Found, input: UserInput): Promise<Doc> {
  const authority = await authorityOf(ctx);
  const before = { email: user.email, name: user.name, role: user.role, userName: row?.userName ?? user.email, externalId: row?.externalId ?? null };
  const after = {
    email: input.email ?? user.email,
    name: input.name ?? user.name,
    role: input.role ?? user.role,
    userName: input.userName,
    externalId: input.externalId === undefined ? before.externalId : input.externalId,
  };
  const suspend = input.active === false && user.status !== 'suspended';
  const reactivate = input.active === true && user.status === 'suspended';
  // The account itself (email, name, role, status): never an owner's, never above the token's authority.
  if (after.email !== before.email || after.name !== before.name || after.role !== before.role || suspend || reactivate) {
    if (user.role === 'owner') throw forbidden(OWNERS_ARE_MANAGED_HERE);
    if (!within(authority, (await ctx.app.roles.permissionsOf(ctx, user.role)) ?? new Set())) {
      throw forbidden("This person's role holds permissions this token's creator does not have");
    }
  }
  // An owner's SCIM record too: a provider may link an owner once (set an unset externalId), never
  // rename or relink them, or its next filter would find the owner under another name.
  const relinks = (before.externalId !== null && after.externalId !== before.externalId) || after.userName.toLowerCase() !== (row?.userNameKey ?? user.email);
  if (user.role === 'owner' && relinks) throw forbidden(OWNERS_ARE_MANAGED_HERE);
  if (after.role !== before.role) await checkRole(ctx, after.role, authority);
  const userNameKey = after.userName.toLowerCase();
  if (userNameKey !== (row?.userNameKey ?? user.email)) await checkUserNameFree(ctx, userNameKey, user.id);
  if (after.email !== before.email) await checkEmailFree(ctx, after.email, user.id);
  if (after.externalId && after.externalId !== before.externalId) await checkExternalIdFree(ctx, after.externalId, user.id);

  if (after.role !== before.role) audit(ctx, IdentityAudit.roleChanged, { targetId: user.id, changes: { role: { before: before.role, after: after.role } } });
  // The role has its own event (identity's); this one is the rest of the change.
  const { role: _role, ...changes } = auditDiff(before, after);
  if (Object.keys(changes).length) audit(ctx, ScimAudit.userUpdated, { targetId: user.id, changes });
  Object.assign(user, { email: after.email, name: after.name, role: after.role });

  const profile: ScimProfile = { ...(input.profile ?? stripEmailType(row?.profile)), emailType: input.emailType !== undefined ? input.emailType : (row?.profile.emailType ?? null) };
  const record = { userName: after.userName, userNameKey, externalId: after.externalId, profile };
  const now = ctx.app.now();
  if (!row) ctx.em.create(ScimResource, { resourceType: 'User', userId: user.id, ...record, createdAt: now, updatedAt: now });
  else if (Object.keys(changes).length || after.role !== before.role || suspend || reactivate || JSON.stringify(row.profile) !== JSON.stringify(profile)) Object.assign(row, { ...record, updatedAt: now });
  await ctx.em.flush();
  if (suspend) await suspendAccount(ctx, user);
  if (reactivate) await reactivateAccount(ctx, user);
  return (await representAll(ctx, [user]))[0];
}

function stripEmailType(p: ScimProfile | undefined): ScimProfile {
  const { emailType: _emailType, ...rest } = p ?? {};
  return rest;
}

/**
 * DELETE /Users/:id: the person is deleted as Bulwark deletes people (access and personal data
 * gone, tickets kept; identity's event), and is not found afterwards (RFC 7644 §3.6).
 */
export async function deleteUser(ctx: RequestContext, id: string): Promise<void> {
  const { user, row } = await findUser(ctx, id);
  if (user.role === 'owner') throw forbidden(OWNERS_ARE_MANAGED_HERE);
  if (!within(await authorityOf(ctx), (await ctx.app.roles.permissionsOf(ctx, user.role)) ?? new Set())) {
    throw forbidden("This person's role holds permissions this token's creator does not have");
  }
  if (row) ctx.em.remove(row);
  await deleteAccount(ctx, user);
}
