import { can, isAuthenticated, publicAccess, reachable } from '@bulwark/platform-api';
import { SupportPermission } from './support.permissions';

export const supportRules = {
  Query: {
    supportGrants: can(SupportPermission.read),
    supportOperators: can(SupportPermission.manage),
    supportAccessStatus: isAuthenticated,
  },
  Mutation: {
    supportSignIn: publicAccess,
    requestVendorSupport: can(SupportPermission.manage),
    grantSupportAccess: can(SupportPermission.manage),
    revokeSupportAccess: can(SupportPermission.manage),
  },
  SupportGrant: reachable,
  SupportOperator: reachable,
  SupportSessionInfo: reachable,
  SupportAccessStatus: reachable,
  SupportSignInPayload: reachable,
};
