import type { Request } from 'express';

/**
 * What a request body may hold before GraphQL sees it (SECURITY.md E9). Checked once, at the HTTP
 * edge, so that no later part (validators, bcrypt's HMAC, PostgreSQL, the log) meets text it
 * cannot handle, and a refusal is a 400 that says what to fix rather than a 500 from deep inside:
 * - no U+0000: PostgreSQL text cannot hold it;
 * - no lone UTF-16 surrogate: it is not Unicode; encoders replace it silently, so what is
 *   stored or compared would differ from what was sent;
 * - nesting at most MAX_DEPTH levels: no input type here is half as deep, and a walk over a
 *   value nested thousands of levels deep is how the old recursive check overflowed the stack.
 */
export const MAX_DEPTH = 32;

/** NUL, or a surrogate that is not half of a pair (with the `u` flag a pair is one code point). */
// eslint-disable-next-line no-control-regex -- finding U+0000 is the point
const BAD_TEXT = /[\u0000\p{Cs}]/u;

export function badText(s: string): string | null {
  const m = BAD_TEXT.exec(s);
  if (!m) return null;
  return m[0] === '\u0000' ? 'Text may not contain NUL (U+0000) characters' : 'Text must be valid Unicode (a lone UTF-16 surrogate was sent)';
}

/**
 * Walks a parsed JSON value without recursion and returns what is wrong with it, or null.
 * Object keys are text too (a variable's input field names reach error messages and logs).
 */
export function checkJsonInput(value: unknown): string | null {
  const stack: [unknown, number][] = [[value, 0]];
  for (let next = stack.pop(); next; next = stack.pop()) {
    const [v, depth] = next;
    if (typeof v === 'string') {
      const bad = badText(v);
      if (bad) return bad;
    } else if (v !== null && typeof v === 'object') {
      if (depth >= MAX_DEPTH) return `Input is nested too deeply (at most ${MAX_DEPTH} levels)`;
      if (Array.isArray(v)) {
        for (const item of v) stack.push([item, depth + 1]);
      } else {
        for (const [k, item] of Object.entries(v)) {
          const bad = badText(k);
          if (bad) return bad;
          stack.push([item, depth + 1]);
        }
      }
    }
  }
  return null;
}

/**
 * A raw body (a file, a mail message) read whole, up to `max` bytes: `too large` as soon as the
 * declared length or what has arrived passes it, without reading the rest.
 */
export async function readRawBody(req: Request, max: number): Promise<Buffer | 'too large'> {
  if (Number(req.get('content-length') ?? 0) > max) return 'too large';
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > max) return 'too large';
      chunks.push(chunk);
    }
  } catch (error) {
    // The client went away mid-body (ECONNRESET, "aborted"): its mistake, answered like the body
    // parsers' refusals, never read as the database's connection failing (a false outage alarm).
    // Any other failure of the stream stays the server's error.
    const code = (error as { code?: string }).code;
    if (!req.destroyed && !['ECONNRESET', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE'].includes(code ?? '')) throw error;
    // No `cause`: the outage check reads causes, and this one is the client's connection.
    throw Object.assign(new Error(`the request body was interrupted (${code ?? 'destroyed'})`), { status: 400, publicMessage: 'The request body was interrupted before it ended: send it again' });
  }
  return Buffer.concat(chunks);
}
