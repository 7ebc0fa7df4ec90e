import type { Request, Response } from 'express';
import {
  actingUserId,
  AppError,
  audit,
  hasPermission,
  PlatformAudit,
  readCookie,
  readRawBody,
  sessionCookieName,
  withRouteContext,
  type HttpHandler,
  type Principal,
  type RequestContext,
} from '@bulwark/platform-api';
import { parseSessionToken, parseTenantToken } from '@bulwark/identity-api';
import { TicketAttachment } from './attachments.entities';
import { attachmentLimits, filesOf, judgeFile, storeUpload, tooLarge, verifyLink, type AttachmentLimits } from './attachments.service';
import { INLINE_TYPES } from './attachments.sniff';
import { ticketScope } from './ticket-scope';
import { TicketPermission } from './tickets.permissions';

const refuse = (res: Response, status: number, code: string, message: string, fields?: Record<string, string>) =>
  void res.status(status).json({ errors: [{ message, extensions: { code, ...(fields ? { fields } : {}) } }] });

const refusalStatus = (code: string) => (code === 'UNAUTHENTICATED' ? 401 : code === 'RATE_LIMITED' ? 429 : code === 'BAD_USER_INPUT' ? 400 : 403);

/** The tenant a request's credential names (session cookie or bearer token), before any lookup. */
function credentialTenant(req: Request, secureCookies: boolean): string | null {
  const bearer = /^Bearer (\S+)$/.exec(req.get('authorization') ?? '')?.[1];
  const token = bearer ?? readCookie(req.headers.cookie, sessionCookieName(secureCookies));
  if (!token) return null;
  return (token.startsWith('bwt_') ? parseTenantToken('bwt_', token) : parseSessionToken(token))?.tenantId ?? null;
}

/**
 * The guards (IP allowlist, lockdown) and meters (rate limits) for a route acting as a person, as
 * they judge a GraphQL operation with this one root field; a refusal is audited like one.
 */
async function admit(ctx: RequestContext, type: 'query' | 'mutation', field: string): Promise<AppError | null> {
  try {
    for (const meter of ctx.app.meters) await meter.charge(ctx, { type, fields: [field] });
    for (const guard of ctx.app.guards) await guard.check(ctx, { type, fields: [field] });
    return null;
  } catch (e) {
    if (!(e instanceof AppError)) throw e;
    audit(ctx, PlatformAudit.accessDenied, { targetId: field, outcome: 'denied', details: { code: e.code, reason: e.extensions.reason ?? null } });
    return e;
  }
}

/**
 * POST /api/tickets/attachments: one file as the raw body, its name in `X-Filename`
 * (percent-encoded UTF-8). Answers 201 `{id, filename, contentType, size}`; the id goes in
 * createTicket's or addComment's `attachmentIds`. The person is authenticated like a GraphQL
 * operation (session cookie or API token), then judged by the request guards (allowlist,
 * lockdown: an upload is a write) and the rate limits, before the body is read. The custom header
 * also keeps other sites' forms out (a cross-site request with it needs CORS's consent). The kind
 * of file is judged from the content; oversize (413) and refused kinds (415) are said in words.
 */
export const uploadRoute: HttpHandler = async (req, res, services) => {
  const tenantId = credentialTenant(req, services.config.secureCookies);
  if (!tenantId) return refuse(res, 401, 'UNAUTHENTICATED', 'Sign in first');
  const rawName = req.get('x-filename');
  if (!rawName) return refuse(res, 400, 'BAD_USER_INPUT', 'Send the file as the request body and its name in the X-Filename header', { file: 'no name' });
  let filename: string;
  try {
    filename = decodeURIComponent(rawName);
  } catch {
    return refuse(res, 400, 'BAD_USER_INPUT', 'The X-Filename header is the name percent-encoded (encodeURIComponent)', { file: 'bad name' });
  }
  const type = (req.get('content-type') ?? '').toLowerCase();
  if (req.body !== undefined || type.startsWith('multipart/')) {
    return refuse(res, 415, 'BAD_USER_INPUT', 'Send the file itself as the body (Content-Type: application/octet-stream), not a form', { file: 'not raw' });
  }
  const admitted = await withRouteContext(services, req, res, tenantId, 'attachment upload', async (ctx): Promise<{ principal: Principal; limits: AttachmentLimits } | { status: number; error: AppError }> => {
    await ctx.app.authenticator?.authenticate(ctx);
    if (!ctx.principal) return { status: 401, error: new AppError('UNAUTHENTICATED', 'Sign in first') };
    if (!actingUserId(ctx.principal) || (!hasPermission(ctx.principal, TicketPermission.create) && !hasPermission(ctx.principal, TicketPermission.comment))) {
      audit(ctx, PlatformAudit.accessDenied, { targetId: 'uploadAttachment', outcome: 'denied', details: { code: 'FORBIDDEN', reason: 'no person, or neither tickets.create nor tickets.comment' } });
      return { status: 403, error: new AppError('FORBIDDEN', 'Your role may not attach files') };
    }
    const refused = await admit(ctx, 'mutation', 'uploadAttachment');
    if (refused) return { status: refusalStatus(refused.code), error: refused };
    const limits = await attachmentLimits(ctx);
    return { principal: ctx.principal, limits: { maxBytes: limits.maxBytes, allowedTypes: limits.allowedTypes } };
  });
  if ('error' in admitted) return refuse(res, admitted.status, admitted.error.code, admitted.error.message);
  const { principal, limits } = admitted;
  const content = await readRawBody(req, limits.maxBytes);
  if (content === 'too large') {
    res.setHeader('Connection', 'close'); // the rest of an oversized body is not read
    return refuse(res, 413, 'BAD_USER_INPUT', tooLarge(limits), { file: 'too large' });
  }
  const { refusal } = judgeFile(limits, content);
  if (refusal) return refuse(res, content.length ? 415 : 400, 'BAD_USER_INPUT', refusal, { file: content.length ? 'kind refused' : 'empty' });
  const view = await withRouteContext(services, req, res, tenantId, 'attachment upload', async (ctx) => {
    ctx.principal = principal;
    return storeUpload(ctx, limits, filename, content);
  });
  res.status(201).json({ id: view.id, filename: view.filename, contentType: view.contentType, size: view.size });
};

