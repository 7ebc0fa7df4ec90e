import { definePermissions } from '@bulwark/platform-api';

/**
 * The scope of an identity provider's API token: SCIM under /scim/v2. It stands for what
 * provisioning does (create, change, suspend and delete people, manage groups), always within
 * what the token's creator may do (see users.service.ts, "authority").
 */
export const ScimPermission = definePermissions('scim', {
  provision: { description: 'Provision people and groups from an identity provider (SCIM)', roles: ['admin'] },
});
