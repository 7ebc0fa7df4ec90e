import type { GetListParams, GetListResult } from 'react-admin';

/** The API's AuditFilter input. */
export interface AuditFilterInput {
  actorId?: string;
  actorType?: string;
  actions?: string[];
  targetType?: string;
  targetId?: string;
  outcome?: string;
  from?: string;
  to?: string;
  ip?: string;
  search?: string;
}

const text = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : undefined);
const instant = (v: unknown) => {
  // DateTimeInput gives local "yyyy-MM-ddThh:mm"; the API wants an instant.
  if (typeof v !== 'string' || !v) return undefined;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
};

/** react-admin's filter values (as in the URL and saved queries) to the API's AuditFilter. */
export function toAuditFilter(values: Record<string, unknown>): AuditFilterInput {
  const actions = [values.actions].flat().filter((a): a is string => typeof a === 'string' && !!a);
  const out: AuditFilterInput = {
    actorId: text(values.actorId),
    actorType: text(values.actorType),
    actions: actions.length ? actions : undefined,
    targetType: text(values.targetType),
    targetId: text(values.targetId),
    outcome: text(values.outcome),
    from: instant(values.from),
    to: instant(values.to),
    ip: text(values.ip),
    search: text(values.q),
  };
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined));
}

export interface KeysetPage<T> {
  items: T[];
  hasMore: boolean;
  nextCursor: string | null;
}

export type PageReader<T> = (filter: AuditFilterInput, first: number, after: string | undefined) => Promise<KeysetPage<T>>;

const MAX_QUERIES_REMEMBERED = 20;

/**
 * Keyset paging under react-admin's page numbers: page N+1 starts after the last event of page N.
 * The cursors of the pages already read are remembered per query; a page asked for out of order
 * (a reload on page 3) is reached by reading forward from the nearest page known. There is no
 * total, only whether more (older) events follow.
 */
export function keysetGetList<T>(read: PageReader<T>): (resource: string, params: GetListParams) => Promise<GetListResult> {
  const cursors = new Map<string, Map<number, string>>();
  const cursorsFor = (key: string) => {
    let pages = cursors.get(key);
    if (!pages) {
      if (cursors.size >= MAX_QUERIES_REMEMBERED) cursors.delete(cursors.keys().next().value as string);
      pages = new Map();
      cursors.set(key, pages);
    }
    return pages;
  };
  return async (_resource, { pagination, filter }) => {
    const perPage = Math.min(pagination?.perPage ?? 50, 100);
    const page = Math.max(pagination?.page ?? 1, 1);
    const api = toAuditFilter(filter ?? {});
    const pages = cursorsFor(JSON.stringify([api, perPage]));
    let at = page;
    while (at > 1 && !pages.has(at)) at--;
    let result = await read(api, perPage, at > 1 ? pages.get(at) : undefined);
    for (;;) {
      if (result.nextCursor) pages.set(at + 1, result.nextCursor);
      else pages.delete(at + 1);
      if (at === page || !result.hasMore || !result.nextCursor) break;
      at++;
      result = await read(api, perPage, result.nextCursor);
    }
    if (at !== page) return { data: [], pageInfo: { hasNextPage: false, hasPreviousPage: page > 1 } };
    return { data: result.items as never, pageInfo: { hasNextPage: result.hasMore, hasPreviousPage: page > 1 } };
  };
}
