import type { MikroORM } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import type { AppServices } from './context';
import type { ComposedApi } from './plugin';
import { withSystemContext } from './system-context';

/** The demo tenant a fresh development install gets. Never in production (SECURITY.md A12). */
export const DEMO = {
  tenant: 'demo',
  tenantName: 'Demo Company',
  adminEmail: 'admin@demo.bulwark.test',
  agentEmail: 'agent@demo.bulwark.test',
  requesterEmail: 'requester@demo.bulwark.test',
  password: 'correct horse battery staple',
} as const;

export async function seedDemo(orm: MikroORM, app: AppServices, api: ComposedApi): Promise<string> {
  if (app.config.env === 'production') {
    throw new Error('the demo seed refuses to run with NODE_ENV=production: it creates accounts with a published password');
  }
  const tenantId = randomUUID();
  await withSystemContext(orm, app, tenantId, 'demo seed', async (ctx) => {
    // Made data, not news: nobody is mailed about the demo's tickets.
    ctx.quiet = true;
    for (const p of api.plugins) await p.seedDemo?.(ctx);
  });
  return tenantId;
}
