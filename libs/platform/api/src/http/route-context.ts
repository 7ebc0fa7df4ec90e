import type { MikroORM } from '@mikro-orm/core';
import type { Request, Response } from 'express';
import type { AppServices, RequestContext } from '../context';
import { withSystemContext } from '../system-context';
import { normalizeIp, readCredential, sessionCookieName, sessionCookies } from './app';

/**
 * One unit of work for a plain route that answers a browser or a partner's program rather than a
 * GraphQL client (an SSO callback, a SCIM request): one transaction in the tenant the route
 * found, with the request's id, address, agent and credential, no principal until the work sets
 * one, and the session cookie applied only once it has committed (like GraphQL's). The work
 * commits only if `fn` succeeds.
 */
export async function withRouteContext<T>(
  services: AppServices & { orm: MikroORM },
  req: Request,
  res: Response,
  tenantId: string,
  reason: string,
  fn: (ctx: RequestContext) => Promise<T>,
): Promise<T> {
  const http = sessionCookies(res, services.config);
  const request = { requestId: (req as Request & { id: string }).id, ip: normalizeIp(req.ip), userAgent: String(req.headers['user-agent'] ?? '').slice(0, 512) };
  const result = await withSystemContext(
    services.orm,
    services,
    tenantId,
    reason,
    (ctx) => {
      ctx.principal = null;
      ctx.credential = readCredential(req, sessionCookieName(services.config.secureCookies));
      ctx.http = http;
      return fn(ctx);
    },
    request,
  );
  for (const apply of http.pendingCookies) apply();
  return result;
}
