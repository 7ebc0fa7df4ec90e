import { AppError, audit, PlatformAudit, withRouteContext, type AppServices, type HttpHandler, type HttpRouter, type OperationInfo, type Principal, type RequestContext } from '@bulwark/platform-api';
import { parseTenantToken } from '@bulwark/identity-api';
import { ForeignKeyConstraintViolationException, UniqueConstraintViolationException, type MikroORM } from '@mikro-orm/core';
import type { Request, Response } from 'express';
import { oneResourceType, oneSchema, resourceTypes, schemas, serviceProviderConfig } from './discovery';
import { createGroup, deleteGroup, getGroup, listGroups, patchGroup, replaceGroup } from './groups.service';
import type { Doc } from './patch';
import { select, selectionOf } from './resources';
import { fromAppError, forbidden, invalidSyntax, ScimError, uniqueness } from './scim.errors';
import { ScimPermission } from './scim.permissions';
import { createUser, deleteUser, getUser, listUsers, patchUser, replaceUser } from './users.service';

type Services = AppServices & { orm: MikroORM };
type TokenPrincipal = Extract<Principal, { kind: 'token' }>;

interface Answer {
  status: number;
  body?: unknown;
  location?: string;
}

type Work = (ctx: RequestContext, req: Request) => Promise<Answer>;

const UNAUTHENTICATED = () => new ScimError(401, 'Send an API token with the scim.provision permission: "Authorization: Bearer bwt_…"');

/**
 * One SCIM request: the bearer token names the tenant (D4) and is authenticated in it, inside
 * one transaction; only an API token with `scim.provision` gets further (no token or a dead one:
 * 401; another scope: 403). The request guards then judge it as they judge a GraphQL operation of
 * the same kind (D10 the IP allowlist, D11 lockdown for changes), and the work runs. Refusals are
 * audited (`platform.accessDenied`, F3), also when the work itself refuses (an owner, a role
 * beyond the token's creator), in a transaction of their own since the work's rolls back.
 * Every answer is SCIM's JSON (`application/scim+json`), errors as RFC 7644 §3.12 has them.
 */
function scimRoute(kind: OperationInfo['type'], label: string, work: Work): HttpHandler {
  return async (req, res, services) => {
    let answer: Answer;
    try {
      answer = await serve(services, req, res, kind, label, work);
    } catch (e) {
      const refusal = asScimError(e);
      if (!refusal) throw e;
      answer = { status: refusal.status, body: refusal.body };
    }
    send(res, answer);
  };
}

async function serve(services: Services, req: Request, res: Response, kind: OperationInfo['type'], label: string, work: Work): Promise<Answer> {
  const bearer = /^Bearer (\S+)$/.exec(String(req.headers.authorization ?? ''));
  const token = bearer ? parseTenantToken('bwt_', bearer[1]) : null;
  if (!token) throw UNAUTHENTICATED();
  let principal: TokenPrincipal | null = null;
  try {
    return await withRouteContext(services, req, res, token.tenantId, 'scim', async (ctx) => {
      await ctx.app.authenticator?.authenticate(ctx);
      if (ctx.principal?.kind !== 'token') throw UNAUTHENTICATED();
      principal = ctx.principal;
      const refused = await admit(ctx, kind, label);
      if (refused) return { status: refused.status, body: refused.body };
      const answer = await work(ctx, req);
      await ctx.em.flush();
      return answer;
    });
  } catch (e) {
    const refusal = asScimError(e);
    if (principal && refusal?.status === 403) await recordDenial(services, req, res, token.tenantId, principal, label, refusal.detail);
    throw e;
  }
}

/** The token's scope, then the request guards; a refusal is answered and audited (committed). */
async function admit(ctx: RequestContext, kind: OperationInfo['type'], label: string): Promise<ScimError | null> {
  const denied = (code: string, reason: unknown) => audit(ctx, PlatformAudit.accessDenied, { targetId: label, outcome: 'denied', details: { code, reason } });
  if (!ctx.principal?.permissions.has(ScimPermission.provision)) {
    denied('FORBIDDEN', 'the token has no scim.provision permission');
    return forbidden('This token may not provision: its permissions do not include scim.provision');
  }
  try {
    // The label is the "field": no SCIM request is exempt from lockdown. Charged to the token's
    // rate limit first, as a GraphQL operation would be (H4).
    for (const meter of ctx.app.meters) await meter.charge(ctx, { type: kind, fields: [label] });
    for (const guard of ctx.app.guards) await guard.check(ctx, { type: kind, fields: [label] });
    return null;
  } catch (e) {
    if (!(e instanceof AppError)) throw e;
    denied(e.code, e.extensions.reason ?? null);
    return fromAppError(e) ?? forbidden(e.message);
  }
}

async function recordDenial(services: Services, req: Request, res: Response, tenantId: string, principal: TokenPrincipal, label: string, reason: string) {
  await withRouteContext(services, req, res, tenantId, 'scim refusal', async (ctx) => {
    ctx.principal = principal;
    audit(ctx, PlatformAudit.accessDenied, { targetId: label, outcome: 'denied', details: { code: 'FORBIDDEN', reason } });
  });
}

