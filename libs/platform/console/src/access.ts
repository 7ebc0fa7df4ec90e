import type { Permission } from './generated/api';
import type { AccessMap, ConsolePlugin } from './plugin';

/** Every signed-in person may do it (a page declared without `access`). */
const SIGNED_IN = 'signed in';
type Rule = Permission | typeof SIGNED_IN;

/**
 * What the console may show, from the plugin list alone: resource name or page path → action →
 * the permission it needs. The one table behind `authProvider.canAccess`, so the menu, routes,
 * dashboard cards and buttons all answer alike. The console only hides; the server decides.
 */
export type AccessRules = ReadonlyMap<string, Readonly<Record<string, Rule | undefined>>>;

export function buildAccessRules(plugins: readonly ConsolePlugin[]): AccessRules {
  const rules = new Map<string, Record<string, Rule | undefined>>();
  const add = (name: string, access: AccessMap | Record<string, Rule>) => {
    if (rules.has(name)) throw new Error(`console resource or page ${name} is declared twice`);
    rules.set(name, { ...access });
  };
  for (const p of plugins) {
    for (const r of p.resources ?? []) add(r.name, r.access);
    for (const page of p.pages ?? []) if (!page.public) add(page.path, page.access ?? { list: SIGNED_IN });
  }
  for (const p of plugins) {
    for (const c of p.dashboardCards ?? []) {
      if (!rules.get(c.resource)?.list) throw new Error(`dashboard card ${c.key} summarises ${c.resource}, which nobody may list`);
    }
  }
  return rules;
}

/** Deny by default, like the server: an unknown resource or an undeclared action is refused. */
export function allows(rules: AccessRules, held: readonly string[], resource: string, action: string): boolean {
  const needed = rules.get(resource)?.[action];
  if (!needed) return false;
  return needed === SIGNED_IN || held.includes(needed);
}
