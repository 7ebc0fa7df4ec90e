/**
 * Summarises a V8 .cpuprofile (from `npm run bench -- --cpu-prof`): where the server process spent
 * its CPU, by package (self time, and time with the package anywhere on the stack) and by function.
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
  timeDeltas: number[];
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
  const profile = JSON.parse(readFileSync(positionals[0], 'utf8')) as Profile;
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
  const pct = (us: number) => `${((100 * us) / busy).toFixed(1).padStart(5)}%`;
  const show = (title: string, m: Map<string, number>) => {
    process.stdout.write(`\n${title}\n`);
    const rows = [...m].filter(([k]) => !focus || focus.test(k));
    for (const [k, v] of rows.sort((a, b) => b[1] - a[1]).slice(0, top)) process.stdout.write(`  ${pct(v)}  ${k}\n`);
  };
  process.stdout.write(`profile: ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s busy (percentages are of busy time)\n`);
  show('self time by package', selfByPkg);
  show('time with the package anywhere on the stack', inclByPkg);
  show('self time by function', selfByFn);
  show('time with the function anywhere on the (synchronous) stack', inclByFn);
}

main();
