import {
  type AuditAction,
  type Permission,
  queueMail,
  audit,
  AppError,
  badInput,
  BUILT_IN_ROLES,
  conflict,
  enterTenant,
  Tenant,
  unauthenticated,
  type Principal,
  type RequestContext,
} from '@bulwark/platform-api';
import { UniqueConstraintViolationException, type RequiredEntityData } from '@mikro-orm/core';
import { signedInPerson } from './sessions.service';
import { dummyHash, hashPassword, needsRehash, verifyPassword } from './password';
import { applyNewPassword } from './passwords.service';
import { openLoginChallenge } from './login-challenge';
import { startSession } from './session-start';
import { identitySettings } from './settings';
import { assertNotThrottled, recordFailure } from './throttle';
import { countFailure, isLocked } from './lockout';
import { IdentitySettings, passwordExpired } from './security.entities';
import { Session } from './session.entity';
import type { LoginInput, Me, TenantInfo } from './identity.types';
import { User } from './user.entity';
import { ApiToken } from './api-token.entity';
import { emailAs, phoneAs } from './user-summary.resolver';
import { IdentityAudit } from './identity.audit';
import { organizationForEmail } from './organizations.service';

/** A9: one answer for unknown tenant, unknown user, wrong password or code, and suspended or locked account. */
export const invalidCredentials = () => new AppError('UNAUTHENTICATED', 'Invalid email or password');

export const normalizeEmail = (email: string) => email.trim().toLowerCase();

/** `ctx` may be any holder of an entity manager: plain routes look the tenant up before their transaction. */
export async function tenantIdBySlug(ctx: Pick<RequestContext, 'em'>, slug: string): Promise<string | null> {
  // A SECURITY DEFINER function: the only way to find a tenant before one is set (tenants has RLS).
  const row = await ctx.em
    .getConnection()
    .execute<{ id: string | null }>('select bulwark_tenant_by_slug(?) as id', [slug], 'get', ctx.em.getTransactionContext());
  return row?.id ?? null;
}

/**
 * Password sign-in. A9: every failure answers alike; A10: N failures lock the account for a
 * while (failures during the lock do not extend it, a success resets the count), and each
 * address is throttled per tenant. Failures are kept although the mutation fails (keepingChanges).
 */
export interface LoginResult {
  /** Null while a second factor is still needed. */
  token: string | null;
  expiresAt: Date | null;
  me: Me | null;
  twoFactorRequired: boolean;
  /** The `bwc_` token to send to verifyTwoFactor with a code. */
  challenge: string | null;
}

export async function login(ctx: RequestContext, input: LoginInput): Promise<LoginResult> {
  const { config } = ctx.app;
  const previous = ctx.principal;
  const tenantId = await tenantIdBySlug(ctx, input.tenant.trim().toLowerCase());
  const email = normalizeEmail(input.email).slice(0, 254);
  // Before a person is known, the events name the address that was tried.
  const tried = { type: 'anonymous' as const, id: null, name: email };
  if (tenantId) await enterTenant(ctx, tenantId, { replacePrincipal: true });
  try {
    await assertNotThrottled(ctx, tenantId);
  } catch (e) {
    audit(ctx, IdentityAudit.loginThrottled, { actor: tried, outcome: 'failure', evenIfRolledBack: true });
    throw e;
  }
  const user = tenantId ? await ctx.em.findOne(User, { email }) : null;
  const hash = user?.passwordHash ?? (await dummyHash(config.passwordPepper, config.bcryptCost));
  const ok = await verifyPassword(config.passwordPepper, input.password, hash);
  const locked = !!user && isLocked(ctx, user);
  if (!tenantId || !user || !ok || user.status !== 'active' || locked) {
    if (user && !ok) await countFailure(ctx, user);
    if (!ok) await recordFailure(ctx, tenantId);
    // The client hears one answer (A9); the log says which it was.
    const reason = !user ? 'unknown account' : locked ? 'locked' : !ok ? 'wrong password' : `account ${user.status}`;
    audit(ctx, IdentityAudit.loginFailed, { actor: tried, targetId: user?.id ?? null, outcome: 'failure', details: { reason, step: 'password' } });
    throw invalidCredentials().keepingChanges();
  }

  // SSO enforcement, judged only once the password is known to be right (a wrong one answers as
  // always): the role signs in with SSO only; an owner's break-glass sign-in needs two-factor.
  const policy = passwordSignIn(await identitySettings(ctx), user);
  if (policy === 'sso only' || (policy === 'break-glass' && !user.totpEnabledAt)) {
    const reason = policy === 'sso only' ? 'single sign-on required' : 'break-glass without two-factor';
    audit(ctx, IdentityAudit.loginFailed, { actor: tried, targetId: user.id, outcome: 'failure', details: { reason, step: 'password' } });
    throw new AppError(
      'FORBIDDEN',
      policy === 'sso only'
        ? 'Your workspace signs you in with single sign-on instead of a password: continue with your identity provider'
        : 'Your workspace requires single sign-on; an owner may sign in with a password only with two-factor sign-in turned on',
      { reason: 'sso_required' },
    ).keepingChanges();
  }

  if (needsRehash(hash, config.bcryptCost)) {
    user.passwordHash = await hashPassword(config.passwordPepper, input.password, config.bcryptCost);
  }
  // Two-factor accounts: the password only opens the second step (verifyTwoFactor). The failure
  // count is not reset here but when that step succeeds, so alternating the right password with
  // wrong codes never escapes the lockout (A10).
  if (user.totpEnabledAt) {
    return { token: null, expiresAt: null, me: null, twoFactorRequired: true, challenge: await openLoginChallenge(ctx, tenantId, user) };
  }
  return { ...(await signIn(ctx, tenantId, user, previous)), twoFactorRequired: false, challenge: null };
}

