/**
 * Child process of me.bench.ts, run as
 * `node --expose-gc -r @swc-node/register tools/bench/promotions/me.fixture.ts` with the test
 * run's environment: a test server of its own in a process of its own, so that nothing else
 * allocates while it measures (inside a Jest worker, earlier files' servers and timers do). Prints
 * one line, `PROMOTIONS {"perRequest":[…]}`: the old space's growth per `me` over five batches of 50,
 * each between young-generation collections forced before and after, with no full collection
 * inside it.
 */
import { startTestServer, type TestServer } from '@bulwark/platform-api/testing';
import { createPersonas, type TenantPersonas } from '@bulwark/identity-api/testing';
import { Agent, request } from 'node:http';
import { PerformanceObserver, constants, performance } from 'node:perf_hooks';
import { getHeapSpaceStatistics } from 'node:v8';
import { apiPlugins } from '@bulwark/composition-api';

/**
 * Young-generation collections only. (On Node 20, `gc({ type: 'major' })` is a scavenge too, as
 * --trace-gc shows; a real full collection, `gc()`, before a batch would make V8 drop optimized code
 * whose maps died and rebuild it inside the batch, which is not the steady state measured here.)
 */
type Gc = (options?: { type: 'minor' }) => void;
const gc: Gc =
  (globalThis as { gc?: Gc }).gc ??
  (() => {
    throw new Error('run with --expose-gc');
  });

let t: TestServer;
let a: TenantPersonas;

/** `{ me { id email } }` over a keep-alive connection (node:http: no client-side caches in the way). */
function meQuery(agent: Agent): Promise<void> {
  const url = new URL(`${t.url}/graphql`);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent, headers: { 'content-type': 'application/json', authorization: `Bearer ${a.agent.token}` } },
      (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk));
        res.on('end', () => (res.statusCode === 200 && body.includes('"me"') ? resolve() : reject(new Error(`${res.statusCode} ${body}`))));
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify({ query: '{ me { id email } }' }));
  });
}

const oldSpaceUsed = () => getHeapSpaceStatistics().find((s) => s.space_name === 'old_space')!.space_used_size;

async function measure(): Promise<number[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  for (let i = 0; i < 200; i++) await meQuery(agent); // warm: code compiled, caches filled, pool open

  const majorAt: number[] = []; // start times of full collections, to discard a batch that had one
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if ((e as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) majorAt.push(e.startTime);
  });
  observer.observe({ entryTypes: ['gc'] });
  const perRequest: number[] = [];
  try {
    for (let batch = 0; perRequest.length < 5; batch++) {
      if (batch === 20) throw new Error(`full collections interrupted ${batch - perRequest.length} of ${batch} batches`);
      gc({ type: 'minor' });
      gc({ type: 'minor' });
      const before = oldSpaceUsed();
      const from = performance.now();
      for (let i = 0; i < 50; i++) await meQuery(agent);
      const to = performance.now();
      gc({ type: 'minor' }); // twice: a survivor is promoted at its second young collection
      gc({ type: 'minor' });
      const grown = oldSpaceUsed() - before;
      await new Promise((r) => setTimeout(r, 20)); // the observer hears of collections a little later
      // A full collection inside the batch would hide what was promoted: measure another batch.
      if (!majorAt.some((at) => at > from && at < to)) perRequest.push(grown / 50);
    }
  } finally {
    observer.disconnect();
    agent.destroy();
  }
  return perRequest;
}

async function main() {
  t = await startTestServer(apiPlugins);
  try {
    a = await createPersonas(t, 'promotions');
    const perRequest = await measure();
    process.stdout.write(`PROMOTIONS ${JSON.stringify({ perRequest })}\n`);
  } finally {
    await t.close();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
