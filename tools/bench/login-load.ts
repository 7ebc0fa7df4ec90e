/**
 * `npm run bench -- --scenario login-load`: does hashing block other requests? (SECURITY.md A8,
 * and the acceptance line: with 16 logins hashing at once, a concurrent `me` query's p99 stays
 * under 1.5× its idle p99.)
 *
 * Runs alternate, idle then loaded, `runs` times each:
 *   - idle: `me` (agent's bearer token) on a fixed schedule of `meRate` per second (open loop);
 *   - loaded: the same stream while `logins` closed-loop workers sign in with the right password,
 *     each as its own user (cost-12 hashes, the server's pepper), as fast as the server answers.
 * Only `me` is timed; sign-ins are counted. The ratio is median loaded p99 ÷ median idle p99.
 *
 * Evidence for each measured window, to explain a ratio over target:
 *   - from the server process (IPC): event-loop delay (monitorEventLoopDelay), the ORM pool's
 *     connections in use and waiting acquires, and its CPU time (all threads);
 *   - from /proc (Linux): the server's main thread CPU and run-queue wait (schedstat), its other
 *     threads' CPU (libuv's pool, where bcrypt runs, and V8's helpers), and the machine's busy share.
 */
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { startBackgroundProcess } from './background-process';
import { fetchOnce, median, percentile, runOpenLoop, SLOWEST_KEPT, type OpenLoopResult, type Target } from './load';
import { loginBody, meBody, ME_QUERY, LOGIN_MUTATION, type ReadyInfo, type WindowCommand, type WindowStats } from './query';

export const TARGET_P99_RATIO = 1.5;

export interface LoginLoadOptions {
  durationS: number;
  warmupS: number;
  runs: number;
  logins: number;
  meRate: number;
  threadpool?: number;
  quick: boolean;
}

const say = (msg: string) => process.stdout.write(`${msg}\n`);
const fmt = (n: number | undefined, digits = 1) => (n !== undefined && Number.isFinite(n) ? n.toFixed(digits) : '-');
const pad = (s: string, w: number) => (s.length >= w ? s : ' '.repeat(w - s.length) + s);
const stamp = () => new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'z').toLowerCase();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ------------------------------------------------------------------------------ /proc readings

interface ThreadTimes {
  /** Per thread id: CPU time and time runnable but waiting for a CPU, in ns (schedstat). */
  threads: Map<number, { runNs: number; waitNs: number }>;
  /** Machine-wide jiffies from /proc/stat: busy and total. */
  busy: number;
  total: number;
}

function readThreadTimes(pid: number): ThreadTimes | undefined {
  try {
    const threads = new Map<number, { runNs: number; waitNs: number }>();
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        const [run, wait] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').trim().split(/\s+/).map(Number);
        threads.set(Number(tid), { runNs: run, waitNs: wait });
      } catch {
        // the thread ended between readdir and read
      }
    }
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const idle = cpu[3] + (cpu[4] ?? 0); // idle + iowait
    const total = cpu.slice(0, 8).reduce((a, b) => a + b, 0); // guest time is already in user
    return { threads, busy: total - idle, total };
  } catch {
    return undefined; // not Linux, or no schedstat
  }
}

interface ProcStats {
  /** Main thread (the event loop): share of the window it ran, and share it sat runnable without a CPU. */
  mainCpu: number;
  mainRunQueueWait: number;
  /** All other threads of the server process, in CPUs (1.0 = one core busy all window). */
  otherThreadsCpus: number;
  /** Threads other than the main one that ran more than 20% of the window. */
  busyOtherThreads: number;
  /** The whole machine: share of all CPUs busy (every process, PostgreSQL and the load generator included). */
  machineBusy: number;
}

function diffProc(pid: number, a: ThreadTimes | undefined, b: ThreadTimes | undefined, windowMs: number): ProcStats | undefined {
  if (!a || !b) return undefined;
  const windowNs = windowMs * 1e6;
  let mainRun = 0;
  let mainWait = 0;
  let other = 0;
  let busyOther = 0;
  for (const [tid, t] of b.threads) {
    const before = a.threads.get(tid) ?? { runNs: 0, waitNs: 0 };
    const run = t.runNs - before.runNs;
    if (tid === pid) {
      mainRun = run;
      mainWait = t.waitNs - before.waitNs;
    } else {
      other += run;
      if (run > 0.2 * windowNs) busyOther++;
    }
  }
  return {
    mainCpu: mainRun / windowNs,
    mainRunQueueWait: mainWait / windowNs,
    otherThreadsCpus: other / windowNs,
    busyOtherThreads: busyOther,
    machineBusy: (b.busy - a.busy) / Math.max(1, b.total - a.total),
  };
}

