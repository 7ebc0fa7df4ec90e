#!/usr/bin/env node
// `npm install` runs this (postinstall). It rewrites a few lines of dependencies that make every
// request's objects outlive V8's young-generation collections; see tools/bench/README.md
// ("Closures assigned to properties").
//
// Why: V8's parser allocates a function literal written straight into a property
// (`obj.method = function () {…}`, `obj.fn = () => …`) in the old generation, on the guess that it
// is a long-lived method. When the literal runs per request, each such closure is old-generation
// garbage the moment the request ends, yet young-generation collections treat it as live until the
// next full collection, and with it everything its scope reaches: the request's whole graph, which
// then gets promoted. knex does this on every transaction (`trxClient.query = function …` and a
// hundred-odd more in makeKnex), and every GraphQL operation here runs in one.
//
// The fix changes no behaviour: `obj.method = (0, function () {…})` is the same value, but the
// right-hand side is no longer a bare function literal, so V8 allocates the closure young and it
// dies young. Each file lists how many literals it expects to wrap; a dependency that has changed
// is left alone with a warning (and platform-api's promotion test then says what it costs).
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

const MARK = '/* bulwark: closures assigned to properties wrapped, see tools/scripts/patch-deps.mjs */\n';

/** Files (relative to node_modules) and how many property-assigned function literals each holds. */
const PATCHES = [
  { file: 'knex/lib/execution/transaction.js', literals: 12 },
  { file: 'knex/lib/knex-builder/make-knex.js', literals: 1 },
];

// `<indent><a.b | a[b] | a.b.c> = ` then `function …{`, `async function …{`, `(…) => {` or `(…) => expr;`
const ASSIGNED_LITERAL =
  /^([ \t]+[\w$]+(?:\.[\w$]+|\[[\w$]+\])+[ \t]*=[ \t]*)((?:async[ \t]+)?(?:function\b[^{\n]*|\([^()\n]*\)[ \t]*=>[ \t]*))(\{?)/gm;

/** Index just past the `}` that closes the block whose `{` is at `open` (skips strings and comments). */
function closeOf(src, open) {
  let depth = 0;
  for (let i = open; i < src.length; i++) {
    const c = src[i];
    if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return i + 1;
    else if (c === '"' || c === "'" || c === '`') {
      for (i++; src[i] !== c; i++) if (src[i] === '\\') i++;
    } else if (c === '/' && src[i + 1] === '/') i = src.indexOf('\n', i);
    else if (c === '/' && src[i + 1] === '*') i = src.indexOf('*/', i) + 1;
  }
  throw new Error('unbalanced braces');
}

/** Wraps each function literal assigned straight to a property in `(0, …)`. */
function wrapAssignedLiterals(src) {
  let out = '';
  let pos = 0;
  let count = 0;
  for (const m of src.matchAll(ASSIGNED_LITERAL)) {
    if (m.index < pos) continue; // nested in a literal already wrapped
    const start = m.index + m[1].length;
    const end = m[3] === '{' ? closeOf(src, m.index + m[0].length - 1) : src.indexOf(';', start);
    out += src.slice(pos, start) + '(0, ' + src.slice(start, end) + ')';
    pos = end;
    count++;
  }
  return { text: out + src.slice(pos), count };
}

function patchFile(path, expected) {
  const src = readFileSync(path, 'utf8');
  if (src.startsWith(MARK)) return 'already patched';
  const { text, count } = wrapAssignedLiterals(src);
  if (count !== expected) return `skipped: found ${count} property-assigned function literals, expected ${expected} (the package changed)`;
  new Script(text, { filename: path }); // a syntax error throws here, before anything is written
  writeFileSync(path, MARK + text);
  return `wrapped ${count}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const modules = join(resolve(dirname(fileURLToPath(import.meta.url)), '../..'), 'node_modules');
  for (const { file, literals } of PATCHES) {
    let outcome;
    try {
      outcome = patchFile(join(modules, file), literals);
    } catch (error) {
      outcome = `skipped: ${error instanceof Error ? error.message : String(error)}`;
    }
    const line = `patch-deps: ${file}: ${outcome}`;
    if (outcome.startsWith('skipped')) console.warn(`WARNING ${line}`);
    else console.log(line);
  }
}
