import { can, isAuthenticated, publicAccess, reachable } from '@bulwark/platform-api';
import { UserPermission } from './identity.permissions';

export const identityRules = {
  Query: { me: isAuthenticated, users: can(UserPermission.read) },
  Mutation: { login: publicAccess, logout: isAuthenticated },
  Me: reachable,
  TenantInfo: reachable,
  LoginPayload: reachable,
  UserSummary: reachable,
  UserPage: reachable,
};