// ------------------------------------------------------------------------------ the runs

/**
 * The p99 of every answer of these runs together: the ceil(n/100)-th slowest of n, found among
 * each window's slowest answers (load.ts keeps SLOWEST_KEPT). NaN when they cannot hold it.
 */
function pooledP99(runs: RunRecord[], slowest: (r: RunRecord) => { ms: number }[] | undefined): number {
  const n = runs.reduce((a, r) => a + r.me.requests, 0);
  const rank = n - Math.ceil(0.99 * n) + 1; // 1 = the slowest
  const kept = runs.flatMap((r) => slowest(r) ?? []).map((x) => x.ms);
  if (rank > SLOWEST_KEPT || kept.length < rank || kept.some((ms) => Number.isNaN(ms))) return NaN;
  return kept.sort((a, b) => b - a)[rank - 1];
}

/** `me` as the server itself timed it (diagnostics channel in serve.ts), and the client's slowest matched to it. */
interface ServerSide {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** The client's slowest answers, each with its time inside the server (undefined: no match found). */
  slowest: { atMs: number; ms: number; serverMs?: number }[];
  /** The server's own slowest times, slowest first. */
  top: { ms: number }[];
}

/**
 * Matches each of the client's slowest answers to the server's timing of the same request: the
 * one that started after it was sent (1 ms of slack between the two processes' clocks) and whose
 * end lies closest to the answer's arrival.
 */
function serverSide(me: OpenLoopResult, timings: [number, number][] | undefined): ServerSide | undefined {
  if (!timings?.length) return undefined;
  const sorted = Float64Array.from(timings.map(([, ms]) => ms)).sort();
  const slowest = me.slowest.map(({ atMs, ms }) => {
    let best: number | undefined;
    let bestGap = Infinity;
    for (const [start, serverMs] of timings) {
      if (start < atMs - 1 || start > atMs + ms) continue;
      const gap = Math.abs(start + serverMs - (atMs + ms));
      if (gap < bestGap) [best, bestGap] = [serverMs, gap];
    }
    return { atMs, ms, serverMs: best };
  });
  const top = Array.from(sorted.slice(-SLOWEST_KEPT), (ms) => ({ ms })).reverse();
  return { p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99), maxMs: sorted[sorted.length - 1], slowest, top };
}

interface RunRecord {
  kind: 'idle' | 'loaded';
  index: number;
  me: OpenLoopResult;
  /** The same `me` requests timed inside the server. */
  meInServer?: ServerSide;
  logins: { ok: number; errors: number; perS: number; firstError?: string };
  server?: Omit<WindowStats, 'type' | 'run' | 'meTimings'>;
  proc?: ProcStats;
}

/** Window marks to the server process, and its answer for that window (or undefined after 5 s). */
function windowProbe(child: ChildProcess) {
  const waiting = new Map<string, (s: WindowStats) => void>();
  child.on('message', (message) => {
    const m = message as WindowStats;
    if (m?.type === 'window-stats') waiting.get(m.run)?.(m);
  });
  return {
    start(run: string) {
      child.send({ type: 'window-start', run } satisfies WindowCommand);
    },
    end(run: string): Promise<WindowStats | undefined> {
      const answer = new Promise<WindowStats | undefined>((resolve) => {
        const timer = setTimeout(() => resolve(undefined), 5000);
        waiting.set(run, (s) => {
          clearTimeout(timer);
          waiting.delete(run);
          resolve(s);
        });
      });
      child.send({ type: 'window-end', run } satisfies WindowCommand);
      return answer;
    },
  };
}

