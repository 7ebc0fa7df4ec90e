import type { SsoMapping } from './sso.entities';

/** A claim's values as strings: a string, a number, or a list of them (SAML attributes are lists). */
function valuesOf(claims: Record<string, unknown>, name: string | null | undefined): string[] {
  if (!name) return [];
  const v = claims[name];
  const list = Array.isArray(v) ? v : v === undefined || v === null ? [] : [v];
  return list.filter((x) => typeof x === 'string' || typeof x === 'number').map(String);
}

/**
 * What a mapping makes of a person's claims: the role of the first rule whose value the role
 * claim holds (null: none matched, the connection's default applies to new accounts and existing
 * ones keep theirs), and every group whose value the group claim holds. Pure, so the console
 * previews exactly what a sign-in would do.
 */
export function mapClaims(mapping: SsoMapping, claims: Record<string, unknown>): { role: string | null; groupIds: string[] } {
  const roleValues = new Set(valuesOf(claims, mapping.roleClaim));
  const groupValues = new Set(valuesOf(claims, mapping.groupClaim));
  return {
    role: mapping.roles.find((r) => roleValues.has(r.value))?.role ?? null,
    groupIds: [...new Set(mapping.groups.filter((g) => groupValues.has(g.value)).map((g) => g.groupId))],
  };
}
