import { setFlagsFromString } from 'node:v8';

/**
 * How far V8 lets the old generation grow past what survived the last full (mark-compact)
 * collection before it starts the next one: the limit becomes (1 + percent/100) × the live size.
 *
 * Why: V8 sizes that headroom from how cheap its collections have been, and an API server's are
 * cheap on average, so it keeps the heap tight (about 1.1× here: ~9 MB over ~75 MB live) and
 * collects every 15-20 s at 50 requests/s. Each full collection pauses the event loop for 5-20 ms,
 * longer while sign-ins hash on the other core, and those pauses were what set `me`'s p99 under
 * sign-in load (SECURITY.md A8; tools/bench `--scenario login-load`). At 100 (twice the live size)
 * full collections come several times less often, for some tens of MB more heap: measured, the
 * loaded windows held 1-2 full collections of 5 ms or more per batch instead of 3-8, and `me`'s p99
 * under sign-ins was 1.25-1.44x its idle p99 in five of five batches, against 1.44-2.02x (three of
 * ten under 1.5x) without the setting (tools/bench/README.md).
 *
 * 0 restores V8's own adaptive choice, as V8 reads the flag (yet batches with 0 set this way
 * measured like 100, unlike batches with nothing set: unexplained, see the bench README). The flag
 * is read each time V8 computes the next limit, so setting it after start-up takes effect at the
 * next full collection (heap.spec.ts shows it does on the Node in use); V8 still collects early as
 * the heap nears its maximum size.
 */
export function applyHeapGrowth(percent: number): void {
  setFlagsFromString(`--heap-growing-percent=${Math.trunc(percent)}`);
}
