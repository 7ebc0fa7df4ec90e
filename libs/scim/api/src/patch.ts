import { canonical, matchesElement, parsePath, type AttrPath, type Filter } from './filter';
import { invalidPath, invalidSyntax, invalidValue, noTarget } from './scim.errors';

export type Doc = Record<string, unknown>;

export const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const MAX_OPERATIONS = 1000;

/** Attributes that hold lists of values (RFC 7643 §4.1.2, §4.2). */
const MULTI_VALUED = new Set(['emails', 'phoneNumbers', 'ims', 'photos', 'addresses', 'entitlements', 'roles', 'x509Certificates', 'groups', 'members', 'schemas']);

/** What a resource type accepts: attributes it keeps, and those it takes without keeping them. */
export interface ResourceAttributes {
  resource: 'User' | 'Group';
  /** Everything a request may name (kept, read-only, or accepted and not kept). */
  known: ReadonlySet<string>;
  /** Set by the server: ignored in requests (`id`, `meta`, a person's `groups`). */
  readOnly: ReadonlySet<string>;
}

export interface PatchOperation {
  op: 'add' | 'replace' | 'remove';
  path: AttrPath | null;
  value: unknown;
}

export const isObject = (v: unknown): v is Doc => typeof v === 'object' && v !== null && !Array.isArray(v);

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * A request body with SCIM's attribute names in their canonical spelling, at every level
 * (`USERNAME` and `userName` are one attribute). Two spellings of one name in one object are
 * ambiguous and refused.
 */
export function canonicalize(v: unknown, depth = 0): unknown {
  if (Array.isArray(v)) return v.map((x) => canonicalize(x, depth + 1));
  if (!isObject(v)) return v;
  const out: Doc = {};
  for (const [k, x] of Object.entries(v)) {
    if (FORBIDDEN_KEYS.has(k)) throw invalidSyntax(`"${k}" is not an attribute`);
    // Extension schemas are keyed by their URN, kept as spelled.
    const name = k.toLowerCase().startsWith('urn:') ? k : canonical(k);
    if (Object.prototype.hasOwnProperty.call(out, name)) throw invalidSyntax(`The attribute "${name}" is given twice`);
    out[name] = canonicalize(x, depth + 1);
  }
  return out;
}

/** Refuses top-level attributes the resource type does not define (RFC 7644 §3.12 invalidSyntax). */
export function checkAttributes(doc: Doc, attrs: ResourceAttributes): void {
  for (const k of Object.keys(doc)) {
    if (k.toLowerCase().startsWith('urn:')) continue; // an extension's attributes: accepted, not kept
    if (!attrs.known.has(k)) throw invalidSyntax(`"${k}" is not an attribute of a ${attrs.resource}`);
  }
}

/** A PatchOp request body (RFC 7644 §3.5.2): its operations, with `op` in any case (Entra's "Replace"). */
export function readPatch(body: unknown): PatchOperation[] {
  const doc = canonicalize(body);
  if (!isObject(doc)) throw invalidSyntax('Send a PatchOp object');
  const ops = doc.Operations;
  if (!Array.isArray(ops) || !ops.length) throw invalidSyntax('"Operations" must list at least one operation');
  if (ops.length > MAX_OPERATIONS) throw invalidValue(`At most ${MAX_OPERATIONS} operations in one request`);
  return ops.map((raw, i) => {
    if (!isObject(raw)) throw invalidSyntax(`Operation ${i + 1} is not an object`);
    const op = typeof raw.op === 'string' ? raw.op.toLowerCase() : '';
    if (op !== 'add' && op !== 'replace' && op !== 'remove') throw invalidSyntax(`Operation ${i + 1}: "op" is add, replace or remove`);
    if (raw.path !== undefined && raw.path !== null && typeof raw.path !== 'string') throw invalidPath(`Operation ${i + 1}: "path" is text`);
    const path = typeof raw.path === 'string' && raw.path.trim() ? parsePath(raw.path) : null;
    if (op !== 'remove' && raw.value === undefined) throw invalidValue(`Operation ${i + 1}: "${op}" needs a "value"`);
    return { op, path, value: raw.value };
  });
}

/**
 * Applies operations to a resource's SCIM representation, as RFC 7644 §3.5.2 describes, leniently
 * where identity providers are known to rely on it: an add or replace through a value filter that
 * matches nothing creates the value (`emails[type eq "work"].value` on a person without one), a
 * remove that matches nothing changes nothing, and a remove of `members` may list the values to
 * take out (Entra without its compliance flag). The caller then reads the result as a whole
 * replacement, so every check of a PUT applies to a PATCH too.
 */
