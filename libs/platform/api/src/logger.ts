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
  if (value instanceof Error) return { name: value.name, message: value.message, stack: value.stack };
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEY.test(k) ? '[redacted]' : redact(v, depth + 1);
  return out;
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