/** Whether the person may see the ticket now: the ticket scope in SQL (as the list renders it), held tickets never. */
async function mayOpen(ctx: RequestContext, a: TicketAttachment, userId: string): Promise<boolean> {
  if (!a.ticket) return a.uploadedBy.id === userId; // an upload not on a message yet: its uploader's
  if (!hasPermission(ctx.principal, TicketPermission.read)) return false;
  if (a.comment && !a.comment.public && !hasPermission(ctx.principal, TicketPermission.internalNotes)) return false;
  const scope = ticketScope(ctx);
  if (scope.kind === 'none') return false;
  const params: unknown[] = [ctx.tenantId, a.ticket.id];
  let where = '';
  if (scope.kind === 'own') {
    where = scope.withGroups
      ? ' and (t.requester_id = ? or t.assignee_id = ? or t.group_id in (select m.group_id from ticket_group_members m where m.tenant_id = ? and m.user_id = ?))'
      : ' and (t.requester_id = ? or t.assignee_id = ?)';
    params.push(scope.userId, scope.userId, ...(scope.withGroups ? [ctx.tenantId, scope.userId] : []));
  }
  const rows = await ctx.em
    .getConnection()
    .execute(`select 1 from tickets t where t.tenant_id = ? and t.id = ? and t.quarantine_id is null${where}`, params, 'all', ctx.em.getTransactionContext());
  return rows.length > 0;
}

const MARKUP = new Set(['text/html', 'image/svg+xml', 'application/xml']);

const gone = (res: Response) => refuse(res, 404, 'NOT_FOUND', 'This attachment link is expired or unknown, or the file is not yours to see');

/** Content-Disposition with the name for old and new clients (RFC 6266 / 5987). */
function disposition(kind: 'inline' | 'attachment', filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}

/**
 * GET /api/tickets/attachments/<tenant>/<id>/<person>/<expiry>/<signature>: a link that
 * Attachment.url handed out, judged now as its person (their role and status, the request guards
 * from this address, the ticket's scope, internal notes): an expired, forged or out-of-scope link,
 * another workspace's id and a missing file get the same 404. Content is served as a download
 * (inline only for raster images), never sniffed, under a CSP that runs nothing.
 */
export const downloadRoute: HttpHandler = async (req, res, services) => {
  const link = verifyLink(services, req.params as Record<string, string>);
  // Another workspace's credential (or none) is not the link's person: the same 404.
  if (!link || credentialTenant(req, services.config.secureCookies) !== link.tenantId) return gone(res);
  type Found = { refused: AppError } | { filename: string; contentType: string; key: string } | null;
  const found = await withRouteContext(services, req, res, link.tenantId, 'attachment download', async (ctx): Promise<Found> => {
    // The link is not a credential on its own: the request must come from the person it was made
    // for (their session cookie or token), so a link pasted into a reply, a chat or a log opens
    // for nobody else; an API token keeps its own scope and network rules here.
    await ctx.app.authenticator?.authenticate(ctx);
    if (!ctx.principal || actingUserId(ctx.principal) !== link.userId) return null;
    const refused = await admit(ctx, 'query', 'attachment');
    if (refused) return { refused };
    const a = await ctx.em.findOne(TicketAttachment, { id: link.attachmentId }, { populate: ['comment'] });
    if (!a || !(await mayOpen(ctx, a, link.userId))) return null;
    return { filename: a.filename, contentType: a.contentType, key: `${link.tenantId}/${a.id}` };
  });
  if (!found) return gone(res);
  if ('refused' in found) return refuse(res, refusalStatus(found.refused.code), found.refused.code, found.refused.message);
  const content = await filesOf(services).readIfExists(found.key);
  if (!content) {
    services.log.warn('an attachment has no stored file', { key: found.key });
    return gone(res);
  }
  const inline = INLINE_TYPES.has(found.contentType);
  // Markup (HTML, SVG, XML an admin chose to accept) goes out as bytes: no browser renders it.
  const served = MARKUP.has(found.contentType) ? 'application/octet-stream' : found.contentType.startsWith('text/') ? `${found.contentType}; charset=utf-8` : found.contentType;
  res.setHeader('Content-Type', served);
  res.setHeader('Content-Disposition', disposition(inline ? 'inline' : 'attachment', found.filename));
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Content-Security-Policy', "default-src 'none'; sandbox; frame-ancestors 'none'");
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  res.setHeader('Cache-Control', 'private, no-store');
  res.setHeader('Content-Length', String(content.length));
  res.status(200).end(content);
};
