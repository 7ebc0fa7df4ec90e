import { can, isAuthenticated, publicAccess, reachable } from '@bulwark/platform-api';
import { OrganizationPermission, SecurityPermission, TokenPermission, UserPermission } from './identity.permissions';

export const identityRules = {
  Query: {
    me: isAuthenticated,
    users: can(UserPermission.read),
    identitySettings: can(SecurityPermission.manage),
    passwordPolicy: isAuthenticated,
    mySessions: isAuthenticated,
    apiTokens: can(TokenPermission.manage),
    organizations: can(OrganizationPermission.read),
    organization: can(OrganizationPermission.read),
  },
  Mutation: {
    login: publicAccess,
    logout: isAuthenticated,
    changePassword: isAuthenticated,
    updateMyProfile: isAuthenticated,
    // Anyone may ask: the answer is the same for every email (A13); links are single-use secrets.
    requestPasswordReset: publicAccess,
    resetPassword: publicAccess,
    acceptInvitation: publicAccess,
    inviteUser: can(UserPermission.manage),
    unlockUser: can(UserPermission.manage),
    updateIdentitySettings: can(SecurityPermission.manage),
    revokeSession: isAuthenticated,
    revokeOtherSessions: isAuthenticated,
    reauthenticate: isAuthenticated,
    signOutUser: can(UserPermission.manage),
    signOutEveryone: can(SecurityPermission.manage),
    suspendUser: can(UserPermission.manage),
    reactivateUser: can(UserPermission.manage),
    deleteUser: can(UserPermission.manage),
    changeUserRole: can(UserPermission.manage),
    // Refused unless the tenant allows sign-ups; same answer for known and unknown emails.
    signUp: publicAccess,
    // Two-factor sign-in, one's own. Starting an enrolment, turning it off and new recovery codes
    // need a recent re-authentication (B8, checked in the service); confirming needs the secret
    // that only the re-authenticated start revealed.
    beginTwoFactorEnrolment: isAuthenticated,
    confirmTwoFactorEnrolment: isAuthenticated,
    disableTwoFactor: isAuthenticated,
    regenerateRecoveryCodes: isAuthenticated,
    // The second sign-in step: it needs the secret challenge that only a right password yields.
    verifyTwoFactor: publicAccess,
    resetTwoFactor: can(UserPermission.manage),
    createApiToken: can(TokenPermission.manage),
    revokeApiToken: can(TokenPermission.manage),
    createOrganization: can(OrganizationPermission.manage),
    updateOrganization: can(OrganizationPermission.manage),
    deleteOrganization: can(OrganizationPermission.manage),
    // A person's organization needs organizations.manage as well (checked in the service: D14).
    updateUser: can(UserPermission.manage),
  },
  ApiToken: reachable,
  NewApiToken: reachable,
  Session: reachable,
  ReauthPayload: reachable,
  IdentitySettings: reachable,
  PasswordPolicy: reachable,
  Me: reachable,
  CurrentApiToken: reachable,
  TenantInfo: reachable,
  LoginPayload: reachable,
  UserSummary: reachable,
  UserPage: reachable,
  TwoFactorEnrolment: reachable,
  RecoveryCodes: reachable,
  Organization: reachable,
  OrganizationPage: reachable,
};
