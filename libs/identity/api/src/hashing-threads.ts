import type { Logger } from '@bulwark/platform-api';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

/**
 * bcrypt on threads of its own, below the CPU priority of the rest of the process (A8). A cost-12
 * hash keeps a core busy for a quarter of a second. On libuv's pool it competed on equal terms
 * with the event loop, PostgreSQL and V8's garbage-collection helpers, and `me` answers slowed in
 * bursts at the server's garbage collections while sign-ins hashed.
 *
 * By default each hashing thread puts itself under Linux's SCHED_IDLE policy: any other thread
 * that wakes (the event loop on a packet, a PostgreSQL backend, a GC helper) takes the core from
 * the hash at once. A nice value only weighs the shares: under the kernel's EEVDF scheduler a
 * thread at nice 10 keeps the core until its slice ends, so each wake-up behind a hash could wait
 * a slice. `tools/bench --scenario login-load` compares the two (tools/bench/README.md). Linux
 * applies both per thread, so only the hashing yields; elsewhere the threads run at normal
 * priority.
 *
 * The thread body is plain JavaScript evaluated in the worker (no TypeScript loader there), and
 * bcrypt's synchronous calls are fine on a thread that does nothing else.
 */
const THREAD_BODY = `
const { parentPort, workerData } = require('node:worker_threads');
const bcrypt = require(workerData.bcrypt);
const { readlinkSync } = require('node:fs');
const { setPriority } = require('node:os');
const { execFileSync } = require('node:child_process');
let tid = 0;
try { tid = Number(readlinkSync('/proc/thread-self').split('/').pop()); } catch { /* not Linux */ }
// A thread starts at the process's priority; lowering one's own needs no privilege.
let applied = 'normal';
let problem;
if (tid && workerData.priority === 'idle') {
  // Node has no call for sched_setscheduler(2): util-linux's chrt makes it, for this thread alone.
  try {
    execFileSync('chrt', ['--idle', '--pid', '0', String(tid)], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 5000 });
    applied = 'idle';
  } catch (error) {
    problem = String((error.stderr && error.stderr.toString().trim()) || error.message);
  }
}
const nice = applied === 'idle' ? 0 : workerData.priority === 'idle' ? 19 : workerData.priority;
if (tid && nice) {
  try { setPriority(tid, nice); applied = 'nice ' + nice; } catch (error) { problem = problem || String(error.message); }
}
parentPort.postMessage({ type: 'ready', tid, applied, problem });
parentPort.on('message', (job) => {
  try {
    const value = job.type === 'hash' ? bcrypt.hashSync(job.data, job.cost) : bcrypt.compareSync(job.data, job.hash);
    parentPort.postMessage({ type: 'done', id: job.id, value });
  } catch (error) {
    parentPort.postMessage({ type: 'done', id: job.id, error: String(error && error.message || error) });
  }
});
`;

type Job = { type: 'hash'; data: string; cost: number } | { type: 'compare'; data: string; hash: string };
interface Pending {
  job: Job & { id: number };
  resolve: (v: string | boolean) => void;
  reject: (e: Error) => void;
}

/** `idle`: SCHED_IDLE; a number: a nice value, 0 normal … 19. BULWARK_HASH_PRIORITY. */
export type HashPriority = 'idle' | number;

interface HashingThread {
  worker: Worker;
  /** The priority it was started with (a thread cannot raise its priority back without privilege). */
  priority: HashPriority;
  /** The thread's id as the kernel knows it (0 when it could not be read, i.e. not Linux). */
  tid: Promise<number>;
  busy?: Pending;
}

export const DEFAULT_HASH_PRIORITY: HashPriority = 'idle';

let priority: HashPriority = DEFAULT_HASH_PRIORITY;
/** Where a thread that could not lower its priority as asked says so (once per process). */
let log: Pick<Logger, 'warn'> | undefined;
let warned = false;
let nextId = 1;
const threads: HashingThread[] = [];
const queue: Pending[] = [];
/** One thread per core: the hashing gate bounds sign-ins further; seeds and scripts may use them all. */
const maxThreads = () => availableParallelism();

function retire(thread: HashingThread): void {
  threads.splice(threads.indexOf(thread), 1);
  void thread.worker.terminate();
}

function startThread(): HashingThread {
  // env: the environment this module sees (Node's default is the real process's; under Jest a
  // module sees a copy of its own), where the thread looks for chrt.
  const worker = new Worker(THREAD_BODY, { eval: true, env: process.env, workerData: { bcrypt: require.resolve('bcrypt'), priority } });
  let readyTid: (tid: number) => void = () => undefined;
  const thread: HashingThread = { worker, priority, tid: new Promise((r) => (readyTid = r)) };
  worker.unref(); // an idle hashing thread never keeps the process alive
  type Ready = { type: 'ready'; tid: number; applied: string; problem?: string };
  worker.on('message', (m: Ready | { type: 'done'; id: number; value?: string | boolean; error?: string }) => {
    if (m.type === 'ready') {
      if (m.problem && !warned) {
        warned = true;
        log?.warn('password hashing runs above the priority asked for', { asked: thread.priority, applied: m.applied, problem: m.problem });
      }
      return readyTid(m.tid);
    }
    const done = thread.busy;
    thread.busy = undefined;
    worker.unref();
    if (done && done.job.id === m.id) {
      if (m.error !== undefined || m.value === undefined) done.reject(new Error(`password hashing failed: ${m.error ?? 'no answer'}`));
      else done.resolve(m.value);
    }
    next();
  });
  const fail = (error: Error) => {
    if (threads.includes(thread)) threads.splice(threads.indexOf(thread), 1);
    readyTid(0);
    thread.busy?.reject(new Error(`password hashing thread stopped: ${error.message}`));
    thread.busy = undefined;
    next();
  };
  worker.on('error', fail);
  worker.on('exit', (code) => threads.includes(thread) && fail(new Error(`exit code ${code}`)));
  threads.push(thread);
  return thread;
}

function next(): void {
  // Threads started under an earlier setting end once idle; new ones start with the current one.
  for (const t of threads.filter((t) => !t.busy && t.priority !== priority)) retire(t);
  for (let pending = queue.shift(); pending; pending = queue.shift()) {
    const thread = threads.find((t) => !t.busy) ?? (threads.length < maxThreads() ? startThread() : undefined);
    if (!thread) return void queue.unshift(pending);
    thread.busy = pending;
    thread.worker.ref(); // a hash in progress keeps a short-lived script alive until it answers
    thread.worker.postMessage(pending.job);
  }
}

function run<T extends string | boolean>(job: Job): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    queue.push({ job: { ...job, id: nextId++ }, resolve: resolve as Pending['resolve'], reject });
    next();
  });
}

export const bcryptHash = (data: string, cost: number) => run<string>({ type: 'hash', data, cost });
export const bcryptCompare = (data: string, hash: string) => run<boolean>({ type: 'compare', data, hash });

/**
 * BULWARK_HASH_PRIORITY, applied by the hashing gate: threads started earlier are replaced once
 * idle. `logger` hears of a thread that could not lower its priority as asked (no chrt, say).
 */
export function setHashingPriority(value: HashPriority, logger?: Pick<Logger, 'warn'>): void {
  if (logger) log = logger;
  if (value === priority) return;
  priority = value;
  next();
}

/** The kernel thread ids of the running hashing threads (tests read their nice value in /proc). */
export async function hashingThreadIds(): Promise<number[]> {
  return Promise.all(threads.map((t) => t.tid));
}
