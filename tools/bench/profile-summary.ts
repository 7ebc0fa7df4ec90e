/**
 * Summarises a V8 .cpuprofile (from `npm run bench -- --cpu-prof`): where the server process spent
 * its CPU, by package (self time, and time with the package anywhere on the stack) and by function.
 * Given a .heapprofile (`--heap-prof`) it does the same for bytes allocated, and divides them by
 * the HTTP requests the server received while sampling.
 *
 *   node -r @swc-node/register tools/bench/profile-summary.ts bench-results/profile-<ts>/<file>.cpuprofile [--top 25] [--focus regex]
 *
 * Async work is split at every await, so "anywhere on the stack" only covers synchronous callers.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  /** CPU: microseconds per sample; allocations: bytes per sample. */
  timeDeltas: number[];
}

interface HeapNode {
  id: number;
  callFrame: CallFrame;
  selfSize: number;
  children: HeapNode[];
}

/** A sampled allocation profile in the CPU profile's shape: one "sample" per node, weighing its bytes. */
function fromHeapProfile(head: HeapNode): Profile {
  const out: Profile = { nodes: [], samples: [], timeDeltas: [] };
  const walk = (n: HeapNode) => {
    out.nodes.push({ id: n.id, callFrame: n.callFrame, children: n.children.map((c) => c.id) });
    if (n.selfSize) {
      out.samples.push(n.id);
      out.timeDeltas.push(n.selfSize);
    }
    n.children.forEach(walk);
  };
  walk(head);
  return out;
}

/** `node_modules/@scope/name/...` → `@scope/name`; repository files by folder; V8 pseudo-frames as is. */
function owner(frame: CallFrame): string {
  const url = frame.url;
  if (!url) return frame.functionName.startsWith('(') ? frame.functionName : '(native)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const parts = url.slice(nm + 'node_modules/'.length).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  if (url.startsWith('node:')) return 'node:' + url.slice(5).split('/')[0];
  const m = /\/(libs\/[^/]+\/[^/]+|apps\/[^/]+|tools\/[^/]+)\//.exec(url);
  return m ? m[1] : url;
}

function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string', default: '25' }, focus: { type: 'string' } },
  });
  if (!positionals[0]) throw new Error('usage: profile-summary.ts <file.cpuprofile> [--top n] [--focus <regex on function/package>]');
  const top = Number(values.top);
  const focus = values.focus ? new RegExp(values.focus) : undefined;
  const raw = JSON.parse(readFileSync(positionals[0], 'utf8')) as Profile | { head: HeapNode; bulwarkRequests?: number };
  const heap = 'head' in raw;
  const profile = 'head' in raw ? fromHeapProfile(raw.head) : raw;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  const selfByPkg = new Map<string, number>();
  const inclByPkg = new Map<string, number>();
  const selfByFn = new Map<string, number>();
  const inclByFn = new Map<string, number>();
  const fnName = (f: CallFrame) => `${f.functionName || '(anonymous)'}  ${owner(f)}${f.url ? `:${f.lineNumber + 1}` : ''}`;
  let total = 0;
  let idle = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    const node = byId.get(id);
    if (!node) return;
    total += dt;
    const pkg = owner(node.callFrame);
    if (pkg === '(idle)') {
      idle += dt;
      return;
    }
    selfByPkg.set(pkg, (selfByPkg.get(pkg) ?? 0) + dt);
    const fn = fnName(node.callFrame);
    selfByFn.set(fn, (selfByFn.get(fn) ?? 0) + dt);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const frame = byId.get(cur)!.callFrame;
      for (const [key, map] of [
        [owner(frame), inclByPkg],
        [fnName(frame), inclByFn],
      ] as const) {
        if (!seen.has(key)) {
          seen.add(key);
          map.set(key, (map.get(key) ?? 0) + dt);
        }
      }
    }
  });
  const busy = total - idle;
  const requests = 'head' in raw ? raw.bulwarkRequests : undefined;
  const perRequest = (bytes: number) => (requests ? `  ${(bytes / requests / 1024).toFixed(1).padStart(7)} KB/req` : '');
  const pct = (w: number) => `${((100 * w) / busy).toFixed(1).padStart(5)}%${heap ? perRequest(w) : ''}`;
  const show = (title: string, m: Map<string, number>) => {
    process.stdout.write(`\n${title}\n`);
    const rows = [...m].filter(([k]) => !focus || focus.test(k));
    for (const [k, v] of rows.sort((a, b) => b[1] - a[1]).slice(0, top)) process.stdout.write(`  ${pct(v)}  ${k}\n`);
  };
  if (heap) {
    process.stdout.write(`allocation profile: ${(total / 2 ** 20).toFixed(1)} MB allocated${requests ? ` over ${requests} HTTP requests${perRequest(total)}` : ''}\n`);
  } else {
    process.stdout.write(`profile: ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s busy (percentages are of busy time)\n`);
  }
  const what = heap ? 'bytes allocated' : 'time';
  show(`self ${what} by package`, selfByPkg);
  show(`${what} with the package anywhere on the stack`, inclByPkg);
  show(`self ${what} by function`, selfByFn);
  show(`${what} with the function anywhere on the (synchronous) stack`, inclByFn);
}

main();
