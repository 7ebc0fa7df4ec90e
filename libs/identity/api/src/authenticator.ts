import { enterTenant, type Authenticator, type Principal, type RequestContext } from '@bulwark/platform-api';
import type { Permission } from '@bulwark/platform-api';
import { passwordExpired } from './security.entities';
import { parseSessionToken, parseTenantToken } from './session-token';
import { identitySettings } from './settings';
import { User } from './user.entity';

interface PrincipalRow {
  session_id: string;
  user_id: string;
  role: string;
  user_name: string;
  last_seen_at: Date;
  /** The role requires two-factor sign-in and the person has not set it up. */
  restricted: boolean;
}

/** last_seen_at is written at most this often, so reads stay reads. */
const TOUCH_AFTER_MS = 60_000;

/**
 * Session cookie or bearer token → principal and tenant, inside the operation's transaction.
 * A token that finds nothing leaves the request anonymous: rules then answer UNAUTHENTICATED.
 */
export const sessionAuthenticator: Authenticator = {
  async authenticate(ctx: RequestContext) {
    if (!ctx.credential) return;
    if (ctx.credential.token.startsWith('bwt_')) return authenticateApiToken(ctx);
    const parsed = parseSessionToken(ctx.credential.token);
    if (!parsed) return;
    const now = ctx.app.now();
    const conn = ctx.em.getConnection();
    const trx = ctx.em.getTransactionContext();
    const row = await conn.execute<PrincipalRow>(
      'select * from bulwark_session_principal(?, ?, ?)',
      [parsed.tenantId, parsed.hash, now],
      'get',
      trx,
    );
    if (!row) return;
    await enterTenant(ctx, parsed.tenantId, { alreadySetInTransaction: true });
    ctx.principal = {
      kind: 'user',
      tenantId: parsed.tenantId,
      userId: row.user_id,
      sessionId: row.session_id,
      role: row.role,
      name: row.user_name,
      // Built-in roles cost nothing; a custom role is one read per request (access feature). A
      // person who must enrol in two-factor sign-in first holds no permission until they do.
      permissions: row.restricted ? new Set() : ((await ctx.app.roles.permissionsOf(ctx, row.role)) ?? new Set()),
    };
    if (now.getTime() - new Date(row.last_seen_at).getTime() > TOUCH_AFTER_MS) {
      // RLS-scoped like everything else in the transaction (the tenant is set), and naming it routes it.
      await conn.execute('update sessions set last_seen_at = ? where tenant_id = ? and id = ?', [now, parsed.tenantId, row.session_id], 'run', trx);
    }
  },

  /**
   * A one-time link acts as its maker, judged as their session would be now: a suspended or
   * deleted maker's links stop (like their sessions and tokens, B6), and a restricted one holds no
   * permission. No session is involved, hence no session id.
   */
  async principalOf(ctx: RequestContext, userId: string): Promise<Principal | null> {
    const user = await ctx.em.findOne(User, { id: userId, status: 'active' });
    if (!user || !ctx.tenantId) return null;
    const settings = await identitySettings(ctx);
    const restricted = (!user.totpEnabledAt && settings.twoFactorRequiredRoles.includes(user.role)) || passwordExpired(settings, user, ctx.app.now());
    const permissions = restricted ? new Set<Permission>() : ((await ctx.app.roles.permissionsOf(ctx, user.role)) ?? new Set<Permission>());
    return { kind: 'user', tenantId: ctx.tenantId, userId: user.id, sessionId: '', role: user.role, name: user.name, permissions };
  },
};

interface TokenRow {
  token_id: string;
  name: string;
  permissions: string[];
  created_by: string;
  creator_role: string;
  last_used_at: Date | null;
  restricted: boolean;
}

/**
 * `Authorization: Bearer bwt_…`: an API token acts with its scope cut to what its creator's role
 * holds now (a demoted creator's tokens shrink with them; a suspended or deleted one's stop).
 * Never from a cookie: a token is for programs, not browsers.
 */
async function authenticateApiToken(ctx: RequestContext): Promise<void> {
  if (ctx.credential?.source !== 'bearer') return;
  const parsed = parseTenantToken('bwt_', ctx.credential.token);
  if (!parsed) return;
  const now = ctx.app.now();
  const conn = ctx.em.getConnection();
  const trx = ctx.em.getTransactionContext();
  const row = await conn.execute<TokenRow>('select * from bulwark_token_principal(?, ?, ?)', [parsed.tenantId, parsed.hash, now], 'get', trx);
  if (!row) return;
  await enterTenant(ctx, parsed.tenantId, { alreadySetInTransaction: true });
  const creator = row.restricted ? new Set<Permission>() : ((await ctx.app.roles.permissionsOf(ctx, row.creator_role)) ?? new Set<Permission>());
  ctx.principal = {
    kind: 'token',
    tenantId: parsed.tenantId,
    tokenId: row.token_id,
    name: row.name,
    createdBy: row.created_by,
    permissions: new Set(row.permissions.filter((p) => creator.has(p as Permission)) as Permission[]),
  };
  if (!row.last_used_at || now.getTime() - new Date(row.last_used_at).getTime() > TOUCH_AFTER_MS) {
    // Raw SQL under RLS (the lookup set this tenant), by the id the lookup found: safe like the session touch.
    await conn.execute('update api_tokens set last_used_at = ?, last_used_ip = ? where tenant_id = ? and id = ?', [now, ctx.ip || null, parsed.tenantId, row.token_id], 'run', trx);
  }
}
