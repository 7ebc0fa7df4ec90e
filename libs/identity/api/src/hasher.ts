import bcrypt from 'bcrypt';
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { setPriority } from 'node:os';
import { join } from 'node:path';

/**
 * A8 under load: bcrypt runs in a child process at a lower CPU priority (`BULWARK_HASH_NICE`,
 * default 10), so on a busy machine the scheduler serves the API's event loop and PostgreSQL
 * first and sign-ins take what is left; when the machine is idle a sign-in costs what it always
 * did. At nice 10 a hash still gets about a tenth of a contended core, so sign-ins slow down
 * under load but never starve. If the child cannot start, hashing falls back to this process.
 */
type Request = { op: 'hash'; value: string; cost: number } | { op: 'compare'; value: string; hash: string };
type Pending = { resolve: (v: string | boolean) => void; reject: (e: Error) => void };

const WORKER = join(__dirname, 'hash-worker.cjs');
let child: ChildProcess | null = null;
let seq = 0;
const pending = new Map<number, Pending>();

export interface HasherOptions {
  threads: number;
  nice: number;
}
let options: HasherOptions = { threads: 1, nice: 10 };

/** Set once at start-up from configuration (identity reads it on first use). */
export function configureHasher(o: HasherOptions): void {
  options = o;
}

function start(): ChildProcess | null {
  if (!existsSync(WORKER)) return null;
  try {
    const c = fork(WORKER, [], {
      // No loader flags (the worker is plain JavaScript), a pool sized to the admitted hashes.
      execArgv: [],
      env: { PATH: process.env.PATH ?? '', UV_THREADPOOL_SIZE: String(Math.max(1, options.threads)) },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      serialization: 'json',
    });
    if (c.pid) {
      try {
        setPriority(c.pid, options.nice);
      } catch {
        // Not permitted here: the child runs at normal priority, still off the event loop.
      }
    }
    c.on('message', (m: { id: number; result?: string | boolean; error?: string }) => {
      const p = pending.get(m.id);
      if (!p) return;
      pending.delete(m.id);
      if (m.error !== undefined) p.reject(new Error(m.error));
      else p.resolve(m.result as string | boolean);
    });
    c.on('exit', () => {
      if (child === c) child = null;
      for (const [id, p] of pending) {
        pending.delete(id);
        p.reject(new Error('the password hasher process exited'));
      }
    });
    c.unref();
    (c as unknown as { channel?: { unref(): void } }).channel?.unref();
    return c;
  } catch {
    return null;
  }
}

function call(req: Request): Promise<string | boolean> {
  child ??= start();
  const c = child;
  if (!c?.connected) {
    return req.op === 'hash' ? bcrypt.hash(req.value, req.cost) : bcrypt.compare(req.value, req.hash);
  }
  const id = ++seq;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    c.send({ id, ...req }, (err) => {
      if (err) {
        pending.delete(id);
        reject(err);
      }
    });
  });
}

export const bcryptHash = async (value: string, cost: number) => (await call({ op: 'hash', value, cost })) as string;
export const bcryptCompare = async (value: string, hash: string) => (await call({ op: 'compare', value, hash })) as boolean;

/** For shutdown and tests: stops the child (the next hash starts a new one). */
export function stopHasher(): void {
  child?.kill();
  child = null;
}