/** How a password sign-in stands with the workspace's SSO enforcement (ssoRequiredRoles). */
export function passwordSignIn(settings: IdentitySettings, user: User): 'allowed' | 'sso only' | 'break-glass' {
  if (!settings.ssoRequiredRoles.includes(user.role)) return 'allowed';
  return user.role === 'owner' ? 'break-glass' : 'sso only';
}

/**
 * How a sign-in was made, when not with a password: single sign-on names its own event (one
 * event per sign-in, F3) and what it records.
 */
export interface SignInVia {
  event: AuditAction;
  /** The event when a request guard (the IP allowlist) refuses the person at this point. */
  failed: AuditAction;
  details: Record<string, unknown>;
}

/**
 * A sign-in succeeded (a password, or a password and then a second factor, or single sign-on):
 * the session starts (session-start.ts) and the rest of the operation acts as the user.
 */
export async function signIn(
  ctx: RequestContext,
  tenantId: string,
  user: User,
  previous: Principal | null,
  via?: SignInVia,
): Promise<{ token: string; expiresAt: Date; me: Me }> {
  const settings = await identitySettings(ctx);
  const mustEnrol = !user.totpEnabledAt && settings.twoFactorRequiredRoles.includes(user.role);
  // Like the session lookup's `restricted`: enrol first, or change an expired password first.
  const restricted = mustEnrol || passwordExpired(settings, user, ctx.app.now());
  const permissions = restricted ? new Set<Permission>() : ((await ctx.app.roles.permissionsOf(ctx, user.role)) ?? new Set<Permission>());
  ctx.principal = { kind: 'user', tenantId, userId: user.id, sessionId: '', role: user.role, name: user.name, permissions };
  // D10: request guards (the IP allowlist) judge the person before any session exists. A refusal
  // answers like a wrong password, so a refused network never learns the password was right.
  try {
    for (const guard of ctx.app.guards) await guard.check(ctx, { type: 'mutation', fields: ['login'] });
  } catch (e) {
    ctx.principal = null;
    ctx.log.warn('sign-in refused by a request guard', { userId: user.id, ip: ctx.ip, reason: (e as Error).message });
    audit(ctx, via ? via.failed : IdentityAudit.loginFailed, {
      actor: { type: 'anonymous', id: null, name: user.email },
      targetId: user.id,
      outcome: 'failure',
      details: { ...via?.details, reason: 'network refused', step: 'network' },
      evenIfRolledBack: true,
    });
    // Single sign-on answers the browser with one sentence whatever the reason, so its caller may
    // keep the guard's own refusal for the audit event; a password sign-in answers as A9 says.
    throw via ? e : invalidCredentials();
  }
  const { token, expiresAt, session } = await startSession(ctx, tenantId, user, previous);
  ctx.principal = { ...ctx.principal, sessionId: session.id };
  if (via) {
    audit(ctx, via.event, { targetId: user.id, details: { ...via.details, sessionId: session.id } });
  } else if (passwordSignIn(settings, user) === 'break-glass') {
    // The owner's way back in when SSO is down: one event that alert rules watch, and every
    // owner is told by mail, so a stolen owner password and device cannot go unnoticed.
    audit(ctx, IdentityAudit.breakGlassSignIn, { targetId: user.id, details: { sessionId: session.id, secondFactor: true } });
    const owners = await ctx.em.find(User, { role: 'owner', status: 'active' }, { fields: ['email'] });
    for (const o of owners) {
      await queueMail(ctx, {
        to: o.email,
        subject: 'Break-glass sign-in to your workspace',
        text: `${user.name} (${user.email}) signed in with a password and two-factor while the workspace requires single sign-on, from ${ctx.ip || 'an unknown address'}. If this was not expected, sign them out everywhere and review the audit log.`,
      });
    }
  } else {
    audit(ctx, IdentityAudit.loginSucceeded, { targetId: user.id, details: { sessionId: session.id, secondFactor: !!user.totpEnabledAt } });
  }
  return { token, expiresAt, me: await me(ctx) };
}

