/**
 * BULWARK_HEAP_GROWTH_PERCENT (heap.ts) takes effect when set at run time: with a fixed growth of
 * 100% the old generation may double past its live size before a full collection, with 10% it may
 * not. Measured in a child process of its own (nothing else allocating), counting full collections
 * while about half the live size of old-generation garbage accumulates.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadConfig } from './config';

const CHILD = `
const { applyHeapGrowth } = require(${JSON.stringify(join(__dirname, 'heap.ts'))});
const { PerformanceObserver, constants } = require('node:perf_hooks');
const live = [];
for (let i = 0; i < 500000; i++) live.push({ i, text: 'live ' + i }); // ~35 MB that stays
gc();
applyHeapGrowth(Number(process.argv[process.argv.length - 1]));
gc(); // the limit is computed at the end of a full collection
let full = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) if (e.detail.kind === constants.NODE_PERFORMANCE_GC_MAJOR) full++;
}).observe({ entryTypes: ['gc'] });
// Objects that live through a few young collections (so they are promoted) and then die.
const ring = new Array(20000);
let k = 0;
(function step(round) {
  for (let j = 0; j < 1000; j++) ring[k++ % ring.length] = { k, list: [k, k + 1, k + 2, k + 3] };
  for (let j = 0; j < 3; j++) gc({ type: 'minor' });
  if (round < 150) setImmediate(step, round + 1);
  else setTimeout(() => process.stdout.write('FULL ' + full + '\\n'), 50);
})(0);
`;

async function fullCollections(percent: number): Promise<number> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--expose-gc', '-r', '@swc-node/register', '-e', CHILD, String(percent)],
    { cwd: join(__dirname, '../../../..'), timeout: 60_000 },
  );
  const line = stdout.split('\n').find((l) => l.startsWith('FULL '));
  expect(line).toBeDefined();
  return Number(line!.slice(5));
}

it('defaults to 100% and is range-checked', () => {
  expect(loadConfig({ NODE_ENV: 'test' }).heapGrowthPercent).toBe(100);
  expect(loadConfig({ NODE_ENV: 'test', BULWARK_HEAP_GROWTH_PERCENT: '0' }).heapGrowthPercent).toBe(0);
  expect(() => loadConfig({ NODE_ENV: 'test', BULWARK_HEAP_GROWTH_PERCENT: '1000' })).toThrow(/BULWARK_HEAP_GROWTH_PERCENT/);
});

it('a fixed growth set at run time decides when the next full collection comes', async () => {
  const [tight, roomy] = await Promise.all([fullCollections(10), fullCollections(100)]);
  expect(tight).toBeGreaterThan(0);
  expect(roomy).toBe(0);
}, 90_000);
