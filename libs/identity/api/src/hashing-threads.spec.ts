import { loadConfig } from '@bulwark/platform-api';
import { identityConfig } from './identity.config';
import bcrypt from 'bcrypt';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { bcryptCompare, bcryptHash, DEFAULT_HASH_NICE, hashingThreadIds, setHashingNice } from './hashing-threads';

/** A thread's nice value, field 19 of /proc/<pid>/task/<tid>/stat (after the parenthesised name). */
const niceOf = (tid: number) => Number(readFileSync(`/proc/${process.pid}/task/${tid}/stat`, 'utf8').split(') ')[1].split(' ')[16]);
const linux = process.platform === 'linux';

describe('A8 password hashing runs on threads of its own, below the priority of reads', () => {
  afterAll(() => setHashingNice(DEFAULT_HASH_NICE));

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

  it('reads BULWARK_HASH_NICE from 0 to 19, default 10, and refuses anything else', () => {
    expect(identityConfig.of(loadConfig({ NODE_ENV: 'test' })).hashNice).toBe(DEFAULT_HASH_NICE);
    expect(identityConfig.of(loadConfig({ NODE_ENV: 'test', BULWARK_HASH_NICE: '0' })).hashNice).toBe(0);
    expect(identityConfig.of(loadConfig({ NODE_ENV: 'test', BULWARK_HASH_NICE: '19' })).hashNice).toBe(19);
    for (const bad of ['20', '-1', 'low', '2.5']) {
      expect(() => identityConfig.of(loadConfig({ NODE_ENV: 'test', BULWARK_HASH_NICE: bad }))).toThrow(`BULWARK_HASH_NICE must be a whole number from 0 to 19, got "${bad}"`);
    }
  });

  (linux ? it : it.skip)('runs the hashing threads at the configured nice value, and only them', async () => {
    await Promise.all([bcryptHash('a', 4), bcryptHash('b', 4)]);
    const tids = await hashingThreadIds();
    expect(tids.length).toBeGreaterThan(0);
    for (const tid of tids) expect(niceOf(tid)).toBe(DEFAULT_HASH_NICE);
    expect(niceOf(process.pid)).toBe(0); // the event loop keeps its priority

    // A new setting replaces idle threads: a thread cannot take its priority back without privilege.
    setHashingNice(17);
    await Promise.all([bcryptHash('c', 4), bcryptHash('d', 4)]);
    const after = await hashingThreadIds();
    expect(after.length).toBeGreaterThan(0);
    for (const tid of after) expect(niceOf(tid)).toBe(17);
    expect(after.some((tid) => tids.includes(tid))).toBe(false);

    setHashingNice(0);
    await bcryptHash('e', 4);
    for (const tid of await hashingThreadIds()) expect(niceOf(tid)).toBe(0);
  });
});
