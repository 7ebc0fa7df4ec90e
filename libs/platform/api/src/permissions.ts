/**
 * The typed permission catalog. Each feature declares its permissions once, with the built-in
 * roles that hold them; code refers to them as values (`TicketPermission.read`), never as strings,
 * so a typo is a compile error and every use is findable.
 */
export const BUILT_IN_ROLES = ['owner', 'admin', 'agent', 'light_agent', 'auditor', 'requester'] as const;
export type BuiltInRole = (typeof BUILT_IN_ROLES)[number];

declare const brand: unique symbol;
export type Permission = string & { readonly [brand]: 'Permission' };

export interface PermissionDefinition {
  key: Permission;
  feature: string;
  description: string;
  /** Built-in roles that hold it. The owner holds every permission. */
  roles: readonly BuiltInRole[];
}

export const CATALOG = Symbol('permission catalog');
export type PermissionSet<K extends string> = { readonly [P in K]: Permission } & {
  readonly [CATALOG]: readonly PermissionDefinition[];
};

export function definePermissions<K extends string>(
  feature: string,
  defs: Record<K, { description: string; roles: readonly BuiltInRole[] }>,
): PermissionSet<K> {
  if (!/^[a-z][a-zA-Z]*$/.test(feature)) throw new Error(`bad feature name "${feature}"`);
  const out: Record<string, Permission> = {};
  const catalog: PermissionDefinition[] = [];
  for (const [name, def] of Object.entries(defs) as [K, { description: string; roles: readonly BuiltInRole[] }][]) {
    if (!/^[a-z][a-zA-Z]*$/.test(name)) throw new Error(`bad permission name "${feature}.${name}"`);
    const key = `${feature}.${name}` as Permission;
    out[name] = key;
    catalog.push({ key, feature, description: def.description, roles: def.roles });
  }
  return Object.freeze({ ...out, [CATALOG]: Object.freeze(catalog) }) as PermissionSet<K>;
}

/** The GraphQL enum name of a permission: `tickets.viewAll` → `TICKETS_VIEW_ALL`. */
export function permissionEnumName(key: string): string {
  return key.replace(/([a-z])([A-Z])/g, '$1_$2').replace(/\./g, '_').toUpperCase();
}

export class PermissionCatalog {
  private readonly byRole = new Map<string, ReadonlySet<Permission>>();
  constructor(readonly definitions: readonly PermissionDefinition[]) {
    const seen = new Set<string>();
    for (const d of definitions) {
      if (seen.has(d.key)) throw new Error(`permission ${d.key} is declared twice`);
      seen.add(d.key);
    }
    for (const role of BUILT_IN_ROLES) {
      this.byRole.set(
        role,
        new Set(definitions.filter((d) => role === 'owner' || d.roles.includes(role)).map((d) => d.key)),
      );
    }
  }
  forRole(role: string): ReadonlySet<Permission> {
    return this.byRole.get(role) ?? new Set();
  }
}

/** Built-in roles are code: they cannot be edited, and exist in every tenant. */
export const isBuiltInRole = (role: string): role is BuiltInRole => (BUILT_IN_ROLES as readonly string[]).includes(role);
