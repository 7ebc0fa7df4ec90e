import express from 'express';
import { once } from 'node:events';
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Socket } from 'node:net';
import { expressServerOptions } from './app';

describe('requests are built on express\'s own prototypes (no Object.setPrototypeOf per request)', () => {
  it('gives req and res the app\'s prototypes from the start, and they stay node:http objects', () => {
    const app = express();
    const { IncomingMessage: Req, ServerResponse: Res } = expressServerOptions(app);
    const req = new Req!(new Socket());
    const res = new Res!(req);
    expect(Object.getPrototypeOf(req)).toBe(app.request);
    expect(Object.getPrototypeOf(res)).toBe(app.response);
    expect(req).toBeInstanceOf(IncomingMessage);
    expect(res).toBeInstanceOf(ServerResponse);
  });

  it('serves express routes, whose req already has the prototype express would set', async () => {
    const app = express();
    app.get('/x', (req, res) => {
      res.json({ sameProto: Object.getPrototypeOf(req) === app.request, hostname: req.hostname, json: typeof res.json });
    });
    const server = createServer(expressServerOptions(app), app).listen(0, '127.0.0.1');
    try {
      await once(server, 'listening');
      const answer = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/x`);
      expect(await answer.json()).toEqual({ sameProto: true, hostname: '127.0.0.1', json: 'function' });
    } finally {
      server.close();
    }
  });
});
