import { audit, auditDiff, badInput, BUILT_IN_ROLES, conflict, forbidden, isBuiltInRole, notFound, type Permission, type RequestContext } from '@bulwark/platform-api';
import { requireRecentAuth, User } from '@bulwark/identity-api';
import { AccessSettings, IpRule, Role, type IpMode } from './access.entities';
import { forgetAccess, platformLockdown } from './access.guard';
import { AccessAudit } from './access.audit';
import { inRanges, normaliseRange, parseRange, type Range } from './network';
import { customRoleId, customRoleKey } from './role-directory';
import type { AccessSettingsView, IpAllowlistInput, RoleInput, RoleView } from './access.types';

const BUILT_IN_NAMES: Record<string, string> = {
  owner: 'Owner',
  admin: 'Administrator',
  agent: 'Agent',
  light_agent: 'Light agent',
  auditor: 'Auditor',
  requester: 'Requester',
};

/** Every role of the tenant: the built-ins first (fixed), then custom roles by name. */
export async function listRoles(ctx: RequestContext): Promise<RoleView[]> {
  const builtIn = BUILT_IN_ROLES.map((key) => ({
    key,
    name: BUILT_IN_NAMES[key],
    description: 'Built in; cannot be changed',
    builtIn: true,
    permissions: [...ctx.app.catalog.forRole(key)],
    ticketScope: scopeOf([...ctx.app.catalog.forRole(key)]),
  }));
  const custom = await ctx.em.find(Role, {}, { orderBy: { name: 'asc' } });
  return [...builtIn, ...custom.map(toView)];
}

/** The ticket scope a set of permissions gives (the permissions are the truth; this names it). */
const scopeOf = (permissions: string[]) => (permissions.includes('tickets.viewAll') ? 'all' : permissions.includes('tickets.viewGroup') ? 'group' : 'own');

const toView = (r: Role): RoleView => ({
  key: customRoleKey(r.id),
  name: r.name,
  description: r.description,
  builtIn: false,
  permissions: r.permissions,
  ticketScope: scopeOf(r.permissions),
});

/** An admin cannot hand out a permission they do not hold themselves. */
function assertGrantable(ctx: RequestContext, permissions: string[]) {
  const mine = ctx.principal?.permissions ?? new Set<Permission>();
  const beyond = permissions.filter((p) => !mine.has(p as Permission));
  if (beyond.length) throw forbidden();
}

async function findCustom(ctx: RequestContext, key: string): Promise<Role> {
  if (isBuiltInRole(key)) throw badInput('Built-in roles cannot be changed', { key: 'built in' });
  const id = customRoleId(key);
  const role = id ? await ctx.em.findOne(Role, { id }) : null;
  if (!role) throw notFound('Role');
  return role;
}

export async function createRole(ctx: RequestContext, input: RoleInput): Promise<RoleView> {
  await requireRecentAuth(ctx);
  assertGrantable(ctx, input.permissions);
  if (await ctx.em.count(Role, { name: input.name.trim() })) throw conflict(`A role named "${input.name.trim()}" exists already`);
  const now = ctx.app.now();
  const role = ctx.em.create(Role, { name: input.name.trim(), description: input.description, permissions: [...new Set(input.permissions)], createdAt: now, updatedAt: now });
  return toView(role);
}

/** Changing a role changes what its holders may do on their next request. */
export async function updateRole(ctx: RequestContext, key: string, input: RoleInput): Promise<RoleView> {
  await requireRecentAuth(ctx);
  const role = await findCustom(ctx, key);
  // Granting needs the permission; so does taking one away (no editing beyond one's own reach).
  assertGrantable(ctx, [...new Set([...input.permissions, ...role.permissions])]);
  if (input.name.trim() !== role.name && (await ctx.em.count(Role, { name: input.name.trim() }))) {
    throw conflict(`A role named "${input.name.trim()}" exists already`);
  }
  role.name = input.name.trim();
  role.description = input.description;
  role.permissions = [...new Set(input.permissions)];
  role.updatedAt = ctx.app.now();
  return toView(role);
}

