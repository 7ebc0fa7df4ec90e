import type { GraphQLRequestError } from '@bulwark/platform-console';

/** Messages per form field, keyed as the API names its input (`name`, `oidc.issuer`, `domains.0`). */
export type FieldErrors = Record<string, string>;

/**
 * A refused save as the form shows it: each message on the field it concerns, the rest beside the
 * save button. The server's own sentences are shown as they are; its input validation (which
 * answers "Invalid input" with terse per-field notes) gets `hints`, the form's own words for
 * each field, so no framework wording reaches the page.
 */
export function errorsOf(error: unknown, hints: Record<string, string>): { fields: FieldErrors; form: string | null } {
  // The API's errors carry their code and the server's own sentence (graphql.ts); anything else is the browser's.
  const e = error as Partial<GraphQLRequestError> | null;
  if (!e || typeof e.serverMessage !== 'string') return { fields: {}, form: error instanceof Error ? error.message : 'Saving did not work. Try again.' };
  // Refused input, or a clash with another connection (a name or domain taken), names its fields.
  if ((e.code !== 'BAD_USER_INPUT' && e.code !== 'CONFLICT') || !e.fields || !Object.keys(e.fields).length) return { fields: {}, form: e.serverMessage };
  const validation = e.serverMessage === 'Invalid input';
  const fields: FieldErrors = {};
  for (const raw of Object.keys(e.fields)) {
    const key = raw.replace(/^input\./, '');
    fields[key] = validation ? (hintFor(key, hints) ?? 'This value is not accepted') : e.serverMessage;
  }
  return { fields, form: null };
}

/** The hint of a field or of the list it is an item of (`domains.2` → `domains`). */
function hintFor(key: string, hints: Record<string, string>): string | undefined {
  for (let k = key; k; k = k.includes('.') ? k.slice(0, k.lastIndexOf('.')) : '') if (hints[k]) return hints[k];
  return undefined;
}

/** The first message for `key` or any field under it (`domains` finds `domains.3`). */
export function errorAt(errors: FieldErrors, key: string): string | undefined {
  if (errors[key]) return errors[key];
  const under = Object.keys(errors).find((k) => k.startsWith(`${key}.`));
  return under ? errors[under] : undefined;
}