export async function runLoginLoad(ready: ReadyInfo, opts: LoginLoadOptions, child: ChildProcess, resultsDir: string): Promise<string> {
  const started = new Date();
  const login = ready.login;
  if (!login || login.emails.length < opts.logins) throw new Error('the server process seeded no sign-in users');
  const pid = child.pid!;
  const json = { 'content-type': 'application/json' };
  const meTarget: Target = { name: 'me', url: ready.full, headers: { ...json, authorization: `Bearer ${ready.token}` } };
  const loginTarget: Target = { name: 'login', url: ready.full, headers: json };
  const loginBodies = login.emails.slice(0, opts.logins).map((email) => loginBody(login.tenant, email, login.password));
  const loginOk = (text: string) => text.includes('"token":"') && !text.includes('"errors"');

  // Before measuring: `me` answers the agent, and one sign-in with the right password works.
  const meAnswer = await fetchOnce(meTarget, meBody());
  if (meAnswer.status !== 200 || meAnswer.text.includes('"errors"') || !meAnswer.text.includes('"email":"agent01@bench.test"')) {
    throw new Error(`me failed: HTTP ${meAnswer.status} ${meAnswer.text.slice(0, 500)}`);
  }
  const expectedBytes = Buffer.byteLength(meAnswer.text);
  const t0 = performance.now();
  const loginAnswer = await fetchOnce(loginTarget, loginBodies[0]);
  if (loginAnswer.status !== 200 || !loginOk(loginAnswer.text)) throw new Error(`login failed: HTTP ${loginAnswer.status} ${loginAnswer.text.slice(0, 500)}`);
  say(`checked: me answers ${expectedBytes} bytes; one sign-in (bcrypt cost ${login.bcryptCost}) took ${fmt(performance.now() - t0, 0)} ms alone`);

  const probe = windowProbe(child);
  const records: RunRecord[] = [];
  // Sign-ins come from a process of their own: this one only sends and times `me`, in every run.
  const signIns = startBackgroundProcess();
  try {
    for (let i = 1; i <= opts.runs; i++) {
      for (const kind of ['idle', 'loaded'] as const) {
        const run = `${kind}-${i}`;
        process.stdout.write(`run ${i}/${opts.runs} ${kind.padEnd(6)} ${kind === 'loaded' ? `(${opts.logins} sign-ins in flight) ` : ''}... `);
        const background = kind === 'loaded' ? signIns.start(loginTarget, loginBodies, ['"token":"'], ['"errors"']) : undefined;
        let winStart = 0;
        let winEnd = 0;
        let procA: ThreadTimes | undefined;
        let procB: ThreadTimes | undefined;
        let serverStats: Promise<WindowStats | undefined> = Promise.resolve(undefined);
        const me = await runOpenLoop(meTarget, meBody(), {
          ratePerS: opts.meRate,
          warmupMs: opts.warmupS * 1000,
          durationMs: opts.durationS * 1000,
          expectedBytes,
          // As long as the server's own request timeout: a stalled `me` is a long latency, not a gap.
          requestTimeoutMs: 30_000,
          onWindowStart: () => {
            winStart = performance.now();
            probe.start(run);
            procA = readThreadTimes(pid);
          },
          onWindowEnd: () => {
            winEnd = performance.now();
            procB = readThreadTimes(pid);
            serverStats = probe.end(run);
          },
        });
        const server = await serverStats;
        const counted = background?.countBetween(winStart, winEnd) ?? { ok: 0, errors: 0 };
        const firstLoginError = background?.firstError();
        // Sign-ins stop before the next run: the ones in flight finish (each bounded by a timeout).
        await background?.stop();
        const windowMs = winEnd - winStart;
        const record: RunRecord = {
          kind,
          index: i,
          me,
          logins: { ...counted, perS: counted.ok / (windowMs / 1000), firstError: firstLoginError },
          meInServer: serverSide(me, server?.meTimings),
          server: server && { eventLoopDelay: server.eventLoopDelay, pool: server.pool, cpu: server.cpu, windowMs: server.windowMs, gcs: server.gcs, slowSql: server.slowSql },
          proc: diffProc(pid, procA, procB, windowMs),
        };
        records.push(record);
        say(
          `me: ${me.requests} ok${me.errors ? `, ${me.errors} ERRORS (${me.firstError})` : ''}${me.skipped ? `, ${me.skipped} skipped` : ''}, ` +
            `p50 ${fmt(me.p50Ms, 2)} ms, p99 ${fmt(me.p99Ms, 2)} ms, max ${fmt(me.maxMs, 1)} ms` +
            (kind === 'loaded' ? `; sign-ins ${fmt(record.logins.perS, 1)}/s${counted.errors ? `, ${counted.errors} FAILED (${firstLoginError})` : ''}` : '') +
            (server ? `; event-loop delay p99 ${fmt(server.eventLoopDelay.p99Ms, 1)} ms, pool waiters ${fmt(server.pool.meanPendingAcquires, 1)}` : '') +
            (record.proc ? `; machine ${fmt(record.proc.machineBusy * 100, 0)}% busy` : ''),
        );
        const inServer = record.meInServer;
        if (inServer) {
          const t0 = performance.timeOrigin + winStart;
          say(
            `    in the server: p50 ${fmt(inServer.p50Ms, 2)} ms, p99 ${fmt(inServer.p99Ms, 2)} ms, max ${fmt(inServer.maxMs, 1)} ms; ` +
              `slowest 8 (client ms / server ms @ s into window): ` +
              inServer.slowest
                .slice(0, 8)
                .map((x) => `${fmt(x.ms, 0)}/${fmt(x.serverMs, 0)}@${fmt((x.atMs - t0) / 1000, 1)}`)
                .join(' ') +
              `; GCs ≥ 5 ms (ms @ s): ${server?.gcs.map(([at, ms, kind]) => `${fmt(ms, 0)}k${kind}@${fmt((at - t0) / 1000, 1)}`).join(' ') || 'none'}` +
              `; loop delay max ${fmt(server?.eventLoopDelay.maxMs, 0)} ms` +
              `; SQL ≥ 10 ms: ${server?.slowSql.length ?? '-'}${server?.slowSql.length ? ` (${server.slowSql.slice(0, 6).map(([at, ms, sql]) => `${fmt(ms, 0)}@${fmt((at - t0) / 1000, 1)} ${sql.split(/\s+/).slice(0, 3).join(' ')}`).join('; ')})` : ''}`,
          );
        }
        // A pause, so the next run starts on a quiet server.
        await sleep(1000);
      }
    }

  } finally {
    signIns.close();
  }

  // ------------------------------------------------------------------------------ the report
  const of = (kind: RunRecord['kind']) => records.filter((r) => r.kind === kind);
  const idle = of('idle');
  const loaded = of('loaded');
  const med = (rs: RunRecord[], f: (r: RunRecord) => number | undefined) => median(rs.map(f).filter((v): v is number => v !== undefined && Number.isFinite(v)));
  const summary = (rs: RunRecord[]) => ({
    p50Ms: med(rs, (r) => r.me.p50Ms),
    p99Ms: med(rs, (r) => r.me.p99Ms),
    maxMs: med(rs, (r) => r.me.maxMs),
    meRequests: rs.reduce((a, r) => a + r.me.requests, 0),
    meErrors: rs.reduce((a, r) => a + r.me.errors + r.me.skipped, 0),
    loginsPerS: med(rs, (r) => r.logins.perS),
    logins: rs.reduce((a, r) => a + r.logins.ok, 0),
    loginErrors: rs.reduce((a, r) => a + r.logins.errors, 0),
    eventLoopDelayP99Ms: med(rs, (r) => r.server?.eventLoopDelay.p99Ms),
    eventLoopDelayMaxMs: med(rs, (r) => r.server?.eventLoopDelay.maxMs),
    poolMeanUsed: med(rs, (r) => r.server?.pool.meanUsed),
    poolMeanWaiters: med(rs, (r) => r.server?.pool.meanPendingAcquires),
    poolShareWithWaiters: med(rs, (r) => r.server?.pool.shareWithWaiters),
    serverCpus: med(rs, (r) => (r.server ? (r.server.cpu.userMs + r.server.cpu.systemMs) / r.server.windowMs : undefined)),
    mainThreadCpu: med(rs, (r) => r.proc?.mainCpu),
    mainThreadRunQueueWait: med(rs, (r) => r.proc?.mainRunQueueWait),
    otherThreadsCpus: med(rs, (r) => r.proc?.otherThreadsCpus),
    machineBusy: med(rs, (r) => r.proc?.machineBusy),
  });
  const si = summary(idle);
  const sl = summary(loaded);
  const medianRatio = sl.p99Ms / si.p99Ms;
  const paired = median(loaded.map((r, k) => r.me.p99Ms / idle[k].me.p99Ms));
  const pooled = { idle: pooledP99(idle, (r) => r.me.slowest), loaded: pooledP99(loaded, (r) => r.me.slowest) };
  // The line is judged on the p99 of every answer of all runs pooled, not on a median of per-run
  // p99s: one run's tail is a handful of answers, and a median of them swings from batch to batch.
  const ratio = pooled.loaded / pooled.idle;
  const pooledInServer = { idle: pooledP99(idle, (r) => r.meInServer?.top), loaded: pooledP99(loaded, (r) => r.meInServer?.top) };

  say('');
  say(`Results: \`${ME_QUERY}\` at ${opts.meRate}/s; medians of ${opts.runs} run(s) of ${opts.durationS}s each`);
  const head = ['', 'me p50 ms', 'me p99 ms', 'me max ms', 'me ok', 'sign-ins/s', 'loop delay p99', 'pool used', 'pool waiters', 'main CPU', 'main runq wait', 'other threads', 'machine busy'];
  const widths = [7, 10, 10, 10, 7, 11, 15, 10, 13, 9, 15, 14, 13];
  const line = (cells: string[]) => say(cells.map((c, k) => (k === 0 ? c.padEnd(widths[k]) : pad(c, widths[k]))).join(' '));
  const pct = (v: number) => `${fmt(v * 100, 0)}%`;
  const row = (name: string, s: ReturnType<typeof summary>) =>
    line([
      name,
      fmt(s.p50Ms, 2),
      fmt(s.p99Ms, 2),
      fmt(s.maxMs, 1),
      String(s.meRequests),
      name === 'loaded' ? fmt(s.loginsPerS, 1) : '-',
      `${fmt(s.eventLoopDelayP99Ms, 1)} ms`,
      `${fmt(s.poolMeanUsed, 1)}/${records[0].server?.pool.max ?? '?'}`,
      `${fmt(s.poolMeanWaiters, 1)} (${pct(s.poolShareWithWaiters)})`,
      pct(s.mainThreadCpu),
      pct(s.mainThreadRunQueueWait),
      `${fmt(s.otherThreadsCpus, 2)} CPUs`,
      pct(s.machineBusy),
    ]);
  line(head);
  line(widths.map((w) => '-'.repeat(w)));
  row('idle', si);
  row('loaded', sl);
  say(`  p99 per run (ms): idle ${idle.map((r) => fmt(r.me.p99Ms, 1)).join(', ')}; loaded ${loaded.map((r) => fmt(r.me.p99Ms, 1)).join(', ')}`);
  say(`  sign-ins per run (/s): ${loaded.map((r) => fmt(r.logins.perS, 1)).join(', ')}; ${sl.logins} sign-ins in measured windows`);
  say(
    `  columns: loop delay = the server's event-loop delay (monitorEventLoopDelay); pool = ORM connections in use / max, and ` +
      `acquires waiting for one (share of 20 ms samples with any); main CPU / runq wait = share of the window the event-loop ` +
      `thread ran / sat runnable without a CPU (schedstat); other threads = the server's other threads (the hashing threads: bcrypt; V8 helpers)`,
  );
  const errors = si.meErrors + sl.meErrors + sl.loginErrors;
  const verdict = ratio < TARGET_P99_RATIO ? 'MEETS' : 'MISSES';
  say(
    `\nHeadline: with ${opts.logins} sign-ins in flight, me p99 (all runs pooled, ${si.meRequests} answers idle, ${sl.meRequests} loaded) ` +
      `is ${fmt(ratio, 2)}× its idle p99 (${fmt(pooled.loaded, 1)} vs ${fmt(pooled.idle, 1)} ms); ${verdict} the < ${TARGET_P99_RATIO}× target. ` +
      `Sign-ins: ${fmt(sl.loginsPerS, 1)}/s.`,
  );
  say(
    `  Medians of per-run p99s: ${fmt(sl.p99Ms, 1)} vs ${fmt(si.p99Ms, 1)} ms = ${fmt(medianRatio, 2)}× (paired runs ${fmt(paired, 2)}×); ` +
      `timed inside the server, pooled: ${fmt(pooledInServer.loaded, 1)} vs ${fmt(pooledInServer.idle, 1)} ms = ${fmt(pooledInServer.loaded / pooledInServer.idle, 2)}×.`,
  );
  if (errors) say(`WARNING: ${errors} me request(s) or sign-in(s) failed or were skipped during measurement; see the runs above.`);

  const file = join(resultsDir, `bench-${stamp()}.json`);
  writeFileSync(
    file,
    JSON.stringify(
      {
        scenario: 'login-load',
        startedAt: started.toISOString(),
        finishedAt: new Date().toISOString(),
        options: opts,
        machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version, loadavg: loadavg(), postgres: ready.postgres, threadpool: ready.threadpool },
        database: process.env.DATABASE_URL ? 'DATABASE_URL' : 'embedded',
        operations: { me: ME_QUERY, login: LOGIN_MUTATION, bcryptCost: login.bcryptCost, signInUsers: opts.logins },
        targetP99Ratio: TARGET_P99_RATIO,
        pooled: { idleP99Ms: pooled.idle, loadedP99Ms: pooled.loaded, inServer: pooledInServer },
        headline: { p99Ratio: ratio, pooled: true, medianP99Ratio: medianRatio, pairedP99Ratio: paired, idleP99Ms: si.p99Ms, loadedP99Ms: sl.p99Ms, loginsPerS: sl.loginsPerS, meets: ratio < TARGET_P99_RATIO },
        summary: { idle: si, loaded: sl },
        errors,
        runs: records,
      },
      null,
      2,
    ) + '\n',
  );
  return file;
}