/** B5: the server record goes; replaying the token afterwards is UNAUTHENTICATED. */
export async function logout(ctx: RequestContext): Promise<boolean> {
  if (ctx.principal?.kind === 'support') {
    // A vendor operator's session is the support feature's (a credential of its own kind).
    await ctx.app.authenticator?.signOut?.(ctx);
    ctx.http?.clearSessionCookie();
    return true;
  }
  const p = signedInPerson(ctx);
  await ctx.em.nativeDelete(Session, { id: p.sessionId });
  ctx.http?.clearSessionCookie();
  audit(ctx, IdentityAudit.logout, { targetId: p.userId, details: { sessionId: p.sessionId } });
  return true;
}

/**
 * The caller: a signed-in person, or an API token, which acts as the person who made it (what it
 * writes is authored as them) with its own scope. Its permissions are the token's, and its
 * creator's email and phone are masked unless the token may read people's (D3: one's own address
 * is one's to read; a token is not its creator).
 */
export async function me(ctx: RequestContext): Promise<Me> {
  const p = ctx.principal;
  if (p?.kind === 'support') {
    // A vendor operator under a grant: themselves, with the grant's permissions (no account here).
    return { id: p.operatorId, email: p.email, name: p.name, phone: null, role: 'vendor_support', permissions: [...p.permissions], twoFactorEnabled: true, apiToken: null, user: null };
  }
  if (p?.kind !== 'user' && p?.kind !== 'token') throw unauthenticated();
  const user = await ctx.em.findOneOrFail(User, { id: p.kind === 'user' ? p.userId : p.createdBy });
  const token = p.kind === 'token' ? await ctx.em.findOneOrFail(ApiToken, { id: p.tokenId }, { fields: ['name', 'expiresAt'] }) : null;
  return {
    id: user.id,
    email: emailAs(p, user),
    name: user.name,
    phone: phoneAs(p, { id: user.id, phone: user.phone ?? null }),
    role: user.role,
    permissions: [...p.permissions],
    twoFactorEnabled: !!user.totpEnabledAt,
    apiToken: token ? { id: token.id, name: token.name, expiresAt: token.expiresAt ?? null } : null,
    user,
  };
}

/** Me.tenant: the tenant the user signed in to (RLS and the filter hold it to that one anyway). */
export async function meTenant(ctx: RequestContext, me: Me): Promise<TenantInfo> {
  const tenant = await ctx.em.findOneOrFail(Tenant, { id: me.user?.tenantId ?? ctx.tenantId });
  return { slug: tenant.slug, name: tenant.name };
}

/** Me.twoFactorEnrolmentRequired, Me.passwordExpired and Me.singleSignOnOnly: from the tenant's identity settings (read once per request). */
export async function meSettingsFlags(ctx: RequestContext, me: Me): Promise<{ twoFactorEnrolmentRequired: boolean; passwordExpired: boolean; singleSignOnOnly: boolean }> {
  const { user } = me;
  if (!user) return { twoFactorEnrolmentRequired: false, passwordExpired: false, singleSignOnOnly: false };
  const settings = await identitySettings(ctx);
  return {
    twoFactorEnrolmentRequired: !user.totpEnabledAt && settings.twoFactorRequiredRoles.includes(user.role),
    passwordExpired: passwordExpired(settings, user, ctx.app.now()),
    singleSignOnOnly: passwordSignIn(settings, user) === 'sso only',
  };
}

