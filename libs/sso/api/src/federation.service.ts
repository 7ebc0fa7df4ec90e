import { AppError, audit, currentTenant, type Permission, type RequestContext } from '@bulwark/platform-api';
import { endSessions, IdentityAudit, insertUser, normalizeEmail, parseSessionToken, Session, signIn, User } from '@bulwark/identity-api';
import { syncMemberships } from '@bulwark/tickets-api';
import { mapClaims } from './mapping';
import { SsoAudit } from './sso.audit';
import { SsoIdentity, type SsoConnection } from './sso.entities';

/** What a provider asserted about a person, once its signature and conditions are checked. */
export interface FederatedPerson {
  /** The provider's stable id for the person (OIDC `sub`, SAML NameID, JWT `external_id`). */
  subject: string;
  email: string | null;
  /** The provider vouches for the email (OIDC `email_verified`; SAML and JWT: the IdP is the authority). */
  emailVerified: boolean;
  name: string | null;
  /** Every claim or attribute, for role and group mapping. */
  claims: Record<string, unknown>;
  /** When the provider last authenticated the person (OIDC `auth_time`, SAML AuthnInstant), if it says. */
  authenticatedAt?: Date | null;
}

/**
 * Why a federated sign-in was refused: `reason` goes to the audit event and the log only; the
 * browser hears one sentence (`SSO_FAILED`), so a probe learns nothing about accounts. A `quiet`
 * refusal (a connection id that is nobody's) is logged, not audited: anyone can make those up,
 * and the audit log is append-only.
 */
export class SsoFailure extends Error {
  constructor(
    readonly reason: string,
    readonly userId: string | null = null,
    readonly quiet = false,
  ) {
    super(reason);
  }
}

/** The email's domain is one the connection serves (its `domains`, which an admin set). */
const servesDomain = (connection: SsoConnection, email: string) => connection.domains.includes(email.split('@')[1] ?? '');

/**
 * Whether the workspace takes changes now: the request guards judge a write that no lockdown
 * exempts (D11). Signing in goes on in lockdown; creating, linking or re-roling accounts does not.
 */
async function writesAllowed(ctx: RequestContext): Promise<boolean> {
  try {
    for (const guard of ctx.app.guards) await guard.check(ctx, { type: 'mutation', fields: ['ssoProvisioning'] });
    return true;
  } catch (e) {
    if (e instanceof AppError && e.code === 'LOCKDOWN') return false;
    throw e;
  }
}

/**
 * A connection signs in only people whose role holds no more than whoever last saved it holds
 * (`editorPermissions`): an admin cannot set up a provider of their own and sign in as an owner
 * through it, nor hand out through it a role they could not give directly.
 */
async function assertWithinEditor(ctx: RequestContext, connection: SsoConnection, role: string, userId: string | null): Promise<void> {
  const theirs = (await ctx.app.roles.permissionsOf(ctx, role)) ?? new Set<Permission>();
  const editor = new Set(connection.editorPermissions);
  // Owners are above everyone by rank, whatever the permission catalog holds.
  if ((role === 'owner' && connection.editorRole !== 'owner') || [...theirs].some((p) => !editor.has(p))) {
    throw new SsoFailure(`the role ${role} holds rights that whoever last saved this connection does not: someone who holds them must save it first`, userId);
  }
}

/**
 * The end of every federated sign-in (OIDC, SAML, JWT). C4: the person is found by
 * (connection, subject), never by email alone. A first sign-in links to an existing account only
 * where the connection allows it, the provider vouches for the email and the email's domain is
 * one the connection serves; otherwise it provisions a new account (just in time) where allowed,
 * for a verified email of the connection's domains (if it names any). Role and groups follow the
 * mapping; nobody above the connection's last editor signs in through it; the request guards
 * (the IP allowlist, D10) judge the person before a session starts. In lockdown (D11), people
 * with an identity sign in, and nothing else changes.
 */
