/**
 * A small closed-loop load generator: `concurrency` workers, each sending the next request as
 * soon as the previous answer is fully read, over keep-alive connections to 127.0.0.1 only.
 * Every run is bounded by time (warm-up + measurement, plus a per-request timeout) and by count.
 */
import { Agent, request } from 'node:http';

export interface Target {
  name: string;
  /** http://127.0.0.1:<port>/graphql */
  url: string;
  headers: Record<string, string>;
}

export interface RunOptions {
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  /** Byte length every answer must have (the responses are deterministic); others count as errors. */
  expectedBytes: number;
  /** Hard cap on measured requests, so a very fast target cannot grow the latency array unbounded. */
  maxRequests?: number;
  requestTimeoutMs?: number;
}

export interface RunResult {
  requests: number;
  errors: number;
  firstError?: string;
  seconds: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
}

interface Answer {
  status: number;
  bytes: number;
  error?: string;
}

function post(agent: Agent, url: URL, headers: Record<string, string | number>, body: Buffer, timeoutMs: number): Promise<Answer> {
  return new Promise((resolve) => {
    const req = request(
      { agent, host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers },
      (res) => {
        let bytes = 0;
        let sample = '';
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          if (res.statusCode !== 200 && sample.length < 300) sample += chunk.toString('utf8');
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes, error: sample ? sample.slice(0, 300) : undefined }));
        res.on('error', (e) => resolve({ status: 0, bytes, error: e.message }));
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (e) => resolve({ status: 0, bytes: 0, error: e.message }));
    req.end(body);
  });
}

export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (!sorted.length) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export function median(values: number[]): number {
  if (!values.length) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** One POST, read fully, parsed: for checks before measuring, not for timing. */
export async function fetchOnce(target: Target, body: string): Promise<{ status: number; text: string }> {
  const res = await fetch(target.url, { method: 'POST', headers: target.headers, body, signal: AbortSignal.timeout(30000) });
  return { status: res.status, text: await res.text() };
}

export async function run(target: Target, body: string, opts: RunOptions): Promise<RunResult> {
  const url = new URL(target.url);
  if (url.hostname !== '127.0.0.1') throw new Error(`load goes to loopback only, not ${url.hostname}`);
  const payload = Buffer.from(body);
  const headers = { ...target.headers, 'content-length': payload.length };
  const agent = new Agent({ keepAlive: true, maxSockets: opts.concurrency, maxFreeSockets: opts.concurrency });
  const maxRequests = opts.maxRequests ?? 2_000_000;
  const timeoutMs = opts.requestTimeoutMs ?? 10_000;

  const start = performance.now();
  const measureFrom = start + opts.warmupMs;
  const end = measureFrom + opts.durationMs;
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;

  const worker = async () => {
    while (true) {
      const t0 = performance.now();
      if (t0 >= end || latencies.length >= maxRequests) return;
      const answer = await post(agent, url, headers, payload, timeoutMs);
      const t1 = performance.now();
      const ok = answer.status === 200 && answer.bytes === opts.expectedBytes;
      // Counted when it completes inside the window (a closed loop: throughput = completions / time).
      if (t1 >= measureFrom && t1 <= end) {
        if (ok) latencies.push(t1 - t0);
        else errors++;
      }
      if (!ok) {
        firstError ??= `HTTP ${answer.status}, ${answer.bytes} bytes (expected ${opts.expectedBytes})${answer.error ? `: ${answer.error}` : ''}`;
        // A failing target answers fast; do not spin on it.
        if (answer.status === 0) await new Promise((r) => setTimeout(r, 50));
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: opts.concurrency }, worker));
  } finally {
    agent.destroy();
  }
  const seconds = Math.min(opts.durationMs, Math.max(1, performance.now() - measureFrom)) / 1000;
  const sorted = Float64Array.from(latencies).sort();
  const sum = latencies.reduce((a, b) => a + b, 0);
  return {
    requests: latencies.length,
    errors,
    firstError,
    seconds,
    rps: latencies.length / seconds,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    meanMs: latencies.length ? sum / latencies.length : NaN,
  };
}

// ---------------------------------------------------------------------------------------------
// `--scenario login-load`: an open-loop stream at a fixed rate, and closed-loop background work.

export interface OpenLoopOptions {
  /** Requests per second, sent on a fixed schedule whatever the answers do (open loop). */
  ratePerS: number;
  warmupMs: number;
  durationMs: number;
  expectedBytes: number;
  /** Requests in flight (and sockets) at most; a send due beyond this is skipped and counted. */
  maxInFlight?: number;
  requestTimeoutMs?: number;
  /** Called when the measured window opens and when it closes (by send time). */
  onWindowStart?: () => void;
  onWindowEnd?: () => void;
}

export interface OpenLoopResult {
  /** Requests sent inside the measured window (their answers are all awaited). */
  sent: number;
  requests: number;
  errors: number;
  firstError?: string;
  skipped: number;
  seconds: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
  /** How late the load generator itself sent, at worst (its own event loop's stalls). */
  maxSendLagMs: number;
  /** The slowest answers, slowest first: when each was sent (epoch ms) and how long it took. */
  slowest: { atMs: number; ms: number }[];
}

/**
 * Enough for the p99 over several windows pooled (login-load): the p99 of n answers is the
 * ceil(n/100)-th slowest, so 100 kept per window give it exactly up to 10,000 answers.
 */
export const SLOWEST_KEPT = 100;

const sleepUntil = (t: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, t - performance.now())));

/**
 * Sends one request every 1/rate seconds on a schedule fixed in advance, so a slow answer never
 * delays the next request (no coordinated omission). A request belongs to the window it was sent
 * in; latency runs from its send to the last byte of its answer.
 */