export interface NewUser {
  email: string;
  name: string;
  role: string;
  password?: string;
  /** A hash made earlier with `hashPassword` (seeds and tests reuse one to save bcrypt time). */
  passwordHash?: string;
  phone?: string | null;
}

export async function createUser(ctx: RequestContext, input: NewUser): Promise<User> {
  if (!(BUILT_IN_ROLES as readonly string[]).includes(input.role)) throw badInput(`Unknown role ${input.role}`, { role: 'unknown role' });
  const email = normalizeEmail(input.email);
  if (!/^[^@\s]+@[^@\s]+$/.test(email) || email.length > 254) throw badInput('Enter an email address', { email: 'invalid' });
  if (await ctx.em.count(User, { email })) throw conflict(`A user with email ${email} already exists`);
  const user = await insertUser(ctx, {
    email,
    name: input.name.trim(),
    role: input.role,
    phone: cleanPhone(input.phone),
    passwordHash: input.passwordHash ?? null,
    passwordChangedAt: input.passwordHash ? ctx.app.now() : null,
    createdAt: ctx.app.now(),
  });
  if (input.password !== undefined) await applyNewPassword(ctx, user, input.password);
  return user;
}

/**
 * The person's row, as every way of making an account makes it (createUser, sign-up, single
 * sign-on, SCIM, and through createUser inbound mail and tickets for a new requester): a new
 * requester whose address is at an organization's domain joins that organization. The callers
 * have checked the rest (role, address, uniqueness) by their own rules.
 */
export async function insertUser(ctx: RequestContext, data: RequiredEntityData<User>): Promise<User> {
  const user = ctx.em.create(User, data);
  if (user.role === 'requester' && user.organizationId == null) user.organizationId = (await organizationForEmail(ctx, user.email))?.id ?? null;
  return user;
}

/** A phone number as people write them (+, digits, spaces, dots, dashes, brackets), or none. */
export function cleanPhone(phone: string | null | undefined): string | null {
  const p = phone?.trim();
  if (!p) return null;
  if (!/^[+]?[0-9 ().-]{4,32}$/.test(p)) throw badInput('Enter a phone number (digits, +, spaces, dots, dashes, brackets)', { phone: 'invalid' });
  return p;
}

export interface NewTenant {
  slug: string;
  name: string;
  adminEmail: string;
  adminPassword?: string;
  adminPasswordHash?: string;
  adminName?: string;
}

/** Creates the tenant the context is set to, with its first owner. Runs in a system context. */
/**
 * The tenant row alone, for the system context's tenant: slug and name checked, a taken slug a
 * CONFLICT. (createTenant adds its settings and first owner; a restore into a new tenant, its copy.)
 */
export async function insertTenant(ctx: RequestContext, input: { slug: string; name: string }): Promise<Tenant> {
  if (!ctx.tenantId || ctx.principal?.kind !== 'system') throw new Error('a tenant is created in a system context for the new tenant');
  const slug = input.slug.trim().toLowerCase();
  if (!/^[a-z0-9][a-z0-9-]{1,62}$/.test(slug)) {
    throw badInput('The slug is 2 to 63 lowercase letters, digits or dashes', { slug: 'invalid' });
  }
  if (!input.name.trim() || input.name.length > 200) throw badInput('The name is 1 to 200 characters', { name: 'invalid' });
  const tenant = ctx.em.create(Tenant, { id: ctx.tenantId, slug, name: input.name.trim(), createdAt: ctx.app.now() });
  try {
    await ctx.em.flush();
  } catch (e) {
    if (e instanceof UniqueConstraintViolationException) throw conflict(`The slug "${slug}" is taken`);
    throw e;
  }
  await ctx.app.tenantCreated(ctx);
  return tenant;
}

export async function createTenant(ctx: RequestContext, input: NewTenant): Promise<{ tenant: Tenant; owner: User }> {
  const tenant = await insertTenant(ctx, input);
  ctx.em.create(IdentitySettings, {}); // after the tenant row: the ORM does not order the two
  const owner = await createUser(ctx, {
    email: input.adminEmail,
    name: input.adminName ?? 'Owner',
    role: 'owner',
    password: input.adminPassword,
    passwordHash: input.adminPasswordHash,
  });
  if (!owner.passwordHash) throw badInput('The first owner needs a password', { adminPassword: 'required' });
  await ctx.em.flush();
  return { tenant, owner };
}
