/** The operation both servers answer: the authenticated ticket list with requester and assignee. */
export const LIST_QUERY =
  'query($n:Int!){ tickets(page:{limit:$n}) { totalCount nodes { id subject status priority createdAt ' +
  'requester { id name email } assignee { id name email } } } }';

export const listBody = (n: number) => JSON.stringify({ query: LIST_QUERY, variables: { n } });

/**
 * `--scenario search` (issue 20), all three on the full server, newest first, with the total:
 * - `list`: the ticket list as the console asked for it before issue 20 (its fields exactly);
 * - `workspace`: the same with the fields issue 20 added, through the built-in view "All open";
 * - `search`: full-text search for a word, with the same fields as `workspace`.
 */
const CONSOLE_FIELDS = 'id subject body status priority channel createdAt updatedAt groupId requester { id name email } assignee { id name email }';
const WORKSPACE_FIELDS = `${CONSOLE_FIELDS} number tags ccEmails htmlBody`;
const NEWEST = 'sort:{field:CREATED_AT,direction:DESC}';
export const SEARCH_QUERIES = {
  list: `query($n:Int!){ tickets(${NEWEST}, page:{limit:$n}) { totalCount nodes { ${CONSOLE_FIELDS} } } }`,
  workspace: `query($n:Int!){ tickets(filter:{view:"open"}, ${NEWEST}, page:{limit:$n}) { totalCount nodes { ${WORKSPACE_FIELDS} } } }`,
  search: `query($n:Int!, $q:String!){ tickets(filter:{search:$q}, ${NEWEST}, page:{limit:$n}) { totalCount nodes { ${WORKSPACE_FIELDS} } } }`,
};
export const searchBody = (kind: keyof typeof SEARCH_QUERIES, n: number, q?: string) =>
  JSON.stringify({ query: SEARCH_QUERIES[kind], variables: kind === 'search' ? { n, q } : { n } });

/** The line serve.ts prints on stdout once both servers are up and seeded. */
export const READY_PREFIX = 'BENCH_READY ';
/** Progress lines serve.ts writes to stderr; main.ts relays them. Other lines are logs. */
export const PROGRESS_PREFIX = 'bench: ';

/** `--scenario login-load`: the signed-in user's own record, sent with the agent's bearer token. */
export const ME_QUERY = '{ me { id email } }';
export const meBody = () => JSON.stringify({ query: ME_QUERY });

/** A password sign-in that asks only for the new session token. */
export const LOGIN_MUTATION = 'mutation($i:LoginInput!){ login(input:$i) { token } }';
export const loginBody = (tenant: string, email: string, password: string) =>
  JSON.stringify({ query: LOGIN_MUTATION, variables: { i: { tenant, email, password } } });

export type Scenario = 'list' | 'login-load' | 'audit-overhead' | 'backup' | 'sso' | 'rate-limits' | 'mail' | 'search';

/** audit-overhead: the mutation measured (constant input, so every answer has the same length). */
export const CREATE_TICKET_BODY = JSON.stringify({ query: 'mutation { createTicket(input: { subject: "Bench ticket", body: "Created by the audit-overhead benchmark" }) { id } }' });

/** Users created for `--scenario login-load`: the right password for each is known to main.ts. */
export interface LoginUsers {
  tenant: string;
  emails: string[];
  password: string;
  bcryptCost: number;
}

/**
 * IPC between main.ts and serve.ts (login-load only): main.ts marks each measured window, and
 * serve.ts answers with what it saw inside it (event-loop delay, DB pool waits, its CPU time).
 */
export type WindowCommand = { type: 'window-start'; run: string } | { type: 'window-end'; run: string };

export interface WindowStats {
  type: 'window-stats';
  run: string;
  /** perf_hooks.monitorEventLoopDelay (resolution 10 ms): how late its timer fired, in ms. */
  eventLoopDelay: { p50Ms: number; p99Ms: number; maxMs: number; meanMs: number };
  /** The ORM's connection pool (tarn), sampled every 20 ms. */
  pool: { max: number; samples: number; meanUsed: number; maxUsed: number; meanPendingAcquires: number; maxPendingAcquires: number; shareWithWaiters: number };
  /** process.cpuUsage() over the window: all threads of the server process (bcrypt included). */
  cpu: { userMs: number; systemMs: number };
  windowMs: number;
  /** Every `me` the server answered in the window: [start (epoch ms), time inside the server (ms)]. */
  meTimings: [number, number][];
  /** The server's garbage collections of 5 ms or more: [start (epoch ms), duration (ms), V8 kind]. */
  gcs: [number, number, number][];
  /** SQL statements of 10 ms or more, sent to answered: [start (epoch ms), ms, the statement's start]. */
  slowSql: [number, number, string][];
}

export interface ReadyInfo {
  scenario: Scenario;
  full: string;
  /** '' when the scenario does not start the baseline (login-load). */
  baseline: string;
  baselineTrx: string;
  token: string;
  tenantId: string;
  tickets: number;
  users: number;
  postgres: string;
  /** SQL statements sent while one request ran, per page size (the last of three requests). */
  statements: Record<string, { full: number; baseline: number; baselineTrx: number; fullSql: string[]; fullError?: string }>;
  /** login-load only. */
  login?: LoginUsers;
  /** UV_THREADPOOL_SIZE as the server process sees it (libuv's default is 4). */
  threadpool: number;
  /** search only: the seeded words, the statements per request and the plans of the page-50 statements. */
  search?: SearchReady;
}

/** One of the search scenario's requests: `list`, `workspace`, `search:<word>`. */
export type SearchRequest = { kind: keyof typeof SEARCH_QUERIES; q?: string; label: string };

/** The search scenario's requests: the list of today, the workspace's list, and a search for each seeded word. */
export const searchRequests = (words: { many: string; few: string }): SearchRequest[] => [
  { kind: 'list', label: 'list' },
  { kind: 'workspace', label: 'workspace' },
  { kind: 'search', q: words.many, label: `search "${words.many}"` },
  { kind: 'search', q: words.few, label: `search "${words.few}"` },
];

export interface SearchReady {
  many: string;
  few: string;
  comments: number;
  /** label -> page size -> statements one request sent (the third of three). */
  statements: Record<string, Record<string, number>>;
  /** label -> page size -> the statements one request sent (their first 120 characters). */
  statementsSql: Record<string, Record<string, string[]>>;
  /** label -> the page's SQL statement at page 50 (knex's `?` placeholders), its bindings and its EXPLAIN (ANALYZE, BUFFERS). */
  plans: Record<string, { sql: string; bindings: unknown[]; plan: string[] }>;
}
