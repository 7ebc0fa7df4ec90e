import { badInput, type RequestContext } from '@bulwark/platform-api';
import { requireRecentAuth } from '@bulwark/identity-api';
import { limitsConfig, WINDOW_SECONDS, type Budgets } from './limits.config';
import { RateLimitSettings } from './limits.entities';
import { effectiveBudgets, forgetBudgets } from './limits.meter';
import type { RateLimitsInput, RateLimitsView } from './limits.types';

export async function rateLimits(ctx: RequestContext): Promise<RateLimitsView> {
  const cfg = limitsConfig.of(ctx.app.config);
  const row = await ctx.em.findOne(RateLimitSettings, {});
  return {
    current: effectiveBudgets(row, cfg),
    defaults: cfg.defaults,
    maximums: cfg.maximums,
    custom: !!row && (row.perUser != null || row.perToken != null || row.perTenant != null),
    anonymousPerAddress: cfg.anonymousPerAddress,
    windowSeconds: WINDOW_SECONDS,
    enabled: cfg.enabled,
  };
}

/**
 * Sets the workspace's budgets, each from 1 to the platform's maximum (a field error names the
 * bound), or back to the default with null. A security setting: re-authenticated (B8), and audited
 * as a tenant setting change (the entity is audited at flush). Applies at once in this process and
 * within 5 seconds in the others (limits.meter.ts).
 */
export async function updateRateLimits(ctx: RequestContext, input: RateLimitsInput): Promise<RateLimitsView> {
  await requireRecentAuth(ctx);
  const cfg = limitsConfig.of(ctx.app.config);
  const fields: Record<string, string> = {};
  for (const k of ['perUser', 'perToken', 'perTenant'] as (keyof Budgets)[]) {
    const v = input[k];
    if (v == null) continue;
    if (v < 1 || v > cfg.maximums[k]) fields[k] = `from 1 to ${cfg.maximums[k]} points per minute (the platform's maximum)`;
  }
  if (Object.keys(fields).length) throw badInput('Some limits are out of range', fields);
  const row = (await ctx.em.findOne(RateLimitSettings, {})) ?? ctx.em.create(RateLimitSettings, {});
  row.perUser = input.perUser ?? null;
  row.perToken = input.perToken ?? null;
  row.perTenant = input.perTenant ?? null;
  row.updatedAt = ctx.app.now();
  await ctx.em.flush();
  forgetBudgets(ctx.tenantId as string);
  return rateLimits(ctx);
}
