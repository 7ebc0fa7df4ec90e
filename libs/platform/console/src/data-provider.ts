import type { DataProvider } from 'react-admin';
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
      return fn(resource, params);
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
