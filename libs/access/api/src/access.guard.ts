import { AppError, hasPermission, type OperationInfo, type RequestContext, type RequestGuard } from '@bulwark/platform-api';
import { AccessSettings, IpRule, type IpMode } from './access.entities';
import { NetworkPermission } from './access.permissions';
import { inRanges, parseRange, type Range } from './network';

interface TenantAccess {
  mode: IpMode;
  includesRequesters: boolean;
  lockdown: boolean;
  ranges: Range[];
}

/**
 * Settings are read on every operation, so each process keeps them for a second: a change made
 * here applies at once (the cache entry is dropped), one made by another process within a second.
 * Keys are tenant ids (D9).
 */
const TTL_MS = 1000;
const tenantCache = new Map<string, { at: number; value: TenantAccess }>();
let platformCache: { at: number; lockdown: boolean } | null = null;

export function forgetAccess(tenantId: string) {
  tenantCache.delete(tenantId);
  platformCache = null;
}

async function tenantAccess(ctx: RequestContext): Promise<TenantAccess> {
  const tenantId = ctx.tenantId as string;
  const hit = tenantCache.get(tenantId);
  if (hit && Date.now() - hit.at < TTL_MS) return hit.value;
  // Sequential: both run on the operation's one transaction connection.
  const settings = await ctx.em.findOne(AccessSettings, {});
  const rules = await ctx.em.find(IpRule, {}, { fields: ['cidr'] });
  const value: TenantAccess = {
    mode: settings?.ipMode ?? 'off',
    includesRequesters: settings?.ipIncludesRequesters ?? false,
    lockdown: settings?.lockdown ?? false,
    ranges: rules.map((r) => parseRange(r.cidr)).filter((r): r is Range => !!r),
  };
  tenantCache.set(tenantId, { at: Date.now(), value });
  return value;
}

export async function platformLockdown(ctx: RequestContext): Promise<boolean> {
  if (platformCache && Date.now() - platformCache.at < TTL_MS) return platformCache.lockdown;
  // A global table without tenant data (operator switches); the runtime role may only read it.
  const row = await ctx.em
    .getConnection()
    .execute<{ value: unknown }>(`select value from platform_settings where key = 'lockdown'`, [], 'get', ctx.em.getTransactionContext());
  const lockdown = row?.value === true;
  platformCache = { at: Date.now(), lockdown };
  return lockdown;
}

export function onAllowedNetwork(ctx: RequestContext, access: { ranges: Range[] }): boolean {
  return inRanges(ctx.ip, access.ranges);
}

/**
 * D10: staff (and requesters, if the tenant says so) reach the tenant only from its allowlisted
 * networks; "report" mode logs what it would block. D11: in lockdown (the tenant's, or the
 * platform's), every mutation is refused with LOCKDOWN except sign-in/out and those of admins
 * connecting from an allowlisted network. Reads go on.
 */
export const accessGuard: RequestGuard = {
  name: 'access',
  async check(ctx: RequestContext, op: OperationInfo) {
    const everywhere = await platformLockdown(ctx);
    if (!ctx.tenantId) {
      if (everywhere && isRefusedInLockdown(ctx, op)) throw lockdownError();
      return;
    }
    const access = await tenantAccess(ctx);
    await checkNetwork(ctx, access);
    if ((access.lockdown || everywhere) && isRefusedInLockdown(ctx, op)) {
      // People only: a leaked API token is what a lockdown is often for, whatever its scope.
      const admin = ctx.principal?.kind === 'user' && hasPermission(ctx.principal, NetworkPermission.manage);
      if (!(admin && onAllowedNetwork(ctx, access))) throw lockdownError();
    }
  },
};

/**
 * Also called by sign-in, once the person is known and before a session exists. API tokens are
 * held to the allowlist always (they are staff-made keys for programs), requesters only when the
 * tenant says so.
 */
export async function checkNetwork(ctx: RequestContext, access?: TenantAccess): Promise<void> {
  const p = ctx.principal;
  // Vendor support operators too: the workspace's allowlist is the workspace's, whoever comes in.
  if ((p?.kind !== 'user' && p?.kind !== 'token' && p?.kind !== 'support') || !ctx.tenantId) return;
  const a = access ?? (await tenantAccess(ctx));
  if (a.mode === 'off') return;
  if (p.kind === 'user' && p.role === 'requester' && !a.includesRequesters) return;
  if (inRanges(ctx.ip, a.ranges)) return;
  const who = p.kind === 'user' ? { userId: p.userId } : p.kind === 'token' ? { tokenId: p.tokenId } : { operatorId: p.operatorId };
  if (a.mode === 'report') {
    ctx.log.warn('IP allowlist (report only): this request would have been refused', { ip: ctx.ip, ...who });
    return;
  }
  throw new AppError('FORBIDDEN', 'Access from this network is not allowed for your account', { reason: 'network' });
}

function isRefusedInLockdown(ctx: RequestContext, op: OperationInfo): boolean {
  return op.type === 'mutation' && !op.fields.every((f) => ctx.app.operations.has(f, 'lockdownExempt'));
}

const lockdownError = () => new AppError('LOCKDOWN', 'The service desk is in lockdown mode: changes are paused, reading works');

/** Whether changes are paused for this tenant (its own lockdown or the platform's). */
export async function tenantLockdown(ctx: RequestContext): Promise<boolean> {
  if (await platformLockdown(ctx)) return true;
  return ctx.tenantId ? (await tenantAccess(ctx)).lockdown : false;
}
