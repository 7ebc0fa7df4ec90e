import { HttpError, type DataProvider } from 'react-admin';
import { GraphQLRequestError } from './graphql';
import type { ConsolePlugin, ConsoleResource } from './plugin';

/**
 * react-admin's DataProvider, assembled from the resources that plugins declare: a call for
 * resource R goes to R's own methods. No central switch that every feature edits.
 */
export function buildDataProvider(plugins: readonly ConsolePlugin[]): DataProvider {
  const byName = new Map<string, ConsoleResource>();
  for (const p of plugins) {
    for (const r of p.resources ?? []) {
      if (byName.has(r.name)) throw new Error(`console resource ${r.name} is declared twice`);
      byName.set(r.name, r);
    }
  }
  const dispatch =
    (method: keyof DataProvider) =>
    (resource: string, params: unknown): Promise<never> => {
      const fn = byName.get(resource)?.data[method as keyof ConsoleResource['data']] as unknown as ((r: string, p: unknown) => Promise<never>) | undefined;
      if (!fn) return Promise.reject(new Error(`${resource} does not support ${String(method)}`));
      return fn(resource, params).catch((e: unknown) => Promise.reject(asFormErrors(e)));
    };
  return {
    getList: dispatch('getList'),
    getOne: dispatch('getOne'),
    getMany: dispatch('getMany'),
    getManyReference: dispatch('getManyReference'),
    create: dispatch('create'),
    update: dispatch('update'),
    updateMany: dispatch('updateMany'),
    delete: dispatch('delete'),
    deleteMany: dispatch('deleteMany'),
  } as DataProvider;
}

/**
 * A refused save that names its fields becomes react-admin's validation error: each note shows
 * under its input (react-admin's forms read `body.errors`), in words, and the notice says it once
 * (`root.serverError`). Other errors pass as they are (the auth provider needs
 * their codes).
 */
export function asFormErrors(e: unknown): unknown {
  if (!(e instanceof GraphQLRequestError) || (e.code !== 'BAD_USER_INPUT' && e.code !== 'CONFLICT') || !e.fields || !Object.keys(e.fields).length) return e;
  return new HttpError(e.message, 400, { errors: { ...nest(e.fieldMessages), root: { serverError: e.summary } } });
}

/** `rules.0.cidr` → `{ rules: { 0: { cidr } } }`, the shape react-hook-form's paths take. */
function nest(flat: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [path, message] of Object.entries(flat)) {
    const keys = path.split('.');
    let at = out;
    for (const k of keys.slice(0, -1)) at = (at[k] ??= {}) as Record<string, unknown>;
    at[keys[keys.length - 1]] = message;
  }
  return out;
}
