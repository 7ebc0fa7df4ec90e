import { defineApiPlugin } from '@bulwark/platform-api';
import { ScimAudit } from './scim.audit';
import { ScimResource } from './scim.entities';
import { Migration20261207000800Scim } from './scim.migration';
import { ScimPermission } from './scim.permissions';
import { scimRoutes } from './scim.routes';
import { ScimError } from './scim.errors';

/**
 * SCIM 2.0 provisioning (issue 17; RFC 7643, RFC 7644) at /scim/v2: identity providers (Okta,
 * Microsoft Entra ID) create, change, suspend and delete people and manage ticket groups, with an
 * API token whose scope is `scim.provision`. People and groups are identity's and tickets'; this
 * feature keeps only SCIM's own identifiers (scim_resources) and speaks the protocol.
 */
export const scimPlugin = defineApiPlugin({
  name: 'scim',
  permissions: [ScimPermission],
  entities: [ScimResource],
  auditActions: [ScimAudit],
  migrations: [{ name: 'Migration20261207000800Scim', class: Migration20261207000800Scim }],
  routes: scimRoutes,
  routesAt: '/scim/v2',
  // A malformed or oversized body, refused before any handler: in RFC 7644's error format too.
  routeClientError: (status, message) => ({ type: 'application/scim+json', body: new ScimError(status, message, status === 400 ? 'invalidSyntax' : undefined).body }),
});

export { ScimPermission } from './scim.permissions';
export { ScimAudit } from './scim.audit';
export { ScimResource } from './scim.entities';
