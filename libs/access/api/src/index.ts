import { defineApiPlugin } from '@bulwark/platform-api';
import { accessCli } from './access.cli';
import { AccessSettings, IpRule, Role } from './access.entities';
import { accessGuard } from './access.guard';
import { Migration20261207000200Access } from './access.migration';
import { NetworkPermission, RolePermission } from './access.permissions';
import { AccessResolver } from './access.resolver';
import { accessRules } from './access.rules';
import { roleDirectory } from './role-directory';
import { AccessAudit } from './access.audit';

/** Roles and permissions, IP allowlists and lockdown mode. */
export const accessPlugin = defineApiPlugin({
  name: 'access',
  permissions: [RolePermission, NetworkPermission],
  auditActions: [AccessAudit],
  audited: [{ entity: Role, type: 'Role', create: AccessAudit.roleCreated, update: AccessAudit.roleUpdated, delete: AccessAudit.roleDeleted, ignore: ['createdAt', 'updatedAt'] }],
  entities: [Role, AccessSettings, IpRule],
  resolvers: [AccessResolver],
  rules: accessRules,
  migrations: [{ name: 'Migration20261207000200Access', class: Migration20261207000200Access }],
  roleDirectory,
  guards: [accessGuard],
  // Admins must be able to lift a lockdown from anywhere they can sign in.
  // Lockdown can always be lifted.
  operations: { setLockdown: { lockdownExempt: true } },
  cli: accessCli,
});

export { checkNetwork } from './access.guard';
export { parseRange, inRanges, type Range } from './network';
export { customRoleKey } from './role-directory';
export { RolePermission, NetworkPermission } from './access.permissions';
export { AccessAudit } from './access.audit';
