import { invalidFilter, invalidPath } from './scim.errors';

/**
 * The parts of SCIM's filter and path grammar (RFC 7644 §3.4.2.2, §3.5.2) that identity providers
 * send: `attr eq value` joined by `and` (Microsoft Entra ID uses only these; Okta only `eq`), and
 * attribute paths with an optional schema URN, sub-attribute and value filter
 * (`emails[type eq "work"].value`, `members[value eq "…"]`). Names are case-insensitive, as SCIM's
 * are; operators too (`EQ`, `And`).
 */

export const CORE_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const CORE_GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';

export type FilterValue = string | number | boolean | null;

export interface AttrPath {
  /** The top-level attribute in its canonical spelling (`userName`), or the extension's URN. */
  attr: string;
  /** An extension schema's attribute (`urn:…:enterprise:2.0:User:department`): not kept here. */
  extension: boolean;
  /** A value filter on a multi-valued attribute: `emails[type eq "work"]`. */
  filter: Filter | null;
  sub: string | null;
}

export interface Comparison {
  path: AttrPath;
  value: FilterValue;
}

/** Comparisons that must all hold (`and`). */
export type Filter = Comparison[];

/** Every attribute name this server knows, in SCIM's spelling; others keep the spelling they came in. */
const NAMES = [
  'schemas', 'id', 'externalId', 'meta', 'userName', 'name', 'displayName', 'nickName', 'profileUrl', 'title', 'userType',
  'preferredLanguage', 'locale', 'timezone', 'active', 'password', 'emails', 'phoneNumbers', 'ims', 'photos', 'addresses',
  'groups', 'entitlements', 'roles', 'x509Certificates', 'members', 'formatted', 'familyName', 'givenName', 'middleName',
  'honorificPrefix', 'honorificSuffix', 'value', 'display', 'type', 'primary', '$ref', 'resourceType', 'created',
  'lastModified', 'location', 'version', 'department', 'manager', 'Operations', 'op', 'path',
];
const CANONICAL = new Map(NAMES.map((n) => [n.toLowerCase(), n]));
export const canonical = (name: string): string => CANONICAL.get(name.toLowerCase()) ?? name;

const MAX_FILTER_LENGTH = 2000;
const NAME_CHARS = /[A-Za-z0-9_$:.-]/;

class Scanner {
  pos = 0;
  constructor(
    readonly text: string,
    readonly fail: (detail: string) => Error,
  ) {}
  get done() {
    return this.pos >= this.text.length;
  }
  peek() {
    return this.text[this.pos];
  }
  spaces() {
    while (!this.done && /\s/.test(this.peek())) this.pos++;
  }
  word(): string {
    const start = this.pos;
    while (!this.done && NAME_CHARS.test(this.peek())) this.pos++;
    return this.text.slice(start, this.pos);
  }
  /** A JSON string literal starting at the current quote. */
  quoted(): string {
    const start = this.pos;
    this.pos++;
    while (!this.done && this.peek() !== '"') this.pos += this.peek() === '\\' ? 2 : 1;
    if (this.done) throw this.fail('A quoted value is not closed');
    this.pos++;
    try {
      return JSON.parse(this.text.slice(start, this.pos)) as string;
    } catch {
      throw this.fail('A quoted value is not a valid string');
    }
  }
}

/** Splits `urn:…:User:name.givenName` into its schema and attribute; core schemas drop away. */
function attributeOf(word: string, s: Scanner): { attr: string; extension: boolean; sub: string | null } {
  let rest = word;
  if (word.toLowerCase().startsWith('urn:')) {
    const core = [CORE_USER, CORE_GROUP].find((urn) => word.toLowerCase().startsWith(`${urn.toLowerCase()}:`));
    if (!core) {
      const i = word.lastIndexOf(':');
      return { attr: word.slice(0, i), extension: true, sub: word.slice(i + 1) || null };
    }
    rest = word.slice(core.length + 1);
  }
  const [attr, sub, ...deeper] = rest.split('.');
  if (!attr || deeper.length || sub === '') throw s.fail(`"${word}" is not an attribute path`);
  if (!/^[A-Za-z$][A-Za-z0-9_$-]*$/.test(attr) || (sub !== undefined && !/^[A-Za-z$][A-Za-z0-9_$-]*$/.test(sub))) {
    throw s.fail(`"${word}" is not an attribute path`);
  }
  return { attr: canonical(attr), extension: false, sub: sub === undefined ? null : canonical(sub) };
}

function readPath(s: Scanner): AttrPath {
  const word = s.word();
  if (!word) throw s.fail(`An attribute name is expected at position ${s.pos + 1}`);
  const head = attributeOf(word, s);
  if (s.peek() !== '[') return { ...head, filter: null };
  if (head.sub || head.extension) throw s.fail(`"${word}[" is not an attribute path`);
  s.pos++;
  const filter = readFilter(s, true);
  if (s.peek() !== ']') throw s.fail('A "[" is not closed');
  s.pos++;
  let sub: string | null = null;
  if (s.peek() === '.') {
    s.pos++;
    const w = s.word();
    if (!/^[A-Za-z$][A-Za-z0-9_$-]*$/.test(w)) throw s.fail('A sub-attribute name is expected after "]."');
    sub = canonical(w);
  }
  return { attr: head.attr, extension: false, filter, sub };
}

