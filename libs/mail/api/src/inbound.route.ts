import { isIP } from 'node:net';
import type { Request, Response } from 'express';
import { inTenantTransaction, readRawBody, Tenant, type HttpHandler } from '@bulwark/platform-api';
import { mailConfig } from './mail.config';
import { tenantOfInboundSecret } from './mail.service';
import { HeldMailFull, prepareMessage, receiveForTenant } from './inbound.service';

const RAW_TYPES = ['message/rfc822', 'application/octet-stream'];
const QUERY = ['ip', 'helo', 'sender'];

const refuse = (res: Response, status: number, code: string, message: string) => res.status(status).json({ errors: [{ message, extensions: { code } }] });

/**
 * POST /api/mail/inbound: a mail provider hands over one raw message (MIME) for the workspace
 * whose secret it sends (`Authorization: Bearer bwm_…`). The secret alone chooses the workspace
 * (H5, D4): recipients and headers only thread the message within it. The secret is checked
 * before the body is read, so nobody without one can make the server read 10 MiB.
 * Optional query: `ip`, `helo`, `sender` (the envelope as the provider saw it, for SPF).
 */
export const inboundMailRoute: HttpHandler = async (req, res, services) => {
  const cfg = mailConfig.of(services.config);
  const bearer = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '')?.[1];
  const tenantId = bearer ? await tenantOfInboundSecret(services.orm, bearer) : null;
  if (!tenantId) {
    res.setHeader('WWW-Authenticate', 'Bearer realm="bulwark-mail"');
    return void refuse(res, 401, 'UNAUTHENTICATED', 'Send the workspace’s inbound mail secret as Authorization: Bearer bwm_…');
  }
  const type = (req.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
  if (!RAW_TYPES.includes(type) || req.body !== undefined) {
    return void refuse(res, 415, 'BAD_REQUEST', 'Send the raw message as message/rfc822 (or application/octet-stream)');
  }
  // D14: a parameter this endpoint does not take is refused, not dropped (a `tenant=` or
  // `recipient=` that was silently ignored would look like it had chosen something).
  const unknown = Object.keys(req.query).filter((k) => !QUERY.includes(k));
  if (unknown.length) return void refuse(res, 400, 'BAD_USER_INPUT', `Unknown parameter ${unknown[0].slice(0, 40)}: only ${QUERY.join(', ')} are taken; the secret alone chooses the workspace`);
  const query = (name: string) => {
    const v = req.query[name];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || v.length > 320) throw Object.assign(new Error(`${name} is one short value`), { status: 400, publicMessage: `${name} is one short value` });
    return v;
  };
  const ip = query('ip');
  if (ip !== undefined && !isIP(ip)) return void refuse(res, 400, 'BAD_USER_INPUT', 'ip is an IPv4 or IPv6 address');
  const envelope = { ip, helo: query('helo'), sender: query('sender') };
  const raw = await readRawBody(req, cfg.maxBytes);
  if (raw === 'too large') return void refuse(res, 413, 'BAD_REQUEST', `The message is larger than this help desk accepts (${cfg.maxBytes} bytes)`);
  if (!raw.length || !/^[\x21-\x39\x3b-\x7e]+:/.test(raw.subarray(0, 1000).toString('latin1'))) {
    return void refuse(res, 400, 'BAD_USER_INPUT', 'The body is not an email message (it must start with its headers)');
  }
  const message = await prepareMessage(services, raw, envelope, 'http').catch(() => null);
  if (!message) return void refuse(res, 400, 'BAD_USER_INPUT', 'The body could not be read as an email message');
  const slug = await slugOf(services, tenantId);
  // Which of the workspace's own addresses it was sent to (a reply address threads it). Only this
  // workspace's addresses count; another workspace's token or address in a header is just text.
  const recipients = [...addressesIn(message.parsed.headers, ['to', 'cc', 'delivered-to', 'x-original-to'])].filter((a) => a === `${slug}@${cfg.domain}` || (a.startsWith(`${slug}+`) && a.endsWith(`@${cfg.domain}`)));
  const filed = await receiveForTenant(services, tenantId, message, recipients, { requestId: (req as Request & { id?: string }).id ?? '', ip: req.ip ?? '', userAgent: req.get('user-agent') ?? 'mail provider' }).catch((e: unknown) => {
    if (e instanceof HeldMailFull) return null;
    throw e;
  });
  if (!filed) {
    res.setHeader('Retry-After', '3600');
    // A limit on what anyone may leave unverified, like a rate limit: the provider retries later.
    return void refuse(res, 429, 'RATE_LIMITED', 'This workspace holds too much unverified mail for review: deliver it again later');
  }
  res.status(filed.status === 'duplicate' ? 200 : 202).json({ status: filed.status });
};

async function slugOf(services: Parameters<HttpHandler>[2], tenantId: string): Promise<string> {
  return inTenantTransaction(services.orm, tenantId, async (em) => (await em.findOneOrFail(Tenant, { id: tenantId })).slug, { readOnly: true });
}

function addressesIn(headers: Map<string, unknown>, names: string[]): Set<string> {
  const out = new Set<string>();
  for (const name of names) {
    const v = headers.get(name);
    const text = typeof v === 'string' ? v : v && typeof v === 'object' && 'text' in v ? String((v as { text: unknown }).text) : '';
    for (const m of text.toLowerCase().matchAll(/[a-z0-9._%+-]+@[a-z0-9.-]+/g)) out.add(m[0]);
  }
  return out;
}
