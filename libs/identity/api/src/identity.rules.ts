import { can, isAuthenticated, publicAccess, reachable } from '@bulwark/platform-api';
import { SecurityPermission, UserPermission } from './identity.permissions';

export const identityRules = {
  Query: {
    me: isAuthenticated,
    users: can(UserPermission.read),
    identitySettings: can(SecurityPermission.manage),
    passwordPolicy: isAuthenticated,
    mySessions: isAuthenticated,
  },
  Mutation: {
    login: publicAccess,
    logout: isAuthenticated,
    changePassword: isAuthenticated,
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
  },
  Session: reachable,
  ReauthPayload: reachable,
  IdentitySettings: reachable,
  PasswordPolicy: reachable,
  Me: reachable,
  TenantInfo: reachable,
  LoginPayload: reachable,
  UserSummary: reachable,
  UserPage: reachable,
};
