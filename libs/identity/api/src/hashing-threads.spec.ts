import { loadConfig } from '@bulwark/platform-api';
import bcrypt from 'bcrypt';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { bcryptCompare, bcryptHash, DEFAULT_HASH_PRIORITY, hashingThreadIds, setHashingPriority } from './hashing-threads';

/** Fields of /proc/<pid>/task/<tid>/stat, counted from 1 as proc(5) does. */
const statField = (tid: number, n: number) => Number(readFileSync(`/proc/${process.pid}/task/${tid}/stat`, 'utf8').split(') ')[1].split(' ')[n - 3]);
const niceOf = (tid: number) => statField(tid, 19);
const SCHED_OTHER = 0;
const SCHED_IDLE = 5;
const policyOf = (tid: number) => statField(tid, 41);
const linux = process.platform === 'linux';

describe('A8 password hashing runs on threads of its own, below the priority of reads', () => {
  afterAll(() => setHashingPriority(DEFAULT_HASH_PRIORITY));

  it('makes and checks the same hashes as bcrypt itself', async () => {
    const made = await bcryptHash('correct horse', 4);
    expect(made).toMatch(/^\$2b\$04\$/);
    expect(bcrypt.compareSync('correct horse', made)).toBe(true);
    const byLibrary = bcrypt.hashSync('battery staple', 4);
    expect(await bcryptCompare('battery staple', byLibrary)).toBe(true);
    expect(await bcryptCompare('battery stable', byLibrary)).toBe(false);
  });

  it('queues more hashes than threads and answers each, never starting more threads than cores', async () => {
    const words = Array.from({ length: availableParallelism() * 3 }, (_, i) => `word ${i}`);
    const hashes = await Promise.all(words.map((w) => bcryptHash(w, 4)));
    expect(new Set(hashes).size).toBe(words.length);
    const checks = await Promise.all(words.map((w, i) => bcryptCompare(w, hashes[(i + 1) % words.length])));
    expect(checks.every((ok) => !ok)).toBe(true);
    expect((await hashingThreadIds()).length).toBeLessThanOrEqual(availableParallelism());
  });

  it('rejects a malformed hash as bcrypt does, and the thread goes on working', async () => {
    let libraryError: unknown;
    try {
      bcrypt.compareSync('x', 'not a bcrypt hash');
    } catch (e) {
      libraryError = e;
    }
    const ours = await bcryptCompare('x', 'not a bcrypt hash').then(
      (v) => ({ value: v }),
      (e: Error) => ({ error: e.message }),
    );
    if (libraryError) expect(ours).toEqual({ error: expect.stringContaining('password hashing failed') });
    else expect(ours).toEqual({ value: false });
    expect(await bcryptCompare('y', bcrypt.hashSync('y', 4))).toBe(true);
  });

  it('reads BULWARK_HASH_PRIORITY: idle by default, or a nice value from 0 to 19, and refuses anything else', () => {
    expect(loadConfig({ NODE_ENV: 'test' }).hashPriority).toBe('idle');
    expect(DEFAULT_HASH_PRIORITY).toBe('idle');
    expect(loadConfig({ NODE_ENV: 'test', BULWARK_HASH_PRIORITY: 'idle' }).hashPriority).toBe('idle');
    expect(loadConfig({ NODE_ENV: 'test', BULWARK_HASH_PRIORITY: '0' }).hashPriority).toBe(0);
    expect(loadConfig({ NODE_ENV: 'test', BULWARK_HASH_PRIORITY: '19' }).hashPriority).toBe(19);
    for (const bad of ['20', '-1', 'low', 'IDLE', '2.5']) {
      expect(() => loadConfig({ NODE_ENV: 'test', BULWARK_HASH_PRIORITY: bad })).toThrow(
        `BULWARK_HASH_PRIORITY must be "idle" or a whole number from 0 to 19, got "${bad}"`,
      );
    }
  });

  (linux ? it : it.skip)('runs the hashing threads under SCHED_IDLE by default, or at a nice value, and only them', async () => {
    await Promise.all([bcryptHash('a', 4), bcryptHash('b', 4)]);
    const tids = await hashingThreadIds();
    expect(tids.length).toBeGreaterThan(0);
    for (const tid of tids) expect([policyOf(tid), niceOf(tid)]).toEqual([SCHED_IDLE, 0]);
    expect([policyOf(process.pid), niceOf(process.pid)]).toEqual([SCHED_OTHER, 0]); // the event loop keeps its priority

    // A new setting replaces idle threads: a thread cannot take its priority back without privilege.
    setHashingPriority(17);
    await Promise.all([bcryptHash('c', 4), bcryptHash('d', 4)]);
    const after = await hashingThreadIds();
    expect(after.length).toBeGreaterThan(0);
    for (const tid of after) expect([policyOf(tid), niceOf(tid)]).toEqual([SCHED_OTHER, 17]);
    expect(after.some((tid) => tids.includes(tid))).toBe(false);

    setHashingPriority(0);
    await bcryptHash('e', 4);
    for (const tid of await hashingThreadIds()) expect([policyOf(tid), niceOf(tid)]).toEqual([SCHED_OTHER, 0]);
  });

  (linux ? it : it.skip)('falls back to nice 19 without chrt, and says so once', async () => {
    const path = process.env.PATH;
    const warn = jest.fn();
    try {
      process.env.PATH = '/nonexistent'; // a worker thread copies the environment when it starts
      setHashingPriority('idle', { warn });
      await Promise.all([bcryptHash('f', 4), bcryptHash('g', 4)]);
    } finally {
      process.env.PATH = path;
    }
    const tids = await hashingThreadIds();
    expect(tids.length).toBeGreaterThan(0);
    for (const tid of tids) expect([policyOf(tid), niceOf(tid)]).toEqual([SCHED_OTHER, 19]);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn).toHaveBeenCalledWith('password hashing runs above the priority asked for', expect.objectContaining({ asked: 'idle', applied: 'nice 19', problem: expect.stringContaining('ENOENT') }));
  });
});
