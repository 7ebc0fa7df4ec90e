import { can, publicAccess, reachable } from '@bulwark/platform-api';
import { SsoPermission } from './sso.permissions';

export const ssoRules = {
  Query: {
    ssoConnections: can(SsoPermission.manage),
    ssoConnection: can(SsoPermission.manage),
    previewSsoMapping: can(SsoPermission.manage),
    // Before sign-in: what any visitor of the sign-in page sees (buttons the workspace shows).
    ssoSignInOptions: publicAccess,
  },
  Mutation: {
    createSsoConnection: can(SsoPermission.manage),
    updateSsoConnection: can(SsoPermission.manage),
    deleteSsoConnection: can(SsoPermission.manage),
    testSsoConnection: can(SsoPermission.manage),
  },
  SsoConnection: reachable,
  SsoMapping: reachable,
  SsoRoleRule: reachable,
  SsoGroupRule: reachable,
  SsoEndpoint: reachable,
  OidcConnectionSettings: reachable,
  SamlConnectionSettings: reachable,
  JwtConnectionSettings: reachable,
  SsoCheck: reachable,
  SsoTestResult: reachable,
  SsoMappingPreview: reachable,
  SsoMappingPreviewGroup: reachable,
  SsoSignInButton: reachable,
  SsoSignInOptions: reachable,
};
