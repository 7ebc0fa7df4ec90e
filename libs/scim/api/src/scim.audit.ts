import { defineAuditActions } from '@bulwark/platform-api';

/**
 * What SCIM records itself (SECURITY.md F3). The rest of what provisioning does is recorded by the
 * feature that owns the change, once: suspension, reactivation, deletion and role changes by
 * identity (`identity.userSuspended`, `identity.roleChanged`…), groups and their members by
 * tickets (`tickets.groupCreated`, `tickets.groupUpdated`, `tickets.groupDeleted`). The actor of
 * every one of them is the API token (actor type `token`, its name).
 */
export const ScimAudit = defineAuditActions('scim', {
  userProvisioned: { description: 'An identity provider created a person (SCIM)', target: 'User', config: true },
  userUpdated: { description: "An identity provider changed a person's name, email or SCIM identifiers", target: 'User' },
  groupLinked: { description: "An identity provider changed a group's SCIM identifier (externalId)", target: 'Group' },
});
