/**
 * A measurement, not a test: the normal `npm test` does not run it; run it with
 *   npm test -- --testMatch '**\/tools/bench/promotions/*.bench.ts'
 * (Jest's global setup provides the database the child's test server clones).
 *
 * What a finished `me` leaves for the old generation (tools/bench login-load: `me` p99 under 16
 * sign-ins). Every byte promoted brings the next mark-compact nearer, and the mark-compacts' pauses
 * are what set `me`'s p99. Bytes, not times: the figure does not depend on how busy the machine is.
 * Measured in a child process of its own (me.fixture.ts): the old space's growth over batches of
 * `me` queries, between young-generation collections forced before and after each. Earlier figures
 * and their causes are in tools/bench/README.md.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

it('reports the old-generation growth per `me`', async () => {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--expose-gc', '-r', '@swc-node/register', join(__dirname, 'me.fixture.ts')],
    { cwd: join(__dirname, '../../..'), env: process.env, maxBuffer: 64 << 20, timeout: 110_000 },
  );
  const line = stdout.split('\n').find((l) => l.startsWith('PROMOTIONS '));
  expect(line).toBeDefined(); // the child measured something
  const perRequest = (JSON.parse(line!.slice('PROMOTIONS '.length)) as { perRequest: number[] }).perRequest.sort((x, y) => x - y);
  process.stdout.write(`old-generation growth per me, five batches of 50 (bytes): ${perRequest.map(Math.round).join(', ')}; median ${Math.round(perRequest[2])}\n`);
}, 120_000);
