import {
  AppError,
  badInput,
  BUILT_IN_ROLES,
  conflict,
  enterTenant,
  Tenant,
  unauthenticated,
  type RequestContext,
} from '@bulwark/platform-api';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { dummyHash, hashPassword, needsRehash, verifyPassword } from './password';
import { applyNewPassword } from './passwords.service';
import { newSessionToken } from './session-token';
import { identitySettings } from './settings';
import { assertNotThrottled, recordFailure } from './throttle';
import { IdentitySettings } from './security.entities';
import { Session } from './session.entity';
import type { LoginInput, Me } from './identity.types';
import { User } from './user.entity';

/** A9: one answer for unknown tenant, unknown user, wrong password and suspended account. */
const invalidCredentials = () => new AppError('UNAUTHENTICATED', 'Invalid email or password');

export const normalizeEmail = (email: string) => email.trim().toLowerCase();

export async function tenantIdBySlug(ctx: RequestContext, slug: string): Promise<string | null> {
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
export async function login(ctx: RequestContext, input: LoginInput): Promise<{ token: string; expiresAt: Date; me: Me }> {
  const { config, catalog } = ctx.app;
  const previous = ctx.principal;
  const tenantId = await tenantIdBySlug(ctx, input.tenant.trim().toLowerCase());
  await assertNotThrottled(ctx, tenantId);
  let user: User | null = null;
  if (tenantId) {
    await enterTenant(ctx, tenantId, { replacePrincipal: true });
    user = await ctx.em.findOne(User, { email: normalizeEmail(input.email) });
  }
  const now = ctx.app.now();
  const hash = user?.passwordHash ?? (await dummyHash(config.passwordPepper, config.bcryptCost));
  const ok = await verifyPassword(config.passwordPepper, input.password, hash);
  const locked = !!user?.lockedUntil && user.lockedUntil > now;
  if (!tenantId || !user || !ok || user.status !== 'active' || locked) {
    if (user && !ok && !locked) {
      const settings = await identitySettings(ctx);
      user.failedLogins += 1;
      if (user.failedLogins >= settings.lockoutThreshold) {
        user.lockedUntil = new Date(now.getTime() + settings.lockoutMinutes * 60_000);
        user.failedLogins = 0;
      }
    }
    if (!ok) await recordFailure(ctx, tenantId);
    throw invalidCredentials().keepingChanges();
  }

  const settings = await identitySettings(ctx);
  user.failedLogins = 0;
  user.lockedUntil = null;
  if (needsRehash(hash, config.bcryptCost)) {
    user.passwordHash = await hashPassword(config.passwordPepper, input.password, config.bcryptCost);
  }
  const { token, hash: tokenHash } = newSessionToken(tenantId);
  const expiresAt = new Date(now.getTime() + settings.sessionAbsoluteHours * 3600_000);
  const session = ctx.em.create(Session, {
    user,
    tokenHash,
    createdAt: now,
    lastSeenAt: now,
    expiresAt,
    ip: ctx.ip,
    userAgent: ctx.userAgent,
  });
  // B2: signing in again replaces the session the request came with (same tenant; a session of
  // another tenant is out of this transaction's reach and simply stops being sent).
  if (previous?.kind === 'user' && previous.tenantId === tenantId) {
    await ctx.em.nativeDelete(Session, { id: previous.sessionId });
  }
  ctx.principal = {
    kind: 'user',
    tenantId,
    userId: user.id,
    sessionId: session.id,
    role: user.role,
    permissions: catalog.forRole(user.role),
  };
  ctx.http?.setSessionCookie(token, settings.sessionAbsoluteHours * 3600);
  return { token, expiresAt, me: await me(ctx) };
}

/** B5: the server record goes; replaying the token afterwards is UNAUTHENTICATED. */
export async function logout(ctx: RequestContext): Promise<boolean> {
  const p = ctx.principal;
  if (p?.kind !== 'user') throw unauthenticated();
  await ctx.em.nativeDelete(Session, { id: p.sessionId });
  ctx.http?.clearSessionCookie();
  return true;
}

export async function me(ctx: RequestContext): Promise<Me> {
  const p = ctx.principal;
  if (p?.kind !== 'user') throw unauthenticated();
  const [user, tenant] = await Promise.all([
    ctx.em.findOneOrFail(User, { id: p.userId }),
    ctx.em.findOneOrFail(Tenant, { id: p.tenantId }),
  ]);
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    role: user.role,
    tenant: { slug: tenant.slug, name: tenant.name },
    permissions: [...p.permissions],
  };
}

export interface NewUser {
  email: string;
  name: string;
  role: string;
  password?: string;
  /** A hash made earlier with `hashPassword` (seeds and tests reuse one to save bcrypt time). */
  passwordHash?: string;
}

export async function createUser(ctx: RequestContext, input: NewUser): Promise<User> {
  if (!(BUILT_IN_ROLES as readonly string[]).includes(input.role)) throw badInput(`Unknown role ${input.role}`, { role: 'unknown role' });
  const email = normalizeEmail(input.email);
  if (!/^[^@\s]+@[^@\s]+$/.test(email) || email.length > 254) throw badInput('Enter an email address', { email: 'invalid' });
  if (await ctx.em.count(User, { email })) throw conflict(`A user with email ${email} already exists`);
  const user = ctx.em.create(User, {
    email,
    name: input.name.trim(),
    role: input.role,
    passwordHash: input.passwordHash ?? null,
    passwordChangedAt: input.passwordHash ? ctx.app.now() : null,
    createdAt: ctx.app.now(),
  });
  if (input.password !== undefined) await applyNewPassword(ctx, user, input.password);
  return user;
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
export async function createTenant(ctx: RequestContext, input: NewTenant): Promise<{ tenant: Tenant; owner: User }> {
  if (!ctx.tenantId || ctx.principal?.kind !== 'system') throw new Error('createTenant runs in a system context for the new tenant');
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
