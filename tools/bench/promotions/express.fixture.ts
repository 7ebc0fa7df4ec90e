/**
 * Child process of express.bench.ts (run with `node --trace-gc-nvp -r @swc-node/register`): an express
 * app with a JSON body parser answers PROBE_REQUESTS requests over four keep-alive connections, on
 * a server built with expressServerOptions (PROBE_OPTIONS=app) or as express ships (=none), then
 * exits. The bench reads V8's trace of the young-generation collections from stdout.
 */
import express from 'express';
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expressServerOptions } from '../../../libs/platform/api/src/http/app';

const total = Number(process.env.PROBE_REQUESTS);
const app = express();
app.use(express.json());
app.post('/echo', (req, res) => {
  res.json({ n: (req.body as { n: number }).n });
});
const server = createServer(process.env.PROBE_OPTIONS === 'app' ? expressServerOptions(app) : {}, app);

server.listen(0, '127.0.0.1', async () => {
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  const { port } = server.address() as AddressInfo;
  const one = (n: number) =>
    new Promise<void>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/echo', method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
        if (res.statusCode !== 200) reject(new Error(`status ${res.statusCode}`));
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', reject);
      req.end(JSON.stringify({ n }));
    });
  let sent = 0;
  try {
    await Promise.all([0, 1, 2, 3].map(async () => {
      while (sent < total) await one(sent++);
    }));
    process.exit(0);
  } catch (error) {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  }
});
