/**
 * `--scenario audit-overhead` (issue 4): mutation throughput with the audit log on, against the
 * same server composed without the audit feature, measured side by side in one run (runs
 * alternate off/on). The mutation is `createTicket`: with auditing on it also captures the new
 * ticket at flush and appends one chained event (one more statement, under the tenant's chain
 * lock). Target: on ÷ off ≥ 0.8.
 */
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fetchOnce, median, run, type RunResult, type Target } from './load';
import { CREATE_TICKET_BODY, type ReadyInfo } from './query';

export const AUDIT_TARGET_RATIO = 0.8;

interface Opts {
  runs: number;
  concurrency: number;
  warmupS: number;
  durationS: number;
}

const fmt = (n: number, d: number) => (Number.isFinite(n) ? n.toFixed(d) : '-');

export async function runAuditOverhead(ready: ReadyInfo, opts: Opts, resultsDir: string, say: (s: string) => void): Promise<string> {
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${ready.token}` };
  const targets: Record<'off' | 'on', Target> = {
    off: { name: 'audit off', url: ready.baseline, headers },
    on: { name: 'audit on', url: ready.full, headers },
  };
  const bytes: Record<string, number> = {};
  for (const [k, t] of Object.entries(targets)) {
    const r = await fetchOnce(t, CREATE_TICKET_BODY);
    if (r.status !== 200 || r.text.includes('"errors"')) throw new Error(`${t.name} failed: HTTP ${r.status} ${r.text.slice(0, 400)}`);
    bytes[k] = Buffer.byteLength(r.text);
  }
  say(`checked: both servers create tickets (${bytes.on} bytes per answer)`);
  const runs: Record<'off' | 'on', RunResult[]> = { off: [], on: [] };
  for (let i = 1; i <= opts.runs; i++) {
    for (const k of ['off', 'on'] as const) {
      process.stdout.write(`measuring createTicket, audit ${k.padEnd(3)} run ${i}/${opts.runs} ... `);
      const r = await run(targets[k], CREATE_TICKET_BODY, {
        concurrency: opts.concurrency,
        warmupMs: opts.warmupS * 1000,
        durationMs: opts.durationS * 1000,
        expectedBytes: bytes[k],
      });
      runs[k].push(r);
      say(`${fmt(r.rps, 0)} req/s, p50 ${fmt(r.p50Ms, 2)} ms, p99 ${fmt(r.p99Ms, 2)} ms${r.errors ? `, ${r.errors} ERRORS (${r.firstError})` : ''}`);
    }
  }
  const rps = (k: 'off' | 'on') => median(runs[k].map((r) => r.rps));
  const ratio = rps('on') / rps('off');
  const paired = median(runs.on.map((r, i) => r.rps / runs.off[i].rps));
  const errors = [...runs.on, ...runs.off].reduce((a, r) => a + r.errors, 0);
  say('');
  say(`audit off: ${fmt(rps('off'), 0)} req/s (runs ${runs.off.map((r) => fmt(r.rps, 0)).join(', ')}), p50 ${fmt(median(runs.off.map((r) => r.p50Ms)), 2)} ms`);
  say(`audit on:  ${fmt(rps('on'), 0)} req/s (runs ${runs.on.map((r) => fmt(r.rps, 0)).join(', ')}), p50 ${fmt(median(runs.on.map((r) => r.p50Ms)), 2)} ms`);
  say(
    `\nHeadline: createTicket with auditing on at ${fmt(ratio, 2)}× the throughput with it off (paired runs: ${fmt(paired, 2)}×); ` +
      `${ratio >= AUDIT_TARGET_RATIO ? 'meets' : 'is BELOW'} the ${AUDIT_TARGET_RATIO} target.`,
  );
  if (errors) say(`WARNING: ${errors} request(s) failed during measurement.`);
  const file = join(resultsDir, `bench-audit-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(
    file,
    JSON.stringify(
      { scenario: 'audit-overhead', options: opts, machine: { cpus: cpus().length, node: process.version, loadavg: loadavg(), postgres: ready.postgres }, ratio, paired, targetRatio: AUDIT_TARGET_RATIO, errors, runs },
      null,
      2,
    ) + '\n',
  );
  return file;
}