export async function runOpenLoop(target: Target, body: string, opts: OpenLoopOptions): Promise<OpenLoopResult> {
  const url = new URL(target.url);
  if (url.hostname !== '127.0.0.1') throw new Error(`load goes to loopback only, not ${url.hostname}`);
  const payload = Buffer.from(body);
  const headers = { ...target.headers, 'content-length': payload.length };
  const maxInFlight = opts.maxInFlight ?? 512;
  const timeoutMs = opts.requestTimeoutMs ?? 10_000;
  // One socket per request in flight: a slow server must not turn into a queue in this process.
  const agent = new Agent({ keepAlive: true, maxSockets: maxInFlight, maxFreeSockets: 64 });
  const interval = 1000 / opts.ratePerS;

  const start = performance.now();
  const measureFrom = start + opts.warmupMs;
  const end = measureFrom + opts.durationMs;
  const latencies: number[] = [];
  const timed: { atMs: number; ms: number }[] = [];
  const inFlight = new Set<Promise<void>>();
  let sent = 0;
  let errors = 0;
  let skipped = 0;
  let maxLag = 0;
  let firstError: string | undefined;
  let windowOpen = false;

  try {
    for (let k = 0; ; k++) {
      const due = start + k * interval;
      if (due >= end) break;
      await sleepUntil(due);
      const t0 = performance.now();
      const measured = due >= measureFrom;
      if (measured && !windowOpen) {
        windowOpen = true;
        opts.onWindowStart?.();
      }
      if (measured) maxLag = Math.max(maxLag, t0 - due);
      if (inFlight.size >= maxInFlight) {
        if (measured) skipped++;
        continue;
      }
      if (measured) sent++;
      const p = post(agent, url, headers, payload, timeoutMs).then((answer) => {
        const ms = performance.now() - t0;
        const ok = answer.status === 200 && answer.bytes === opts.expectedBytes;
        if (!ok) firstError ??= `HTTP ${answer.status}, ${answer.bytes} bytes (expected ${opts.expectedBytes})${answer.error ? `: ${answer.error}` : ''}`;
        if (!measured) return;
        if (ok) {
          latencies.push(ms);
          timed.push({ atMs: performance.timeOrigin + t0, ms });
        } else errors++;
      });
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
    }
    await sleepUntil(end);
    if (windowOpen) opts.onWindowEnd?.();
    await Promise.all(inFlight); // each is bounded by the request timeout
  } finally {
    agent.destroy();
  }
  const sorted = Float64Array.from(latencies).sort();
  return {
    sent,
    requests: latencies.length,
    errors,
    firstError,
    skipped,
    seconds: opts.durationMs / 1000,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted.length ? sorted[sorted.length - 1] : NaN,
    meanMs: latencies.length ? latencies.reduce((a, b) => a + b, 0) / latencies.length : NaN,
    maxSendLagMs: maxLag,
    slowest: timed.sort((a, b) => b.ms - a.ms).slice(0, SLOWEST_KEPT),
  };
}

export interface BackgroundLoad {
  /** Completions (ok, failed) with their end times, to count inside a window. */
  countBetween(from: number, to: number): { ok: number; errors: number };
  firstError(): string | undefined;
  /** No new request starts; resolves once the ones in flight have answered (each bounded by its timeout). */
  stop(): Promise<void>;
}

/**
 * `bodies.length` closed-loop workers, worker i sending bodies[i] again as soon as its previous
 * answer is read. An answer is good when it is HTTP 200 and `isOk(text)`. Bounded by `maxRequests`
 * and stopped by the caller; a failing worker pauses 100 ms so it never spins.
 */
export function startBackground(
  target: Target,
  bodies: string[],
  isOk: (text: string) => boolean,
  /** onDone: told of every answer as it comes (background-process.ts relays them). */
  opts: { maxRequests?: number; requestTimeoutMs?: number; onDone?: (ok: boolean, error?: string) => void } = {},
): BackgroundLoad {
  const url = new URL(target.url);
  if (url.hostname !== '127.0.0.1') throw new Error(`load goes to loopback only, not ${url.hostname}`);
  const agent = new Agent({ keepAlive: true, maxSockets: bodies.length, maxFreeSockets: bodies.length });
  const maxRequests = opts.maxRequests ?? 100_000;
  const timeoutMs = opts.requestTimeoutMs ?? 60_000;
  const done: { at: number; ok: boolean }[] = [];
  let stopped = false;
  let first: string | undefined;

  const once = (payload: Buffer) =>
    new Promise<{ status: number; text: string }>((resolve) => {
      const req = request(
        { agent, host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { ...target.headers, 'content-length': payload.length } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', (e) => resolve({ status: 0, text: e.message }));
        },
      );
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      req.on('error', (e) => resolve({ status: 0, text: e.message }));
      req.end(payload);
    });

  const worker = async (body: string) => {
    const payload = Buffer.from(body);
    while (!stopped && done.length < maxRequests) {
      const answer = await once(payload);
      const ok = answer.status === 200 && isOk(answer.text);
      done.push({ at: performance.now(), ok });
      opts.onDone?.(ok, ok ? undefined : `HTTP ${answer.status}: ${answer.text.slice(0, 300)}`);
      if (!ok) {
        first ??= `HTTP ${answer.status}: ${answer.text.slice(0, 300)}`;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };
  const all = Promise.all(bodies.map(worker));
  return {
    countBetween(from, to) {
      let ok = 0;
      let errors = 0;
      for (const d of done) {
        if (d.at < from || d.at > to) continue;
        if (d.ok) ok++;
        else errors++;
      }
      return { ok, errors };
    },
    firstError: () => first,
    async stop() {
      stopped = true;
      await all;
      agent.destroy();
    },
  };
}
