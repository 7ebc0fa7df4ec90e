import type { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { IncomingMessage, ServerResponse, type ServerOptions } from 'node:http';
import { join } from 'node:path';
import type { MikroORM } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { AppServices, Credential, HttpHandle, RequestContext } from '../context';
import type { ApiPlugin, HttpHandler } from '../plugin';
import { checkJsonInput } from './input';
import { OUTAGE_RETRY_AFTER_SECONDS, type DatabaseHealth } from '../db/outage';
import { serviceUnavailable } from '../errors';

export interface HttpDeps {
  apollo: ApolloServer<RequestContext>;
  orm: MikroORM;
  app: AppServices;
  ready: () => Promise<boolean>;
  /** Where database outages are noted (G7); plain routes answer 503 during one. */
  health?: DatabaseHealth;
  /** Plugins with plain HTTP routes (mounted under /api/<plugin name>/). */
  plugins?: readonly ApiPlugin[];
}

export function sessionCookieName(secure: boolean): string {
  // SECURITY.md B3: the __Host- prefix needs Secure; plain-HTTP development drops both.
  return secure ? '__Host-bulwark_session' : 'bulwark_session';
}

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) {
      // A malformed % escape is a cookie we never set: no credential, not a server error (E9).
      try {
        return decodeURIComponent(part.slice(i + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

export function readCredential(req: Request, cookieName: string): Credential | null {
  const auth = req.headers.authorization;
  if (auth) {
    const m = /^Bearer ([A-Za-z0-9_\-.]{16,256})$/.exec(auth);
    return m ? { token: m[1], source: 'bearer' } : null;
  }
  const cookie = readCookie(req.headers.cookie, cookieName);
  return cookie ? { token: cookie, source: 'cookie' } : null;
}

/**
 * The session cookie's handle for one response (B3): changes are queued in `pending` and applied
 * by whoever commits the work (GraphQL's transaction plugin, or a plain route after its commit).
 */
export function sessionCookies(res: Response, config: AppServices['config'], pending: (() => void)[] = []): HttpHandle {
  const name = sessionCookieName(config.secureCookies);
  const options = { httpOnly: true, secure: config.secureCookies, sameSite: 'lax' as const, path: '/' };
  return {
    pendingCookies: pending,
    setHeader: (name, value) => void res.setHeader(name, value),
    setSessionCookie: (token, maxAgeSeconds) => pending.push(() => res.cookie(name, token, { ...options, maxAge: maxAgeSeconds * 1000 })),
    clearSessionCookie: () => pending.push(() => res.clearCookie(name, options)),
  };
}

/** `::ffff:10.1.2.3` and `10.1.2.3` are the same client (SECURITY.md D10). */
export function normalizeIp(ip: string | undefined): string {
  if (!ip) return '';
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}

interface RequestLocals {
  requestContext?: RequestContext;
}

/** Who acted, for the request log line: ids only (B9). */
function actorOf(ctx: RequestContext | undefined) {
  if (!ctx) return undefined;
  return { operation: ctx.operation, tenantId: ctx.tenantId ?? undefined, userId: ctx.principal?.kind === 'user' ? ctx.principal.userId : undefined, operatorId: ctx.principal?.kind === 'support' ? ctx.principal.operatorId : undefined };
}

/**
 * node:http server options that build each request and response on express's own prototypes, so
 * express's per-request `Object.setPrototypeOf` (app.handle) changes nothing. Why it matters: V8
 * carried re-pointed req/res objects, and much of what a request hangs on them, through
 * young-generation collections into the old generation, whose mark-compact pauses decide `me`'s
 * p99 (tools/bench, login-load). The classes are real subclasses (`class … extends`), and the app's
 * prototypes become theirs: an earlier version built the objects with `Reflect.construct` and a
 * plain function as new.target, which still promoted about 2 KB of every finished request.
 * Promoted bytes per request, express with a JSON body parser (app.spec.ts): express as shipped
 * about 10 KB, Reflect.construct 2.2 KB, these classes under 0.1 KB, as little as plain node:http.
 *
 * Call it once per app, before the server takes requests: it re-points `app.request` and
 * `app.response` at the subclasses' prototypes, which inherit from what they were.
 */
export function expressServerOptions(app: Express): ServerOptions {
  class AppRequest extends IncomingMessage {}
  Object.setPrototypeOf(AppRequest.prototype, app.request);
  app.request = AppRequest.prototype as Request;
  class AppResponse extends ServerResponse {}
  Object.setPrototypeOf(AppResponse.prototype, app.response);
  app.response = AppResponse.prototype as unknown as Response;
  return { IncomingMessage: AppRequest, ServerResponse: AppResponse as typeof ServerResponse };
}

const READY_DEADLINE_MS = 700;

/** `promise`'s value, or `fallback` once `ms` have passed (the promise is left to settle alone). */
function withDeadline<T>(promise: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<T>((resolve) => (timer = setTimeout(() => resolve(fallback), ms)));
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** What a person reads for the client errors express's body parser raises (E9). */
const HTTP_ERROR_MESSAGES: Record<number, string> = {
  400: 'Malformed request body: send JSON',
  413: 'Request body too large',
  415: 'Unsupported content type or charset: send application/json in UTF-8',
};

export function createHttpApp({ apollo, orm, app, ready, health, plugins = [] }: HttpDeps) {
  const { config, log } = app;
  const cookieName = sessionCookieName(config.secureCookies);
  const http = express();
  http.disable('x-powered-by');
  // An exact hop count, never `true`: with `true` any client could pick its own address (D10).
  http.set('trust proxy', config.trustProxyHops);

  http.use((req: Request, res: Response, next: NextFunction) => {
    const id = randomUUID();
    const started = process.hrtime.bigint();
    (req as Request & { id: string }).id = id;
    res.setHeader('X-Request-Id', id);
    // One line per request; no headers, bodies or query strings (tokens never reach logs: B9).
    res.on('finish', () => {
      if (!config.logRequests || req.path === '/healthz' || req.path === '/readyz') return;
      log.info('request', {
        requestId: id,
        method: req.method,
        // Secrets in a path (a one-time download link) never reach the log (B9).
        path: req.path.replace(/bw[a-z]_[A-Za-z0-9_-]+/g, '[token]'),
        status: res.statusCode,
        ms: Number((process.hrtime.bigint() - started) / 1000n) / 1000,
        ip: normalizeIp(req.ip),
        ...actorOf((res.locals as RequestLocals).requestContext?.http?.operationContext),
      });
    });
    next();
  });
  http.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          // MUI (emotion) injects style elements at run time.
          styleSrc: ["'self'", "'unsafe-inline'"],
          imgSrc: ["'self'", 'data:'],
          fontSrc: ["'self'", 'data:'],
          connectSrc: ["'self'"],
          objectSrc: ["'none'"],
          baseUri: ["'self'"],
          formAction: ["'self'"],
          frameAncestors: ["'none'"],
        },
      },
      hsts: { maxAge: 31536000, includeSubDomains: true },
    }),
  );

  http.get('/healthz', (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json({ status: 'ok' });
  });
  http.get('/readyz', async (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    // Within a second whatever the database does (G7): a frozen server counts as not ready.
    const ok = await withDeadline(ready(), READY_DEADLINE_MS, false).catch(() => false);
    res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'unavailable' });
  });

  const corsOrigins = new Set(config.corsOrigins);
  http.use('/graphql', (req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    const origin = req.headers.origin;
    if (origin && corsOrigins.has(origin)) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      res.setHeader('Vary', 'Origin');
      if (req.method === 'OPTIONS') {
        res.setHeader('Access-Control-Allow-Methods', 'POST');
        res.setHeader('Access-Control-Allow-Headers', 'content-type, authorization, apollo-require-preflight');
        res.status(204).end();
        return;
      }
    }
    next();
  });
  http.post(
    '/graphql',
    express.json({ limit: config.bodyLimit }),
    (req, res, next) => {
      const wrong = checkJsonInput(req.body);
      if (!wrong) return next();
      res.status(400).json({ errors: [{ message: wrong, extensions: { code: 'BAD_USER_INPUT' } }] });
    },
    expressMiddleware(apollo, {
      context: async ({ req, res }): Promise<RequestContext> => {
        const requestId = (req as Request & { id: string }).id;
        const pendingCookies: (() => void)[] = [];
        const ctx: RequestContext = {
          requestId,
          ip: normalizeIp(req.ip),
          userAgent: String(req.headers['user-agent'] ?? '').slice(0, 512),
          credential: readCredential(req, cookieName),
          principal: null,
          tenantId: null,
          em: orm.em.fork({ clear: true }) as EntityManager,
          app,
          log: log.child({ requestId }),
          loaders: new Map(),
          http: sessionCookies(res, config, pendingCookies),
        };
        // The request log line names who acted (ids only), read when the response finishes. A plain
        // property, not a getter: V8 keeps accessor pairs in the old generation, so a getter closing
        // over ctx held every request's whole graph through young-generation collections.
        (res.locals as RequestLocals).requestContext = ctx;
        return ctx;
      },
    }),
  );
  http.all('/graphql', (_req, res) => {
    res.status(405).setHeader('Allow', 'POST').json({ errors: [{ message: 'Use POST', extensions: { code: 'BAD_REQUEST' } }] });
  });

  // Bodies for plugin routes that take them: JSON (SCIM sends application/scim+json) and HTML
  // forms (a SAML POST binding), within the same limit as GraphQL's; input checks as GraphQL's (E9).
  const routeBodies = [
    express.json({ limit: config.bodyLimit, type: ['application/json', 'application/scim+json'] }),
    express.urlencoded({ limit: config.bodyLimit, extended: false }),
    (req: Request, _res: Response, next: NextFunction) => {
      const wrong = req.body && typeof req.body === 'object' ? checkJsonInput(req.body) : null;
      // As the body parsers refuse: an error with a status, which a plugin may word (SCIM).
      next(wrong ? Object.assign(new Error(wrong), { status: 400, publicMessage: wrong }) : undefined);
    },
  ];
  for (const plugin of plugins) {
    if (!plugin.routes) continue;
    const router = express.Router();
    const handle =
      (handler: HttpHandler) =>
      (req: Request, res: Response, next: NextFunction): void => {
        res.setHeader('Cache-Control', 'no-store');
        handler(req, res, { ...app, orm }).catch((error: unknown) => {
          if (health?.explains(error)) {
            health.failed(error);
            if (res.headersSent) return void res.destroy();
            res.setHeader('Retry-After', String(OUTAGE_RETRY_AFTER_SECONDS));
            const e = serviceUnavailable(OUTAGE_RETRY_AFTER_SECONDS);
            res.status(503).json({ errors: [{ message: e.message, extensions: e.extensions }] });
          } else if (res.headersSent) {
            log.error('HTTP route failed mid-stream', { requestId: (req as Request & { id: string }).id, error });
            res.destroy();
          } else next(error);
        });
      };
    plugin.routes({
      get: (path, handler) => router.get(path, handle(handler)),
      post: (path, handler) => router.post(path, ...routeBodies, handle(handler)),
      put: (path, handler) => router.put(path, ...routeBodies, handle(handler)),
      patch: (path, handler) => router.patch(path, ...routeBodies, handle(handler)),
      delete: (path, handler) => router.delete(path, handle(handler)),
    });
    const worded = plugin.routeClientError;
    if (worded) {
      router.use((err: Error & { status?: number; publicMessage?: string }, _req: Request, res: Response, next: NextFunction) => {
        const status = err.status && err.status >= 400 && err.status < 500 ? err.status : null;
        if (!status || res.headersSent) return next(err);
        const { type, body } = worded(status, err.publicMessage ?? HTTP_ERROR_MESSAGES[status] ?? 'Bad request');
        res.status(status).type(type).send(JSON.stringify(body));
      });
    }
    http.use(plugin.routesAt ?? `/api/${plugin.name}`, router);
  }

  const consoleDir = config.consoleDir;
  if (consoleDir && existsSync(join(consoleDir, 'index.html'))) {
    http.use(express.static(consoleDir, { index: false, maxAge: '1h' }));
    // The console is a single-page app: every other GET is its index.
    http.get(/^\/(?!graphql|healthz|readyz|api\/|scim\/).*/, (_req, res) => {
      res.setHeader('Cache-Control', 'no-store');
      res.sendFile(join(consoleDir, 'index.html'));
    });
  }

  // Malformed JSON, oversized bodies and anything unexpected: a JSON error, never a stack trace.
  http.use((err: Error & { status?: number; type?: string; publicMessage?: string }, req: Request, res: Response, _next: NextFunction) => {
    const requestId = (req as Request & { id?: string }).id;
    const status = err.status && err.status >= 400 && err.status < 500 ? err.status : 500;
    if (status === 500) log.error('unhandled HTTP error', { requestId, error: err });
    res.status(status).json({
      errors: [
        {
          message: (status !== 500 && err.publicMessage) || HTTP_ERROR_MESSAGES[status] || (status === 500 ? 'Internal server error' : 'Bad request'),
          extensions: { code: status === 500 ? 'INTERNAL_SERVER_ERROR' : err.publicMessage ? 'BAD_USER_INPUT' : 'BAD_REQUEST', requestId },
        },
      ],
    });
  });
  return http;
}