export function applyPatch(doc: Doc, ops: PatchOperation[], attrs: ResourceAttributes): void {
  for (const { op, path, value } of ops) {
    if (path) {
      applyAt(doc, op, path, value, attrs);
      continue;
    }
    if (op === 'remove') throw noTarget('A remove needs a "path"');
    if (!isObject(value)) throw invalidValue(`A ${op} without a "path" needs an object of attributes as its "value"`);
    // Keys may be paths themselves (Entra with its compliance flag: "name.givenName").
    for (const [k, v] of Object.entries(value)) applyAt(doc, op, parsePath(k), v, attrs);
  }
}

function applyAt(doc: Doc, op: PatchOperation['op'], path: AttrPath, raw: unknown, attrs: ResourceAttributes): void {
  if (path.extension) return; // an extension's attribute: accepted, not kept
  const { attr } = path;
  if (!attrs.known.has(attr)) throw invalidPath(`"${attr}" is not an attribute of a ${attrs.resource}`);
  if (attrs.readOnly.has(attr)) return; // RFC 7643 §7: read-only values from a client are ignored
  const value = canonicalize(raw);
  const multi = MULTI_VALUED.has(attr);
  if (path.filter) {
    if (!multi) throw invalidPath(`"${attr}" has one value: it takes no filter`);
    return applyFiltered(doc, op, attr, path.filter, path.sub, value);
  }
  if (path.sub) {
    if (multi) {
      const list = listOf(doc[attr]);
      if (op === 'remove') for (const el of list) delete el[path.sub];
      else if (list.length) for (const el of list) el[path.sub] = value;
      else doc[attr] = [{ [path.sub]: value }];
      return;
    }
    const parent = isObject(doc[attr]) ? (doc[attr] as Doc) : null;
    if (op === 'remove') {
      if (parent) delete parent[path.sub];
      return;
    }
    doc[attr] = { ...(parent ?? {}), [path.sub]: value };
    return;
  }
  if (op === 'remove') {
    if (multi && value !== undefined) {
      // Entra without its compliance flag: { op: "Remove", path: "members", value: [{ value: id }] }.
      const gone = new Set(listOf(value).map((v) => String(v.value ?? '').toLowerCase()));
      doc[attr] = listOf(doc[attr]).filter((el) => !gone.has(String(el.value ?? '').toLowerCase()));
    } else delete doc[attr];
    return;
  }
  if (multi) {
    const items = value === null ? [] : Array.isArray(value) ? value : [value];
    if (!items.every(isObject)) throw invalidValue(`"${attr}" takes a list of objects`);
    if (op === 'replace') {
      doc[attr] = items;
      return;
    }
    const current = listOf(doc[attr]);
    const has = new Set(current.map((el) => JSON.stringify(el.value ?? el)));
    doc[attr] = [...current, ...items.filter((el) => !has.has(JSON.stringify(el.value ?? el)))];
    return;
  }
  // A complex attribute (`name`): the sub-attributes given replace theirs, the others stay.
  doc[attr] = isObject(value) && isObject(doc[attr]) ? { ...(doc[attr] as Doc), ...value } : value;
}

function applyFiltered(doc: Doc, op: PatchOperation['op'], attr: string, filter: Filter, sub: string | null, value: unknown): void {
  const list = listOf(doc[attr]);
  const hits = list.filter((el) => matchesElement(el, filter));
  if (op === 'remove') {
    if (sub) for (const el of hits) delete el[sub];
    else doc[attr] = list.filter((el) => !hits.includes(el));
    return;
  }
  if (!hits.length) {
    // Lenient: the filter's own equalities describe the value to create (type "work", …).
    const made: Doc = {};
    for (const c of filter) if (!c.path.sub && !c.path.filter) made[c.path.attr] = c.value;
    list.push(made);
    hits.push(made);
  }
  for (const el of hits) {
    if (sub) el[sub] = value;
    else if (isObject(value)) Object.assign(el, value);
    else throw invalidValue(`A value of "${attr}" is an object`);
  }
  doc[attr] = list;
}

const listOf = (v: unknown): Doc[] => (Array.isArray(v) ? v.filter(isObject) : []);

