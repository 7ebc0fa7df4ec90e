import { audit, queueMail, AppError, badInput, conflict, forbidden, hasPermission, isUuid, notFound, type Permission, type RequestContext } from '@bulwark/platform-api';
import { applyNewPassword, endSessions } from './passwords.service';
import { requireRecentAuth, signedInPerson } from './sessions.service';
import { identitySettings } from './settings';
import { User } from './user.entity';
import { Organization } from './organization.entity';
import { insertUser, normalizeEmail } from './identity.service';
import { OrganizationPermission } from './identity.permissions';
import { organizationById } from './organizations.service';
import { assertNotAbove } from './rank';
import { clearTwoFactor } from './two-factor.service';
import { IdentityAudit } from './identity.audit';

async function target(ctx: RequestContext, id: string): Promise<User> {
  if (!isUuid(id)) throw notFound('User');
  const user = await ctx.em.findOne(User, { id, status: { $ne: 'deleted' } });
  if (!user) throw notFound('User');
  return user;
}

function self(ctx: RequestContext): string {
  return signedInPerson(ctx).userId;
}

/** The last active owner can be neither demoted, suspended nor deleted. */
async function assertNotLastOwner(ctx: RequestContext, user: User) {
  if (user.role === 'owner' && (await ctx.em.count(User, { role: 'owner', status: 'active' })) <= 1) {
    throw new AppError('CONFLICT', 'The workspace must keep at least one active owner');
  }
}

/** B6: a suspended user's sessions end at once; they cannot sign in until reactivated. */
export async function suspendUser(ctx: RequestContext, id: string): Promise<User> {
  const user = await target(ctx, id);
  if (user.id === self(ctx)) throw badInput('You cannot suspend yourself', { id: 'self' });
  await assertNotAbove(ctx, user);
  return suspendAccount(ctx, user);
}

/**
 * Suspension itself, for a caller that has judged who acts by its own rules: SCIM deprovisioning
 * acts for an API token, which has no "self" and whose rank is its creator's (libs/scim). The
 * last active owner stays, the event is this one, and B6 holds: sessions end, API tokens are revoked.
 */
export async function suspendAccount(ctx: RequestContext, user: User): Promise<User> {
  await assertNotLastOwner(ctx, user);
  audit(ctx, IdentityAudit.userSuspended, { targetId: user.id, changes: { status: { before: user.status, after: 'suspended' } } });
  user.status = 'suspended';
  await endSessions(ctx, user);
  return user;
}

export async function reactivateUser(ctx: RequestContext, id: string): Promise<User> {
  return reactivateAccount(ctx, await target(ctx, id));
}

/** Reactivation itself (see suspendAccount): only a suspended person can be reactivated. */
export async function reactivateAccount(ctx: RequestContext, user: User): Promise<User> {
  if (user.status !== 'suspended') throw conflict('Only suspended people can be reactivated');
  audit(ctx, IdentityAudit.userReactivated, { targetId: user.id, changes: { status: { before: user.status, after: 'active' } } });
  user.status = 'active';
  user.failedLogins = 0;
  user.lockedUntil = null;
  return user;
}

/**
 * Deleting a person removes their access and personal data (name, email, password, two-factor
 * secret and recovery codes, sessions) but keeps the row, so tickets they requested or were
 * assigned stay intact and show "Deleted user".
 */
export async function deleteUser(ctx: RequestContext, id: string): Promise<boolean> {
  const user = await target(ctx, id);
  if (user.id === self(ctx)) throw badInput('You cannot delete yourself', { id: 'self' });
  await assertNotAbove(ctx, user);
  return deleteAccount(ctx, user);
}

/** Deletion itself (see suspendAccount and deleteUser): the last active owner stays. */
export async function deleteAccount(ctx: RequestContext, user: User): Promise<boolean> {
  await assertNotLastOwner(ctx, user);
  await endSessions(ctx, user);
  await clearTwoFactor(ctx, user);
  // The event keeps who it was; the row itself forgets (that is the point of deleting).
  audit(ctx, IdentityAudit.userDeleted, { targetId: user.id, details: { name: user.name, email: user.email, role: user.role } });
  user.status = 'deleted';
  user.name = 'Deleted user';
  user.email = `deleted-${user.id}@deleted.invalid`;
  user.phone = null;
  user.passwordHash = null;
  return true;
}

/**
 * Changing a role is sensitive (B8: re-authentication). An admin cannot hand out a role holding
 * a permission they lack, and the last owner keeps the role.
 */
export async function changeUserRole(ctx: RequestContext, id: string, role: string): Promise<User> {
  await requireRecentAuth(ctx);
  const granted = await ctx.app.roles.permissionsOf(ctx, role); // built-in or this tenant's custom role
  if (!granted) throw badInput(`Unknown role ${role}`, { role: 'unknown' });
  const user = await target(ctx, id);
  const mine = ctx.principal?.permissions ?? new Set<Permission>();
  if ([...granted].some((perm) => !mine.has(perm))) throw forbidden();
  await assertNotAbove(ctx, user);
  if (user.role === 'owner' && role !== 'owner') await assertNotLastOwner(ctx, user);
  if (user.role !== role) audit(ctx, IdentityAudit.roleChanged, { targetId: user.id, changes: { role: { before: user.role, after: role } } });
  user.role = role;
  return user;
}

/** Requesters may create their own account only where the tenant allows it. */
export async function signUpRequester(
  ctx: RequestContext,
  input: { tenantId: string | null; email: string; name: string; password: string },
): Promise<boolean> {
  const closed = () => new AppError('FORBIDDEN', 'This workspace does not accept sign-ups');
  if (!input.tenantId) throw closed();
  const settings = await identitySettings(ctx);
  if (!settings.allowRequesterSignup) throw closed();
  const email = normalizeEmail(input.email);
  // The same answer whether or not the address has an account (no enumeration); its owner is told.
  if (await ctx.em.count(User, { email })) {
    await queueMail(ctx, {
      to: email,
      subject: 'Someone tried to sign up with your address',
      text: `Someone tried to create an account with ${email}, which already has one. If it was you, sign in, or use "forgot password".`,
    });
    return true;
  }
  const user = await insertUser(ctx, { email, name: input.name.trim(), role: 'requester', createdAt: ctx.app.now() });
  await applyNewPassword(ctx, user, input.password);
  audit(ctx, IdentityAudit.signedUp, { actor: { type: 'anonymous', id: null, name: email }, targetId: user.id });
  return true;
}

/**
 * An admin changes a person's details; what the input leaves out stays. Their organization needs
 * organizations.manage besides users.manage (D14: refused, not ignored); one of another tenant is
 * NOT_FOUND like one that does not exist.
 */
export async function updateUser(ctx: RequestContext, id: string, input: { organizationId?: string | null }): Promise<User> {
  const user = await target(ctx, id);
  if (input.organizationId !== undefined) {
    if (!hasPermission(ctx.principal, OrganizationPermission.manage)) throw forbidden();
    const before = user.organizationId ? await ctx.em.findOne(Organization, { id: user.organizationId }, { fields: ['name'] }) : null;
    const after = input.organizationId === null ? null : await organizationById(ctx, input.organizationId);
    if ((after?.id ?? null) !== (user.organizationId ?? null)) {
      audit(ctx, IdentityAudit.organizationChanged, {
        targetId: user.id,
        changes: { organization: { before: before?.name ?? null, after: after?.name ?? null } },
        details: { organizationId: after?.id ?? null, previousOrganizationId: user.organizationId ?? null },
      });
      user.organizationId = after?.id ?? null;
    }
  }
  return user;
}
