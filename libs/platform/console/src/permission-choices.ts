import type { Permission, PermissionInfo } from './generated/api';

type Info = Pick<PermissionInfo, 'key' | 'feature' | 'description'>;

/**
 * The permissions a person holds, grouped by feature in the catalog's order, for pickers where one
 * may pass on only what one holds (API token scopes, vendor support grants). Held permissions the
 * catalog does not list (it needs roles.read) come last under their bare names.
 */
export function heldPermissionChoices(catalog: readonly Info[] | null, held: readonly Permission[] | undefined): [string, Info[]][] {
  const mine = new Set(held ?? []);
  const known = (catalog ?? []).filter((p) => mine.has(p.key));
  const listed = new Set(known.map((p) => p.key));
  const rest = [...mine].filter((k) => !listed.has(k)).map((key): Info => ({ key, feature: key.split('_')[0].toLowerCase(), description: key }));
  const groups = new Map<string, Info[]>();
  for (const p of [...known, ...rest]) groups.set(p.feature, [...(groups.get(p.feature) ?? []), p]);
  return [...groups.entries()];
}
