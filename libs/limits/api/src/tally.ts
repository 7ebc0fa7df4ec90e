import type { CounterStore, Usage } from './store';

/** Cheap operations are gathered until they reach this share of their budget, or for FLUSH_MS. */
const BATCH_SHARE = 20;
const FLUSH_MS = 100;
const MAX_KEYS = 100_000;

interface KeyState {
  /** What the shared store said the key had used, at the last charge sent to it. */
  known: number;
  /** When the key's window ends (epoch ms), as the store said; 0: not known. */
  resetAt: number;
  /** Charged here, not yet sent to the store. */
  pending: number;
  /** Refused without asking the store until then: the store said the key is over its limit. */
  blockedUntil: number;
  timer?: NodeJS.Timeout;
}

export interface Verdict extends Usage {
  ok: boolean;
}

/**
 * This process's side of the shared counters. Sending every operation to the store would cost
 * two round trips per operation (the person's key and the tenant's) when most operations are a
 * small fraction of their budget; so small charges are gathered here and sent together, at most
 * FLUSH_MS later or once they reach 1/BATCH_SHARE of the budget, and admitted meanwhile on what
 * this process knows: the store's last count plus what it gathered since. An operation that costs
 * that much on its own, the first of a window, and any that would pass the budget on that
 * reckoning go to the store at once and are judged on its answer. So across processes a budget is
 * passed by at most about 1/BATCH_SHARE of it per process, plus FLUSH_MS of traffic; within one
 * process it is exact.
 */
export class Tally {
  private readonly keys = new Map<string, KeyState>();
  constructor(private readonly store: CounterStore) {}

  async charge(key: string, limit: number, points: number): Promise<Verdict> {
    const now = Date.now();
    const s = this.state(key, now);
    if (s.blockedUntil > now) return { ok: false, consumed: Math.max(s.known, limit + 1), resetMs: s.blockedUntil - now };
    const threshold = Math.max(1, Math.floor(limit / BATCH_SHARE));
    const inWindow = s.resetAt > now;
    if (inWindow && s.pending + points < threshold && s.known + s.pending + points <= limit) {
      s.pending += points;
      s.timer ??= setTimeout(() => void this.flush(key), FLUSH_MS).unref();
      return { ok: true, consumed: s.known + s.pending, resetMs: s.resetAt - now };
    }
    const take = s.pending + points;
    s.pending = 0;
    clearTimeout(s.timer);
    s.timer = undefined;
    const usage = await this.store.charge(key, take);
    this.learn(s, usage);
    return { ok: usage.consumed <= limit, consumed: usage.consumed + s.pending, resetMs: usage.resetMs };
  }

  /** Sends what was gathered; the limit is not known here, so only the count is learned. */
  private async flush(key: string): Promise<void> {
    const s = this.keys.get(key);
    if (!s) return;
    s.timer = undefined;
    if (!s.pending) return;
    const take = s.pending;
    s.pending = 0;
    this.learn(s, await this.store.charge(key, take));
  }

  private learn(s: KeyState, usage: Usage): void {
    s.known = Math.max(usage.consumed, 0);
    s.resetAt = Date.now() + usage.resetMs;
  }

  /** The key's state; a window that ended starts from nothing (the store's ends at the same time). */
  private state(key: string, now: number): KeyState {
    let s = this.keys.get(key);
    if (s && s.resetAt <= now && !s.pending && s.blockedUntil <= now) {
      s.known = 0;
      s.resetAt = 0;
    }
    if (!s) {
      if (this.keys.size >= MAX_KEYS) this.sweep(now);
      s = { known: 0, resetAt: 0, pending: 0, blockedUntil: 0 };
      this.keys.set(key, s);
    }
    return s;
  }

  /** Marks a key as over its limit until its window ends: refused here without asking the store. */
  block(key: string, untilMs: number): void {
    const s = this.keys.get(key);
    if (s) s.blockedUntil = untilMs;
  }

  private sweep(now: number): void {
    for (const [k, s] of this.keys) if (s.resetAt <= now && !s.pending && s.blockedUntil <= now) this.keys.delete(k);
    // Still full: forget the rest (what they gathered is lost; the store keeps what it was sent).
    if (this.keys.size >= MAX_KEYS) {
      for (const s of this.keys.values()) clearTimeout(s.timer);
      this.keys.clear();
    }
  }
}
