import { defineApiPlugin } from '@bulwark/platform-api';
import { ssoConfig } from './sso.config';
import { SsoAudit } from './sso.audit';
import { SsoConnection, SsoIdentity, SsoRequest } from './sso.entities';
import { Migration20261207000700Sso } from './sso.migration';
import { SsoPermission } from './sso.permissions';
import { SsoResolver } from './sso.resolver';
import { ssoRoutes } from './sso.routes';
import { ssoRules } from './sso.rules';

/**
 * Single sign-on (issue 17): OpenID Connect, SAML 2.0 and JWT connections per workspace, identity
 * keyed by (connection, subject), just-in-time provisioning and mapping, back-channel logout.
 * The browser-facing half is plain HTTP under /api/sso/<workspace>/<connection>/ (sso.routes.ts);
 * connections are managed over GraphQL. Enforcement per role is identity's (ssoRequiredRoles).
 */
export const ssoPlugin = defineApiPlugin({
  name: 'sso',
  permissions: [SsoPermission],
  entities: [SsoConnection, SsoIdentity, SsoRequest],
  resolvers: [SsoResolver],
  rules: ssoRules,
  auditActions: [SsoAudit],
  migrations: [{ name: 'Migration20261207000700Sso', class: Migration20261207000700Sso }],
  // The sign-in page's question enters the workspace its input names: alone in its operation.
  operations: { ssoSignInOptions: { runsAlone: true } },
  routes: ssoRoutes,
  config: ssoConfig,
});

export { SsoPermission } from './sso.permissions';
export { SsoAudit } from './sso.audit';
export { SsoConnection, SsoIdentity } from './sso.entities';
export { signInFederated, logoutFederated, SsoFailure, type FederatedPerson } from './federation.service';