/** What the client is told; null: not the client's doing (a server fault or an outage, answered by the platform). */
function asScimError(e: unknown): ScimError | null {
  if (e instanceof ScimError) return e;
  if (e instanceof AppError) return fromAppError(e);
  if (e instanceof UniqueConstraintViolationException) return uniqueness('It exists already (made by another request meanwhile)');
  if (e instanceof ForeignKeyConstraintViolationException) return new ScimError(409, 'Something this change refers to was removed meanwhile: try again');
  return null;
}

function send(res: Response, answer: Answer): void {
  res.status(answer.status);
  if (answer.status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="scim"');
  if (answer.location) res.setHeader('Location', answer.location);
  if (answer.body === undefined) return void res.end();
  res.setHeader('Content-Type', 'application/scim+json; charset=utf-8');
  res.end(JSON.stringify(answer.body));
}

const ok = (body: unknown): Answer => ({ status: 200, body });
const created = (doc: Doc): Answer => ({ status: 201, body: doc, location: (doc.meta as { location: string }).location });
const noContent: Answer = { status: 204 };

/** A body to read: JSON (application/scim+json or application/json), an object. */
function bodyOf(req: Request): unknown {
  // A form body (what `curl -d` sends by default) parses into an object too: refused by its type.
  const json = req.is(['application/json', 'application/scim+json']);
  if (!json || typeof req.body !== 'object' || req.body === null || Array.isArray(req.body)) throw invalidSyntax('Send a JSON object (Content-Type: application/scim+json)');
  return req.body;
}

const id = (req: Request) => String(req.params.id);
const selected = (req: Request, doc: Doc) => select(doc, selectionOf(req));
const selectedList = (req: Request, list: { Resources: Doc[] }) => ({ ...list, Resources: list.Resources.map((d) => selected(req, d)) });

export function scimRoutes(router: HttpRouter): void {
  const get = (path: string, work: Work) => router.get(path, scimRoute('query', `SCIM GET ${path}`, work));
  get('/ServiceProviderConfig', async (ctx) => ok(serviceProviderConfig(ctx)));
  get('/ResourceTypes', async (ctx) => ok(resourceTypes(ctx)));
  get('/ResourceTypes/:id', async (ctx, req) => ok(oneResourceType(ctx, id(req))));
  get('/Schemas', async (ctx) => ok(schemas(ctx)));
  get('/Schemas/:id', async (ctx, req) => ok(oneSchema(ctx, id(req))));

  get('/Users', async (ctx, req) => ok(selectedList(req, await listUsers(ctx, req))));
  get('/Users/:id', async (ctx, req) => ok(selected(req, await getUser(ctx, id(req)))));
  router.post('/Users', scimRoute('mutation', 'SCIM POST /Users', async (ctx, req) => created(selected(req, await createUser(ctx, bodyOf(req))))));
  router.put('/Users/:id', scimRoute('mutation', 'SCIM PUT /Users', async (ctx, req) => ok(selected(req, await replaceUser(ctx, id(req), bodyOf(req))))));
  router.patch('/Users/:id', scimRoute('mutation', 'SCIM PATCH /Users', async (ctx, req) => ok(selected(req, await patchUser(ctx, id(req), bodyOf(req))))));
  router.delete('/Users/:id', scimRoute('mutation', 'SCIM DELETE /Users', async (ctx, req) => (await deleteUser(ctx, id(req)), noContent)));

  get('/Groups', async (ctx, req) => ok(selectedList(req, await listGroups(ctx, req, selectionOf(req)))));
  get('/Groups/:id', async (ctx, req) => ok(selected(req, await getGroup(ctx, id(req), selectionOf(req)))));
  router.post('/Groups', scimRoute('mutation', 'SCIM POST /Groups', async (ctx, req) => created(selected(req, await createGroup(ctx, bodyOf(req))))));
  router.put('/Groups/:id', scimRoute('mutation', 'SCIM PUT /Groups', async (ctx, req) => ok(selected(req, await replaceGroup(ctx, id(req), bodyOf(req))))));
  router.patch('/Groups/:id', scimRoute('mutation', 'SCIM PATCH /Groups', async (ctx, req) => (await patchGroup(ctx, id(req), bodyOf(req)), noContent)));
  router.delete('/Groups/:id', scimRoute('mutation', 'SCIM DELETE /Groups', async (ctx, req) => (await deleteGroup(ctx, id(req)), noContent)));

  // Anything else under /scim/v2 (Bulk, Me, /.search are not offered): SCIM's 404, not the console.
  const nothing: HttpHandler = async (_req, res) => send(res, { status: 404, body: new ScimError(404, 'No such SCIM endpoint').body });
  for (const method of ['get', 'post', 'put', 'patch', 'delete'] as const) router[method]('/{*rest}', nothing);
}
