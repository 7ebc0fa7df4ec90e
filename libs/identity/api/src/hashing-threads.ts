import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

/**
 * bcrypt on threads of its own, each at a lower CPU priority (a higher nice value) than the rest
 * of the process (A8). A cost-12 hash keeps a core busy for a quarter of a second. On libuv's
 * pool it competed on equal terms with the event loop, PostgreSQL and V8's garbage-collection
 * helpers, and `me` answers slowed in bursts at the server's garbage collections while sign-ins
 * hashed. At nice 10 the hashing yields instead: `tools/bench --scenario login-load` measured
 * `me` p99 with 16 sign-ins in flight at 1.29-1.41x its idle p99, against 1.78-2.74x at nice 0
 * in the same session (tools/bench/README.md). Linux applies a nice value per thread, so only the
 * hashing yields; elsewhere the threads run at normal priority.
 *
 * The thread body is plain JavaScript evaluated in the worker (no TypeScript loader there), and
 * bcrypt's synchronous calls are fine on a thread that does nothing else.
 */
const THREAD_BODY = `
const { parentPort, workerData } = require('node:worker_threads');
const bcrypt = require(workerData.bcrypt);
const { readlinkSync } = require('node:fs');
const { setPriority } = require('node:os');
let tid = 0;
try { tid = Number(readlinkSync('/proc/thread-self').split('/').pop()); } catch { /* not Linux */ }
// A thread starts at the process's priority; lowering one's own needs no privilege.
if (tid && workerData.nice) try { setPriority(tid, workerData.nice); } catch { /* left at normal priority */ }
parentPort.postMessage({ type: 'ready', tid });
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

interface HashingThread {
  worker: Worker;
  /** The nice value it was started with (a thread cannot raise its priority back without privilege). */
  nice: number;
  /** The thread's id as the kernel knows it (0 when it could not be read, i.e. not Linux). */
  tid: Promise<number>;
  busy?: Pending;
}

/** Nice value of the hashing threads: 0 (normal) to 19 (only idle CPU). BULWARK_HASH_NICE. */
export const DEFAULT_HASH_NICE = 10;

let nice = DEFAULT_HASH_NICE;
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
  const worker = new Worker(THREAD_BODY, { eval: true, workerData: { bcrypt: require.resolve('bcrypt'), nice } });
  let readyTid: (tid: number) => void = () => undefined;
  const thread: HashingThread = { worker, nice, tid: new Promise((r) => (readyTid = r)) };
  worker.unref(); // an idle hashing thread never keeps the process alive
  worker.on('message', (m: { type: 'ready'; tid: number } | { type: 'done'; id: number; value?: string | boolean; error?: string }) => {
    if (m.type === 'ready') return readyTid(m.tid);
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
  for (const t of threads.filter((t) => !t.busy && t.nice !== nice)) retire(t);
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

/** BULWARK_HASH_NICE, applied by the hashing gate: threads started earlier are replaced once idle. */
export function setHashingNice(value: number): void {
  if (value === nice) return;
  nice = value;
  next();
}

/** The kernel thread ids of the running hashing threads (tests read their nice value in /proc). */
export async function hashingThreadIds(): Promise<number[]> {
  return Promise.all(threads.map((t) => t.tid));
}