export async function signInFederated(ctx: RequestContext, connection: SsoConnection, person: FederatedPerson, opts: { reauth?: boolean } = {}) {
  const tenantId = currentTenant(ctx.em);
  const now = ctx.app.now();
  const subject = person.subject;
  if (!subject) throw new SsoFailure('the provider named no subject');
  if (subject.length > 255) throw new SsoFailure('the subject is longer than 255 characters');
  const email = person.email ? normalizeEmail(person.email) : null;
  const writable = await writesAllowed(ctx);
  let identity = await ctx.em.findOne(SsoIdentity, { connection, subject }, { populate: ['user'] });
  let user: User;
  if (identity) {
    user = identity.user;
  } else {
    if (!writable) throw new SsoFailure('the workspace is in lockdown: single sign-on creates and links no accounts until it ends');
    if (!email || !/^[^@\s]+@[^@\s]+$/.test(email) || email.length > 254) throw new SsoFailure('the provider sent no usable email for a first sign-in');
    const existing = await ctx.em.findOne(User, { email, status: { $ne: 'deleted' } });
    if (existing) {
      if (!connection.linkByEmail) throw new SsoFailure('an account with this email exists and the connection does not link accounts by email', existing.id);
      if (!person.emailVerified) throw new SsoFailure('the provider did not verify the email, so it cannot link an existing account', existing.id);
      if (!servesDomain(connection, email)) throw new SsoFailure("the email's domain is not one the connection serves, so it cannot link an existing account", existing.id);
      if (await ctx.em.count(SsoIdentity, { connection, user: existing })) {
        throw new SsoFailure('the account is already linked to another identity at this provider', existing.id);
      }
      user = existing;
      audit(ctx, SsoAudit.identityLinked, { actor: { type: 'anonymous', id: null, name: email }, targetId: user.id, details: { connection: connection.id, subject } });
    } else {
      if (!connection.provisionUsers) throw new SsoFailure('no account for this person and the connection does not create accounts');
      if (!person.emailVerified) throw new SsoFailure('the provider did not verify the email, so no account is made with it');
      if (connection.domains.length && !servesDomain(connection, email)) throw new SsoFailure("the email's domain is not one the connection serves");
      const role = mapClaims(connection.mapping, person.claims).role ?? connection.defaultRole;
      user = await insertUser(ctx, { email, name: (person.name ?? email.split('@')[0]).trim().slice(0, 200) || email, role, createdAt: now });
      audit(ctx, SsoAudit.userProvisioned, { actor: { type: 'anonymous', id: null, name: email }, targetId: user.id, details: { connection: connection.id, subject, role } });
    }
    identity = ctx.em.create(SsoIdentity, { connection, subject, user, email, createdAt: now, lastSignInAt: now });
  }
  if (user.status !== 'active') throw new SsoFailure(`account ${user.status}`, user.id);
  if (writable) {
    await applyMapping(ctx, connection, user, person.claims);
    identity.lastSignInAt = now;
    if (email) identity.email = email;
    await ctx.em.flush();
  }
  // One check covers them all: a linked, provisioned or re-mapped person's role is `user.role`
  // now, and a refusal rolls back the link, the account and the mapping with it.
  await assertWithinEditor(ctx, connection, user.role, user.id);
  const previous = await previousSession(ctx, tenantId);
  const fresh = !!opts.reauth && !!person.authenticatedAt && ctx.app.now().getTime() - person.authenticatedAt.getTime() <= 5 * 60_000;
  const result = await signIn(ctx, tenantId, user, previous, {
    event: SsoAudit.signedIn,
    failed: SsoAudit.signInFailed,
    details: { connection: connection.id, kind: connection.kind, ...(opts.reauth ? { reauthenticated: fresh } : {}) },
  });
  // B8: the provider asked the person again just now, as a password confirmation would: the new
  // session counts as re-authenticated for five minutes (the caller checked the provider's time).
  if (fresh && ctx.principal?.kind === 'user') await ctx.em.nativeUpdate(Session, { id: ctx.principal.sessionId }, { reauthAt: ctx.app.now() });
  return result;
}

/**
 * Role and groups as the provider's claims say, on every sign-in. An owner's role is never
 * changed by a provider (owners are made in Bulwark), nor is one given: a mapping cannot name it.
 */
async function applyMapping(ctx: RequestContext, connection: SsoConnection, user: User, claims: Record<string, unknown>) {
  const mapped = mapClaims(connection.mapping, claims);
  if (mapped.role && user.role !== 'owner' && user.role !== mapped.role && (await ctx.app.roles.permissionsOf(ctx, mapped.role))) {
    audit(ctx, IdentityAudit.roleChanged, {
      actor: { type: 'system', id: null, name: `single sign-on: ${connection.name}` },
      targetId: user.id,
      changes: { role: { before: user.role, after: mapped.role } },
    });
    user.role = mapped.role;
  }
  if (connection.mapping.groupClaim && connection.mapping.groups.length) {
    await ctx.em.flush(); // a new user's row exists before memberships name it
    await syncMemberships(ctx, user.id, new Set(mapped.groupIds), connection.mapping.groups.map((g) => g.groupId));
  }
}

/**
 * The session the browser came with, if it is one of this tenant's: signing in again replaces it
 * (B2). A session of another tenant is left alone (out of this transaction's reach).
 */
async function previousSession(ctx: RequestContext, tenantId: string) {
  const token = ctx.credential?.token;
  if (!token || !ctx.app.authenticator) return null;
  if (parseSessionToken(token)?.tenantId !== tenantId) return null;
  await ctx.app.authenticator.authenticate(ctx);
  const p = ctx.principal;
  ctx.principal = null;
  return p;
}

/**
 * The provider signed the person out (OIDC back-channel logout, SAML single logout): every
 * session of theirs ends and their API tokens are revoked, at once (like "sign out everywhere").
 */
export async function logoutFederated(ctx: RequestContext, connection: SsoConnection, subject: string, via: string): Promise<boolean> {
  const identity = await ctx.em.findOne(SsoIdentity, { connection, subject }, { populate: ['user'] });
  if (!identity) return false;
  const ended = await endSessions(ctx, identity.user);
  audit(ctx, SsoAudit.loggedOutByProvider, {
    actor: { type: 'system', id: null, name: `identity provider: ${connection.name}` },
    targetId: identity.user.id,
    details: { connection: connection.id, via, sessionsEnded: ended },
  });
  return true;
}
