/**
 * Structured JSON logs (SECURITY.md F6): one object per line, control characters escaped by
 * JSON itself, and values under secret-looking keys replaced before they are written.
 */
const SECRET_KEY = /pass(word)?|secret|token|cookie|authorization|pepper|hash/i;
type Level = 'debug' | 'info' | 'warn' | 'error';
const order: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

export function redact(value: unknown, depth = 0): unknown {
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return databaseError(value) ?? { name: value.name, message: value.message, stack: value.stack };
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEY.test(k) ? '[redacted]' : redact(v, depth + 1);
  return out;
}

type DbErrorLike = Error & Partial<Record<'code' | 'severity' | 'detail' | 'hint' | 'constraint' | 'table' | 'column' | 'schema' | 'dataType', string>>;

/**
 * F6: a database error repeats the statement's values. knex puts the SQL with its bindings in
 * front of PostgreSQL's message (and so in the stack's first line), MikroORM appends `detail`,
 * which echoes the failing row, and `where` and `internalQuery` can hold SQL too: a failed insert
 * would log the rows it carried, password hashes and sealed secrets included. What is kept says
 * what failed in words an operator can act on: the SQLSTATE, the constraint, table, column and
 * type, and PostgreSQL's own sentence, cut before the values that data errors quote. Null: not a
 * database error (nor one wrapped as `originalError` or `cause`).
 */
function databaseError(e: Error, depth = 0): Record<string, unknown> | null {
  const db = e as DbErrorLike;
  if (typeof db.code !== 'string' || !/^[0-9A-Z]{5}$/.test(db.code) || typeof db.severity !== 'string') {
    const inner = (e as { originalError?: unknown }).originalError ?? e.cause;
    return inner instanceof Error && depth < 3 ? databaseError(inner, depth + 1) : null;
  }
  const out: Record<string, unknown> = { name: e.name, code: db.code, message: postgresSentence(db) ?? `database error ${db.code}` };
  for (const k of ['constraint', 'table', 'column', 'schema', 'dataType'] as const) if (db[k]) out[k] = db[k];
  // The frames only: the stack's first lines are the message, statement and values included.
  const header = `${e.name}: ${e.message}`;
  const frames = e.stack?.startsWith(header) ? e.stack.slice(header.length) : (e.stack ?? '');
  out.stack = frames.split('\n').filter((l) => l.trimStart().startsWith('at ')).join('\n');
  return out;
}

/** An error in one line for a person (the CLI's last words): a database error as the log has it. */
export function errorText(e: unknown): string {
  const db = e instanceof Error ? databaseError(e) : null;
  if (!db) return e instanceof Error ? e.message : String(e);
  const where = (['constraint', 'table', 'column'] as const).filter((k) => db[k]).map((k) => `${k} ${db[k]}`);
  return `${db.message} (SQLSTATE ${db.code}${where.length ? `; ${where.join(', ')}` : ''})`;
}

/** PostgreSQL's own message, without what knex put before it and MikroORM after it; null if unsure. */
function postgresSentence(db: DbErrorLike): string | null {
  let m = db.message;
  for (const [label, value] of [['hint', db.hint], ['detail', db.detail]]) {
    if (value && m.endsWith(`\n - ${label}: ${value}`)) m = m.slice(0, -`\n - ${label}: ${value}`.length);
  }
  const cut = m.lastIndexOf(' - ');
  if (cut >= 0) m = m.slice(cut + 3);
  if ((db.detail && m.includes(db.detail)) || (db.hint && m.includes(db.hint))) return null;
  // Class 22 (data exception) quotes the value: `invalid input syntax for type uuid: "…"`.
  return (db.code?.startsWith('22') ? m.split(': ')[0] : m).slice(0, 300);
}

/**
 * Copies `source`'s fields into `target` one by one, secrets replaced. Not `{ ...base, ...fields }`
 * (nor in `child`): Node 20's V8 gives an object that a spread created and more keys then extended
 * a hidden class of its own every time, allocated in the old generation, and a line is logged per
 * request; that churn brings full garbage collections nearer (tools/bench/README.md).
 */
function addRedacted(target: Record<string, unknown>, source: Record<string, unknown>): void {
  for (const k of Object.keys(source)) target[k] = SECRET_KEY.test(k) ? '[redacted]' : redact(source[k], 1);
}

export function createLogger(
  base: Record<string, unknown> = {},
  write: (line: string) => void = (l) => process.stdout.write(l + '\n'),
  minLevel: Level = (process.env.BULWARK_LOG_LEVEL as Level) || 'info',
): Logger {
  const log = (level: Level, msg: string, fields?: Record<string, unknown>) => {
    if (order[level] < (order[minLevel] ?? 20)) return;
    const entry: Record<string, unknown> = { time: new Date().toISOString(), level, msg };
    addRedacted(entry, base);
    if (fields) addRedacted(entry, fields);
    write(JSON.stringify(entry));
  };
  return {
    debug: (m, f) => log('debug', m, f),
    info: (m, f) => log('info', m, f),
    warn: (m, f) => log('warn', m, f),
    error: (m, f) => log('error', m, f),
    child: (fields) => createLogger(Object.assign({}, base, fields), write, minLevel),
  };
}