function readValue(s: Scanner): FilterValue {
  if (s.peek() === '"') return s.quoted();
  const start = s.pos;
  while (!s.done && !/[\s\]()]/.test(s.peek())) s.pos++;
  const raw = s.text.slice(start, s.pos);
  if (!raw) throw s.fail('A value is expected after "eq"');
  const lower = raw.toLowerCase();
  if (lower === 'true' || lower === 'false') return lower === 'true';
  if (lower === 'null') return null;
  if (/^-?\d+(\.\d+)?$/.test(raw)) return Number(raw);
  // Microsoft's documentation shows an unquoted value (`externalId eq jyoung`): taken as text.
  return raw;
}

function readFilter(s: Scanner, inBrackets: boolean): Filter {
  const out: Filter = [];
  for (;;) {
    s.spaces();
    if (s.peek() === '(') throw s.fail('Parentheses are not supported: use comparisons joined by "and"');
    if (/^not\b/i.test(s.text.slice(s.pos))) throw s.fail('"not" is not supported: use "eq" comparisons joined by "and"');
    const path = readPath(s);
    s.spaces();
    const at = s.pos;
    const op = s.word().toLowerCase();
    if (path.filter && !path.sub && (op === '' || op === 'and')) {
      // A value path on its own (`members[value eq "…"]`): its comparisons, on the attribute.
      s.pos = at;
      for (const c of path.filter) out.push({ path: { attr: path.attr, extension: false, filter: null, sub: c.path.attr }, value: c.value });
    } else {
      if (op !== 'eq') throw s.fail(op ? `The operator "${op}" is not supported: only "eq"` : 'An operator is expected after the attribute');
      s.spaces();
      out.push({ path, value: readValue(s) });
    }
    s.spaces();
    if (s.done || (inBrackets && s.peek() === ']')) return out;
    const joiner = s.word().toLowerCase();
    if (joiner === 'or') throw s.fail('"or" is not supported: only "eq" comparisons joined by "and"');
    if (joiner !== 'and') throw s.fail(`Unexpected "${s.text.slice(s.pos - joiner.length, s.pos + 10) || s.peek()}"`);
  }
}

/** A `filter` query parameter. */
export function parseFilter(text: string): Filter {
  if (text.length > MAX_FILTER_LENGTH) throw invalidFilter(`A filter is at most ${MAX_FILTER_LENGTH} characters`);
  const s = new Scanner(text, invalidFilter);
  const filter = readFilter(s, false);
  if (!s.done) throw invalidFilter(`Unexpected "${s.text.slice(s.pos, s.pos + 10)}"`);
  return filter;
}

/** A PATCH operation's `path`. */
export function parsePath(text: string): AttrPath {
  if (text.length > MAX_FILTER_LENGTH) throw invalidPath(`A path is at most ${MAX_FILTER_LENGTH} characters`);
  const s = new Scanner(text.trim(), invalidPath);
  const path = readPath(s);
  if (!s.done) throw invalidPath(`"${text}" is not an attribute path`);
  return path;
}

/** SCIM booleans, also as Microsoft Entra ID sends them without its compliance flag ("True"). */
export function booleanOf(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && /^(true|false)$/i.test(v)) return v.toLowerCase() === 'true';
  return undefined;
}

function same(actual: unknown, wanted: FilterValue): boolean {
  if (wanted === null) return actual === null || actual === undefined;
  if (typeof wanted === 'boolean' || typeof actual === 'boolean') return booleanOf(actual) !== undefined && booleanOf(actual) === booleanOf(wanted);
  if (typeof actual === 'string' || typeof actual === 'number') return String(actual).toLowerCase() === String(wanted).toLowerCase();
  return false;
}

/** Whether one value of a multi-valued attribute (`{ type, value, primary }`) passes a value filter. */
export function matchesElement(element: unknown, filter: Filter): boolean {
  if (typeof element !== 'object' || element === null) return false;
  const byName = new Map(Object.entries(element).map(([k, v]) => [k.toLowerCase(), v]));
  return filter.every((c) => !c.path.sub && !c.path.filter && same(byName.get(c.path.attr.toLowerCase()), c.value));
}

/** `attr` and `attr.sub` as one lower-case key, for comparing a filter's path with what is supported. */
export const pathKey = (p: AttrPath): string =>
  `${p.attr}${p.filter ? `[${p.filter.map((c) => `${pathKey(c.path)} eq ${String(c.value)}`).join(' and ')}]` : ''}${p.sub ? `.${p.sub}` : ''}`.toLowerCase();
