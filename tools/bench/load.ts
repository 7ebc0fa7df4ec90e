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
