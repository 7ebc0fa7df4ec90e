/** The operation both servers answer: the authenticated ticket list with requester and assignee. */
export const LIST_QUERY =
  'query($n:Int!){ tickets(page:{limit:$n}) { totalCount nodes { id subject status priority createdAt ' +
  'requester { id name email } assignee { id name email } } } }';

export const listBody = (n: number) => JSON.stringify({ query: LIST_QUERY, variables: { n } });

/** The line serve.ts prints on stdout once both servers are up and seeded. */
export const READY_PREFIX = 'BENCH_READY ';
/** Progress lines serve.ts writes to stderr; main.ts relays them. Other lines are logs. */
export const PROGRESS_PREFIX = 'bench: ';

export interface ReadyInfo {
  full: string;
  baseline: string;
  baselineTrx: string;
  token: string;
  tenantId: string;
  tickets: number;
  users: number;
  postgres: string;
  /** SQL statements sent while one request ran, per page size (the last of three requests). */
  statements: Record<string, { full: number; baseline: number; baselineTrx: number; fullSql: string[]; fullError?: string }>;
}
