/**
 * `--scenario rate-limits` (issue 18): the 50-ticket list with rate limiting on, against the same
 * server with it off (BULWARK_RATE_LIMITS=off), both on one database, measured in one run with
 * runs alternating off/on, so drift in the machine's load touches both. The "on" server charges
 * every request its cost (853 points at page 50) to the agent's and the tenant's counters in the
 * shared store (PostgreSQL, or Redis when BULWARK_REDIS_URL is set for the bench), with budgets
 * set out of reach: what is measured is the cost of counting, not of refusing. Target: on ÷ off ≥ 0.95.
 */
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fetchOnce, median, run, type RunResult, type Target } from './load';
import { listBody, type ReadyInfo } from './query';

export const RATE_LIMITS_TARGET_RATIO = 0.95;
export const RATE_LIMITS_PAGE = 50;

interface Opts {
  runs: number;
  concurrency: number;
  warmupS: number;
  durationS: number;
}

const fmt = (n: number, d: number) => (Number.isFinite(n) ? n.toFixed(d) : '-');

export async function runRateLimits(ready: ReadyInfo, opts: Opts, resultsDir: string, say: (s: string) => void): Promise<string> {
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${ready.token}` };
  const targets: Record<'off' | 'on', Target> = {
    off: { name: 'limits off', url: ready.baseline, headers },
    on: { name: 'limits on', url: ready.full, headers },
  };
  const body = listBody(RATE_LIMITS_PAGE);
  const bytes: Record<string, number> = {};
  for (const [k, t] of Object.entries(targets)) {
    const r = await fetchOnce(t, body);
    if (r.status !== 200 || r.text.includes('"errors"')) throw new Error(`${t.name} failed: HTTP ${r.status} ${r.text.slice(0, 400)}`);
    bytes[k] = Buffer.byteLength(r.text);
  }
  if (bytes.on !== bytes.off) throw new Error(`the two servers answer differently (${bytes.on} and ${bytes.off} bytes)`);
  say(`checked: both servers list ${RATE_LIMITS_PAGE} tickets alike (${bytes.on} bytes per answer)`);
  const runs: Record<'off' | 'on', RunResult[]> = { off: [], on: [] };
  for (let i = 1; i <= opts.runs; i++) {
    for (const k of ['off', 'on'] as const) {
      process.stdout.write(`measuring the ${RATE_LIMITS_PAGE}-ticket list, limits ${k.padEnd(3)} run ${i}/${opts.runs} ... `);
      const r = await run(targets[k], body, { concurrency: opts.concurrency, warmupMs: opts.warmupS * 1000, durationMs: opts.durationS * 1000, expectedBytes: bytes[k] });
      runs[k].push(r);
      say(`${fmt(r.rps, 0)} req/s, p50 ${fmt(r.p50Ms, 2)} ms, p99 ${fmt(r.p99Ms, 2)} ms${r.errors ? `, ${r.errors} ERRORS (${r.firstError})` : ''}`);
    }
  }
  const rps = (k: 'off' | 'on') => median(runs[k].map((r) => r.rps));
  const ratio = rps('on') / rps('off');
  const pairs = runs.on.map((r, i) => r.rps / runs.off[i].rps);
  const paired = median(pairs);
  const errors = [...runs.on, ...runs.off].reduce((a, r) => a + r.errors, 0);
  say('');
  say(`limits off: ${fmt(rps('off'), 0)} req/s (runs ${runs.off.map((r) => fmt(r.rps, 0)).join(', ')}), p50 ${fmt(median(runs.off.map((r) => r.p50Ms)), 2)} ms`);
  say(`limits on:  ${fmt(rps('on'), 0)} req/s (runs ${runs.on.map((r) => fmt(r.rps, 0)).join(', ')}), p50 ${fmt(median(runs.on.map((r) => r.p50Ms)), 2)} ms`);
  say(`pairs (on ÷ off, back to back): ${pairs.map((p) => fmt(p, 3)).join(', ')}`);
  say(
    `\nHeadline: the ${RATE_LIMITS_PAGE}-ticket list with rate limiting on (${process.env.BULWARK_REDIS_URL ? 'Redis' : 'PostgreSQL'} store) at ` +
      `${fmt(paired, 3)}× its throughput with it off, paired (ratio of medians ${fmt(ratio, 3)}×); ` +
      `${paired >= RATE_LIMITS_TARGET_RATIO ? 'meets' : 'is BELOW'} the ${RATE_LIMITS_TARGET_RATIO} target.`,
  );
  if (errors) say(`WARNING: ${errors} request(s) failed during measurement.`);
  const file = join(resultsDir, `bench-rate-limits-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(
    file,
    JSON.stringify(
      {
        scenario: 'rate-limits',
        store: process.env.BULWARK_REDIS_URL ? 'redis' : 'postgres',
        options: opts,
        machine: { cpus: cpus().length, node: process.version, loadavg: loadavg(), postgres: ready.postgres },
        ratio,
        paired,
        pairs,
        targetRatio: RATE_LIMITS_TARGET_RATIO,
        errors,
        runs,
      },
      null,
      2,
    ) + '\n',
  );
  return file;
}
