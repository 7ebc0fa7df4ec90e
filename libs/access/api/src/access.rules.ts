import { can, isAuthenticated, reachable } from '@bulwark/platform-api';
import { NetworkPermission, RolePermission } from './access.permissions';

export const accessRules = {
  Query: {
    roles: can(RolePermission.read),
    permissionCatalog: can(RolePermission.read),
    accessSettings: can(NetworkPermission.manage),
    accessStatus: isAuthenticated,
  },
  Mutation: {
    createRole: can(RolePermission.manage),
    updateRole: can(RolePermission.manage),
    deleteRole: can(RolePermission.manage),
    setIpAllowlist: can(NetworkPermission.manage),
    setLockdown: can(NetworkPermission.manage),
  },
  Role: reachable,
  AccessSettings: reachable,
  IpRule: reachable,
  PermissionInfo: reachable,
  AccessStatus: reachable,
};