export async function deleteRole(ctx: RequestContext, key: string): Promise<boolean> {
  await requireRecentAuth(ctx);
  const role = await findCustom(ctx, key);
  const holders = await ctx.em.count(User, { role: customRoleKey(role.id), status: { $ne: 'deleted' } });
  if (holders) throw conflict(`${holders} ${holders === 1 ? 'person has' : 'people have'} this role; give them another role first`);
  ctx.em.remove(role);
  return true;
}

async function settings(ctx: RequestContext): Promise<AccessSettings> {
  return (await ctx.em.findOne(AccessSettings, {})) ?? ctx.em.create(AccessSettings, {});
}

export async function accessSettings(ctx: RequestContext): Promise<AccessSettingsView> {
  const s = await settings(ctx);
  const rules = await ctx.em.find(IpRule, {}, { orderBy: { cidr: 'asc' } });
  const everywhere = await platformLockdown(ctx);
  return {
    ipMode: s.ipMode,
    ipIncludesRequesters: s.ipIncludesRequesters,
    ipRules: rules.map((r) => ({ cidr: r.cidr, label: r.label })),
    lockdown: s.lockdown,
    lockdownChangedAt: s.lockdownChangedAt ?? null,
    platformLockdown: everywhere,
    yourAddress: ctx.ip,
  };
}

/**
 * Replaces the allowlist (D10). Refused when it would lock out the admin making the change:
 * in enforce mode their own address must stay inside the list.
 */
export async function setIpAllowlist(ctx: RequestContext, input: IpAllowlistInput): Promise<AccessSettingsView> {
  await requireRecentAuth(ctx);
  const fields: Record<string, string> = {};
  const normalised = input.rules.map((r, i) => {
    const cidr = normaliseRange(r.cidr);
    if (!cidr) fields[`rules.${i}.cidr`] = `"${r.cidr}" is not an IPv4 or IPv6 address or range`;
    return { cidr: cidr ?? '', label: r.label.trim() };
  });
  if (Object.keys(fields).length) throw badInput('Some ranges are not valid', fields);
  const mode = input.mode as IpMode;
  if (mode !== 'off' && !normalised.length) throw badInput('Add at least one range, or turn the allowlist off', { rules: 'empty' });
  if (mode === 'enforce') {
    const ranges = normalised.map((r) => parseRange(r.cidr)).filter((r): r is Range => !!r);
    if (!inRanges(ctx.ip, ranges)) {
      throw badInput(`This would lock you out: your address ${ctx.ip} is not in the list`, { rules: 'self-lockout' });
    }
  }
  const s = await settings(ctx);
  const before = { mode: s.ipMode, includesRequesters: s.ipIncludesRequesters, rules: (await ctx.em.find(IpRule, {}, { orderBy: { cidr: 'asc' } })).map((r) => `${r.cidr} ${r.label}`.trim()) };
  s.ipMode = mode;
  s.ipIncludesRequesters = input.includesRequesters;
  s.updatedAt = ctx.app.now();
  await ctx.em.nativeDelete(IpRule, {});
  const seen = new Set<string>();
  for (const r of normalised) {
    if (seen.has(r.cidr)) continue;
    seen.add(r.cidr);
    ctx.em.create(IpRule, { cidr: r.cidr, label: r.label, createdAt: ctx.app.now() });
  }
  const after = { mode, includesRequesters: input.includesRequesters, rules: normalised.filter((r, i) => normalised.findIndex((x) => x.cidr === r.cidr) === i).map((r) => `${r.cidr} ${r.label}`.trim()).sort() };
  audit(ctx, AccessAudit.ipAllowlistChanged, { targetId: s.id, changes: auditDiff(before, after) });
  forgetAccess(ctx.tenantId as string);
  await ctx.em.flush();
  return accessSettings(ctx);
}

/** D11: the tenant's lockdown switch. */
export async function setLockdown(ctx: RequestContext, on: boolean): Promise<AccessSettingsView> {
  await requireRecentAuth(ctx);
  const s = await settings(ctx);
  if (s.lockdown !== on) {
    audit(ctx, AccessAudit.lockdownChanged, { targetId: s.id, changes: { lockdown: { before: s.lockdown, after: on } } });
    s.lockdown = on;
    s.lockdownChangedAt = ctx.app.now();
  }
  s.updatedAt = ctx.app.now();
  forgetAccess(ctx.tenantId as string);
  await ctx.em.flush();
  return accessSettings(ctx);
}

