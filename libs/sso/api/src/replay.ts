import { currentTenant, type RequestContext } from '@bulwark/platform-api';
import type { SsoConnection } from './sso.entities';
import { SsoFailure } from './federation.service';

/**
 * Accepts a one-time value (a JWT's `jti`, a SAML assertion's ID, a logout token's `jti`) once:
 * false when it was seen before. One INSERT … ON CONFLICT DO NOTHING, so of two requests racing
 * with the same value exactly one wins, across processes. Raw SQL (the ORM has no "insert unless
 * present" that reports which): it names the tenant, and RLS holds it there. Expired entries are
 * swept at the same time, within the tenant.
 */
export async function firstUse(ctx: RequestContext, connection: SsoConnection, kind: 'jwt' | 'saml' | 'logout', key: string, expiresAt: Date): Promise<boolean> {
  // A value the cache cannot hold is a refusal, not a server error (E9).
  if (!key || key.length > 512) throw new SsoFailure(`the one-time id (jti or assertion ID) is ${key ? 'longer than 512 characters' : 'empty'}`);
  const tenantId = currentTenant(ctx.em);
  const conn = ctx.em.getConnection();
  const trx = ctx.em.getTransactionContext();
  await conn.execute('delete from sso_replay_cache where tenant_id = ? and expires_at < ?', [tenantId, ctx.app.now()], 'run', trx);
  const rows = await conn.execute<{ key: string }[]>(
    'insert into sso_replay_cache (tenant_id, connection_id, kind, key, expires_at) values (?, ?, ?, ?, ?) on conflict do nothing returning key',
    [tenantId, connection.id, kind, key, expiresAt],
    'all',
    trx,
  );
  return rows.length === 1;
}
