import { audit, badInput, forbidden, isUuid, notFound, type Permission, type RequestContext } from '@bulwark/platform-api';
import { ApiToken } from './api-token.entity';
import { IdentityAudit } from './identity.audit';
import { newTenantToken } from './session-token';
import { requireRecentAuth, signedInPerson } from './sessions.service';

export const MAX_TOKEN_DAYS = 365;

export interface NewApiToken {
  name: string;
  permissions: string[];
  /** Days until it stops working; null: until revoked. */
  expiresInDays?: number | null;
}

/**
 * B8: needs a recent re-authentication. The scope is a subset of what the creator holds (nobody
 * hands out what they lack); at every use it is cut again to what the creator holds then.
 * Returns the token once; only its hash is kept.
 */
export async function createApiToken(ctx: RequestContext, input: NewApiToken): Promise<{ token: string; apiToken: ApiToken }> {
  const p = signedInPerson(ctx);
  await requireRecentAuth(ctx);
  const name = input.name.trim();
  if (!name || name.length > 120) throw badInput('Give the token a name (1 to 120 characters)', { name: 'invalid' });
  const known = new Set(ctx.app.catalog.definitions.map((d) => d.key as string));
  const scope = [...new Set(input.permissions)];
  if (!scope.length) throw badInput('Choose at least one permission', { permissions: 'empty' });
  if (scope.some((x) => !known.has(x))) throw badInput('Unknown permission', { permissions: 'unknown' });
  if (scope.some((x) => !p.permissions.has(x as Permission))) throw forbidden();
  const days = input.expiresInDays ?? null;
  if (days !== null && (!Number.isInteger(days) || days < 1 || days > MAX_TOKEN_DAYS)) {
    throw badInput(`Expiry is 1 to ${MAX_TOKEN_DAYS} days, or none`, { expiresInDays: 'out of range' });
  }
  const now = ctx.app.now();
  const { token, hash } = newTenantToken('bwt_', p.tenantId);
  const apiToken = ctx.em.create(ApiToken, {
    name,
    tokenHash: hash,
    permissions: scope,
    createdBy: p.userId,
    createdAt: now,
    expiresAt: days === null ? null : new Date(now.getTime() + days * 86_400_000),
  });
  audit(ctx, IdentityAudit.tokenCreated, { targetId: apiToken.id, details: { name, permissions: scope, expiresAt: apiToken.expiresAt?.toISOString() ?? null } });
  return { token, apiToken };
}

export async function listApiTokens(ctx: RequestContext): Promise<ApiToken[]> {
  return ctx.em.find(ApiToken, {}, { orderBy: { createdAt: 'desc' } });
}

/** Ends a token at once (its next request is UNAUTHENTICATED). Revoking twice is a no-op. */
export async function revokeApiToken(ctx: RequestContext, id: string): Promise<ApiToken> {
  const t = isUuid(id) ? await ctx.em.findOne(ApiToken, { id }) : null;
  if (!t) throw notFound('API token');
  if (!t.revokedAt) {
    t.revokedAt = ctx.app.now();
    audit(ctx, IdentityAudit.tokenRevoked, { targetId: t.id, details: { name: t.name } });
  }
  return t;
}
