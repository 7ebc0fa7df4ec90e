/**
 * A measurement, not a test: the normal `npm test` does not run it; run it with
 *   npm test -- --testMatch '**\/tools/bench/promotions/*.bench.ts'
 *
 * Bytes that young-generation collections promote per request on a server built with
 * expressServerOptions (libs/platform/api/src/http/app.ts) and on express as shipped. Measured when
 * it was written: about 10 KB as shipped, 83 B with the app's options (tools/bench/README.md).
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** Bytes the young-generation collections promote while a child serves `requests` requests. */
async function promotedWhileServing(options: 'app' | 'none', requests: number): Promise<number> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--trace-gc-nvp', '-r', '@swc-node/register', join(__dirname, 'express.fixture.ts')],
    { env: { ...process.env, PROBE_OPTIONS: options, PROBE_REQUESTS: String(requests) }, maxBuffer: 64 << 20 },
  );
  const scavenges = stdout.split('\n').filter((line) => line.includes(' gc=s '));
  expect(scavenges.length).toBeGreaterThan(3); // the trace is there: the probe measures something
  return scavenges.reduce((sum, line) => sum + Number(/ promoted=(\d+)/.exec(line)?.[1] ?? NaN), 0);
}

/** Promoted bytes per request once warm: (5,000 requests − 1,000 requests) ÷ 4,000, so start-up cancels. */
async function promotedPerRequest(options: 'app' | 'none'): Promise<number> {
  const warm = await promotedWhileServing(options, 1000);
  return ((await promotedWhileServing(options, 5000)) - warm) / 4000;
}

it('reports promoted bytes per request, express as shipped and with the app\'s server options', async () => {
  const shipped = await promotedPerRequest('none');
  const ours = await promotedPerRequest('app');
  process.stdout.write(`promoted per request: express as shipped ${Math.round(shipped)} B, with expressServerOptions ${Math.round(ours)} B\n`);
}, 120_000);
