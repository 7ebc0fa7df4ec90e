import { defineApiPlugin, DEMO, type RequestContext } from '@bulwark/platform-api';
import { identityConfig } from './identity.config';
import { sessionAuthenticator } from './authenticator';
import { hashingGate } from './hashing.gate';
import { aloneGate } from './alone.gate';
import { IdentityAudit } from './identity.audit';
import { identityCli } from './identity.cli';
import { Migration20261207000100Identity } from './identity.migration';
import { Migration20261207000600SsoPolicy } from './sso-policy.migration';
import { ApiToken } from './api-token.entity';
import { ApiTokenResolver } from './api-tokens.resolver';
import { OrganizationPermission, SecurityPermission, TokenPermission, UserPermission } from './identity.permissions';
import { IdentityResolver, MeResolver } from './identity.resolver';
import { SecurityResolver } from './security.resolver';
import { AdminResolver } from './admin.resolver';
import { UserSummaryResolver } from './user-summary.resolver';
import { AuthToken, IdentitySettings, PasswordHistory } from './security.entities';
import { identityRules } from './identity.rules';
import { createTenant, createUser } from './identity.service';
import { Session } from './session.entity';
import { LoginChallenge, RecoveryCode } from './two-factor.entities';
import { TwoFactorResolver } from './two-factor.resolver';
import { User } from './user.entity';
import { Organization } from './organization.entity';
import { OrganizationFieldsResolver, OrganizationResolver } from './organizations.resolver';
import { Migration20261207001310Organizations } from './organizations.migration';

async function seedDemo(ctx: RequestContext) {
  const { owner } = await createTenant(ctx, {
    slug: DEMO.tenant,
    name: DEMO.tenantName,
    adminEmail: DEMO.adminEmail,
    adminName: 'Ada Admin',
    adminPassword: DEMO.password,
  });
  const passwordHash = owner.passwordHash as string;
  await createUser(ctx, { email: DEMO.agentEmail, name: 'Alan Agent', role: 'agent', passwordHash });
  // The requester's company: created first, so the requester joins it by their address's domain.
  ctx.em.create(Organization, { name: 'Demo Customers Ltd', domains: [DEMO.requesterEmail.split('@')[1]], createdAt: ctx.app.now() });
  await createUser(ctx, { email: DEMO.requesterEmail, name: 'Rita Requester', role: 'requester', passwordHash, phone: '+1 555 0100 4477' });
  await ctx.em.flush();
}

export const identityPlugin = defineApiPlugin({
  name: 'identity',
  permissions: [UserPermission, SecurityPermission, TokenPermission, OrganizationPermission],
  entities: [User, Session, IdentitySettings, PasswordHistory, AuthToken, RecoveryCode, LoginChallenge, ApiToken, Organization],
  resolvers: [IdentityResolver, MeResolver, SecurityResolver, AdminResolver, TwoFactorResolver, UserSummaryResolver, ApiTokenResolver, OrganizationResolver, OrganizationFieldsResolver],
  rules: identityRules,
  auditActions: [IdentityAudit],
  audited: [
    { entity: IdentitySettings, type: 'IdentitySettings', update: IdentityAudit.settingsChanged, ignore: ['updatedAt'] },
    // Who is in one is recorded per person (organizationChanged, users-admin.service.ts).
    {
      entity: Organization,
      type: 'Organization',
      create: IdentityAudit.organizationCreated,
      update: IdentityAudit.organizationUpdated,
      delete: IdentityAudit.organizationDeleted,
      ignore: ['createdAt'],
    },
  ],
  migrations: [
    { name: 'Migration20261207000100Identity', class: Migration20261207000100Identity },
    { name: 'Migration20261207000600SsoPolicy', class: Migration20261207000600SsoPolicy },
    { name: 'Migration20261207001310Organizations', class: Migration20261207001310Organizations },
  ],
  authenticator: sessionAuthenticator,
  gates: [aloneGate, hashingGate],
  // Signing in and out goes on during lockdown, so people can read and admins can act. Fields
  // that move to the tenant their input names, or check a password, run alone (alone.gate.ts);
  // those that compute a bcrypt hash queue for it (hashing.gate.ts).
  operations: {
    login: { runsAlone: true, hashesPassword: true, lockdownExempt: true },
    verifyTwoFactor: { runsAlone: true, lockdownExempt: true },
    logout: { lockdownExempt: true },
    reauthenticate: { runsAlone: true, hashesPassword: true, lockdownExempt: true },
    requestPasswordReset: { runsAlone: true },
    resetPassword: { runsAlone: true, hashesPassword: true },
    acceptInvitation: { runsAlone: true, hashesPassword: true },
    signUp: { runsAlone: true, hashesPassword: true },
    changePassword: { hashesPassword: true },
  },
  seedDemo,
  cli: identityCli,
  config: identityConfig,
});

export { User } from './user.entity';
export { Session } from './session.entity';
export { UserSummary, toSummary } from './identity.types';
export { userSummaries } from './user.loader';
export { emailAs, phoneAs, maskEmail } from './user-summary.resolver';
export { createTenant, insertTenant, createUser, insertUser, normalizeEmail, signIn, tenantIdBySlug, type NewTenant, type NewUser, type SignInVia } from './identity.service';
export { endSessions } from './passwords.service';
export { assertNotThrottled, recordFailure as recordSignInFailure } from './throttle';
export { suspendAccount, reactivateAccount, deleteAccount } from './users-admin.service';
export { hashPassword, verifyPassword } from './password';
export { encryptTotpSecret, decryptTotpSecret, rebindTotpSecret, matchTotp, newTotpSecret, otpauthUrl, normalizeCode } from './totp';
export { dummyHash } from './password';
export { Me } from './identity.types';
export { hashToken, newSessionToken, parseSessionToken, newTenantToken, parseTenantToken } from './session-token';
export { IdentityAudit } from './identity.audit';
export { OrganizationPermission, SecurityPermission, TokenPermission, UserPermission } from './identity.permissions';
// Organizations, for tickets (Ticket.organization, the organization filter) and other channels.
export { Organization } from './organization.entity';
export { organizationSummaries, organizationForEmail, domainOf, type OrganizationSummary, type OrganizationRow } from './organizations.service';
export { OrganizationView } from './organizations.types';
export { IdentitySettings } from './security.entities';
export { requireRecentAuth } from './sessions.service';
