import { gql, type Api, type ConsoleResource } from '@bulwark/platform-console';
import { keysetGetList, type KeysetPage, type PageReader } from './audit.paging';

export { toAuditFilter, type AuditFilterInput } from './audit.paging';

export type AuditChange = Api.AuditChange;

/** An event as the list reads it; the detail page reads the optional fields too. */
type Detail = 'userAgent' | 'requestId' | 'changes' | 'details' | 'hash';
export type AuditEvent = Omit<Api.AuditEvent, Detail | 'outcome'> &
  Partial<Pick<Api.AuditEvent, Detail>> & {
    outcome: 'success' | 'failure' | 'denied';
  };

export type AuditActionInfo = Api.AuditActionInfo;

const LIST_FIELDS = 'id seq occurredAt actorType actorId actorName action actionDescription targetType targetId outcome ip';
const FULL_FIELDS = `${LIST_FIELDS} userAgent requestId changes { field before after } details hash`;

const PAGE_QUERY = `query($filter: AuditFilter, $first: Int, $after: String) {
  auditEvents(filter: $filter, first: $first, after: $after) { items { ${LIST_FIELDS} } hasMore nextCursor }
}`;

const readPage: PageReader<AuditEvent> = async (filter, first, after) =>
  (await gql<{ auditEvents: KeysetPage<AuditEvent> }>(PAGE_QUERY, { filter, first, after })).auditEvents;

async function getEvent(id: string): Promise<AuditEvent> {
  return (await gql<{ auditEvent: AuditEvent }>(`query($id: ID!) { auditEvent(id: $id) { ${FULL_FIELDS} } }`, { id })).auditEvent;
}

/** The audit log as a react-admin resource: no total (the API has none), only "is there more". */
export const auditData: ConsoleResource['data'] = {
  getList: keysetGetList(readPage),
  async getOne(_r, { id }) {
    return { data: (await getEvent(String(id))) as never };
  },
  async getMany(_r, { ids }) {
    return { data: (await Promise.all(ids.map((id) => getEvent(String(id))))) as never };
  },
};

let actionsLoad: Promise<AuditActionInfo[]> | null = null;

/** Every declared action (the same for all tenants: it is the running app's catalog). */
export function loadAuditActions(): Promise<AuditActionInfo[]> {
  actionsLoad ??= gql<{ auditActions: AuditActionInfo[] }>(`{ auditActions { key feature description target config } }`)
    .then((d) => d.auditActions)
    .catch((e) => {
      actionsLoad = null;
      throw e;
    });
  return actionsLoad;
}
