import { audit, enterTenant, type CredentialKind, type Permission, type RequestContext } from '@bulwark/platform-api';
import { parseTenantToken } from '@bulwark/identity-api';
import { inRanges } from '@bulwark/access-api';
import { supportConfig } from './support.config';
import { SupportAudit } from './support.audit';
import { SupportSession } from './support.entities';

interface SupportRow {
  session_id: string;
  operator_id: string;
  operator_name: string;
  operator_email: string;
  grant_id: string;
  permissions: string[];
  granted_by: string;
  expires_at: Date;
  last_seen_at: Date;
}

/** last_seen_at is written at most this often, so reads stay reads. */
const TOUCH_AFTER_MS = 60_000;

/** Whether the request comes from where operators may work (BULWARK_SUPPORT_NETWORKS; empty: anywhere). */
export function fromSupportNetwork(ctx: RequestContext): boolean {
  const { networks } = supportConfig.of(ctx.app.config);
  return !networks.length || inRanges(ctx.ip, networks);
}

/**
 * `bwo_` operator sessions (H1, H2). Judged afresh on every request, in one round trip: the grant
 * must still be open (not revoked, not expired, its ticket neither solved nor closed), so access
 * ends mid-session the moment any of those happens and the next request is anonymous, hence
 * UNAUTHENTICATED. The grant's permissions are cut to what the admin who granted it holds now.
 */
export const supportCredential: CredentialKind = {
  prefix: 'bwo_',
  async authenticate(ctx: RequestContext) {
    const parsed = ctx.credential && parseTenantToken('bwo_', ctx.credential.token);
    if (!parsed) return;
    if (!fromSupportNetwork(ctx)) {
      ctx.log.warn('vendor support session used from outside the support networks', { ip: ctx.ip });
      return;
    }
    const settings = supportConfig.of(ctx.app.config);
    const now = ctx.app.now();
    const conn = ctx.em.getConnection();
    const trx = ctx.em.getTransactionContext();
    const row = await conn.execute<SupportRow>('select * from bulwark_support_principal(?, ?, ?, ?)', [parsed.tenantId, parsed.hash, now, settings.idleMinutes], 'get', trx);
    if (!row) return;
    await enterTenant(ctx, parsed.tenantId, { alreadySetInTransaction: true });
    // The granting admin as their own session would act now: restricted (2FA to enrol, password
    // expired) holds nothing, suspended or deleted ends the grant's reach.
    const granter = (await ctx.app.authenticator?.principalOf?.(ctx, row.granted_by))?.permissions ?? new Set<Permission>();
    ctx.principal = {
      kind: 'support',
      tenantId: parsed.tenantId,
      operatorId: row.operator_id,
      sessionId: row.session_id,
      name: row.operator_name,
      email: row.operator_email,
      grantId: row.grant_id,
      until: new Date(row.expires_at),
      permissions: new Set(row.permissions.filter((p) => granter.has(p as Permission)) as Permission[]),
    };
    if (now.getTime() - new Date(row.last_seen_at).getTime() > TOUCH_AFTER_MS) {
      // Under RLS in the tenant the lookup entered, by the id it found.
      await conn.execute('update support_sessions set last_seen_at = ? where tenant_id = ? and id = ?', [now, parsed.tenantId, row.session_id], 'run', trx);
    }
  },

  async signOut(ctx: RequestContext) {
    const p = ctx.principal;
    if (p?.kind !== 'support') return;
    await ctx.em.nativeDelete(SupportSession, { tenantId: p.tenantId, id: p.sessionId });
    audit(ctx, SupportAudit.signedOut, { targetId: p.grantId });
  },
};
