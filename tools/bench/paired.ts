/**
 * The paired on/off scenarios: one server with a feature on and the same server with it off, on
 * one database, measured side by side in one run with runs alternating off/on, so drift in the
 * machine's load touches both. Each pair (on ÷ off, back to back) is a ratio; the headline is
 * their median, with the ratio of medians beside it.
 *
 * - `audit-overhead` (issue 4): `createTicket` with the audit log on, against the server composed
 *   without the audit feature; with it on a ticket is also captured at flush and one chained event
 *   is appended (one more statement, under the tenant's chain lock). Target ≥ 0.8.
 * - `rate-limits` (issue 18): the 50-ticket list with rate limiting on, against the same server
 *   with it off (BULWARK_RATE_LIMITS=off). The "on" server charges every request its cost (853
 *   points at page 50) to the agent's and the tenant's counters in the shared store (PostgreSQL,
 *   or Redis when BULWARK_REDIS_URL is set for the bench), with budgets set out of reach: what is
 *   measured is the cost of counting, not of refusing. Target ≥ 0.95.
 */
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fetchOnce, median, run, type RunResult, type Target } from './load';
import { CREATE_TICKET_BODY, listBody, type ReadyInfo } from './query';

export interface PairedScenario {
  scenario: 'audit-overhead' | 'rate-limits';
  /** The feature switched, as the lines name it ("audit", "limits"). */
  feature: string;
  /** What is measured, in words. */
  what: string;
  body: string;
  targetRatio: number;
  /** Both servers must answer byte for byte alike (a read), or only both succeed (a create). */
  sameAnswers: boolean;
  /** Extra fields of the results file. */
  extra?: Record<string, unknown>;
}

export const RATE_LIMITS_PAGE = 50;
const store = () => (process.env.BULWARK_REDIS_URL ? 'Redis' : 'PostgreSQL');

export const AUDIT_OVERHEAD: PairedScenario = {
  scenario: 'audit-overhead',
  feature: 'audit',
  what: 'createTicket',
  body: CREATE_TICKET_BODY,
  targetRatio: 0.8,
  sameAnswers: false,
};

export const rateLimitsScenario = (): PairedScenario => ({
  scenario: 'rate-limits',
  feature: 'limits',
  what: `the ${RATE_LIMITS_PAGE}-ticket list (${store()} store)`,
  body: listBody(RATE_LIMITS_PAGE),
  targetRatio: 0.95,
  sameAnswers: true,
  extra: { store: store().toLowerCase() },
});

interface Opts {
  runs: number;
  concurrency: number;
  warmupS: number;
  durationS: number;
}

const fmt = (n: number, d: number) => (Number.isFinite(n) ? n.toFixed(d) : '-');

export async function runPaired(s: PairedScenario, ready: ReadyInfo, opts: Opts, resultsDir: string, say: (s: string) => void): Promise<string> {
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${ready.token}` };
  const targets: Record<'off' | 'on', Target> = {
    off: { name: `${s.feature} off`, url: ready.baseline, headers },
    on: { name: `${s.feature} on`, url: ready.full, headers },
  };
  const bytes: Record<string, number> = {};
  for (const [k, t] of Object.entries(targets)) {
    const r = await fetchOnce(t, s.body);
    if (r.status !== 200 || r.text.includes('"errors"')) throw new Error(`${t.name} failed: HTTP ${r.status} ${r.text.slice(0, 400)}`);
    bytes[k] = Buffer.byteLength(r.text);
  }
  if (s.sameAnswers && bytes.on !== bytes.off) throw new Error(`the two servers answer differently (${bytes.on} and ${bytes.off} bytes)`);
  say(`checked: both servers answer ${s.what} (${bytes.on} bytes per answer)`);
  const runs: Record<'off' | 'on', RunResult[]> = { off: [], on: [] };
  for (let i = 1; i <= opts.runs; i++) {
    for (const k of ['off', 'on'] as const) {
      process.stdout.write(`measuring ${s.what}, ${s.feature} ${k.padEnd(3)} run ${i}/${opts.runs} ... `);
      const r = await run(targets[k], s.body, { concurrency: opts.concurrency, warmupMs: opts.warmupS * 1000, durationMs: opts.durationS * 1000, expectedBytes: bytes[k] });
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
  for (const k of ['off', 'on'] as const) {
    say(`${`${s.feature} ${k}:`.padEnd(s.feature.length + 5)} ${fmt(rps(k), 0)} req/s (runs ${runs[k].map((r) => fmt(r.rps, 0)).join(', ')}), p50 ${fmt(median(runs[k].map((r) => r.p50Ms)), 2)} ms`);
  }
  say(`pairs (on ÷ off, back to back): ${pairs.map((p) => fmt(p, 3)).join(', ')}`);
  say(
    `\nHeadline: ${s.what} with ${s.feature} on at ${fmt(paired, 3)}× its throughput with it off, paired (ratio of medians ${fmt(ratio, 3)}×); ` +
      `${paired >= s.targetRatio ? 'meets' : 'is BELOW'} the ${s.targetRatio} target.`,
  );
  if (errors) say(`WARNING: ${errors} request(s) failed during measurement.`);
  const file = join(resultsDir, `bench-${s.scenario}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  const machine = { cpus: cpus().length, node: process.version, loadavg: loadavg(), postgres: ready.postgres };
  writeFileSync(file, JSON.stringify({ scenario: s.scenario, ...s.extra, options: opts, machine, ratio, paired, pairs, targetRatio: s.targetRatio, errors, runs }, null, 2) + '\n');
  return file;
}
