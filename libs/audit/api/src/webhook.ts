import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { isInternalAddress, sealSecret, unsealSecret, unsealWithKeys } from '@bulwark/platform-api';
import { lookup } from 'node:dns/promises';

/**
 * Signed webhooks (SECURITY.md G5): HMAC-SHA256 over `id.timestamp.body`, sent as
 * `Bulwark-Signature: v1=<hex>` with the id and timestamp in their own headers, so a receiver can
 * reject stale or replayed deliveries. Retried with exponential backoff; every attempt is recorded.
 */
export interface SignedRequest {
  id: string;
  timestamp: number;
  body: string;
  headers: Record<string, string>;
}

export function signWebhook(secret: string, body: string, now: Date, id: string = randomUUID()): SignedRequest {
  const timestamp = Math.floor(now.getTime() / 1000);
  const signature = createHmac('sha256', secret).update(`${id}.${timestamp}.${body}`).digest('hex');
  return {
    id,
    timestamp,
    body,
    headers: {
      'content-type': 'application/json',
      'bulwark-webhook-id': id,
      'bulwark-webhook-timestamp': String(timestamp),
      'bulwark-signature': `v1=${signature}`,
    },
  };
}

/** What a receiver does (documented in the README, used by the tests). */
export function verifyWebhook(secret: string, headers: Record<string, string | undefined>, body: string, nowSeconds: number, toleranceSeconds = 300): boolean {
  const id = headers['bulwark-webhook-id'];
  const ts = Number(headers['bulwark-webhook-timestamp']);
  const sig = /^v1=([0-9a-f]{64})$/.exec(headers['bulwark-signature'] ?? '')?.[1];
  if (!id || !sig || !Number.isFinite(ts) || Math.abs(nowSeconds - ts) > toleranceSeconds) return false;
  const expected = createHmac('sha256', secret).update(`${id}.${ts}.${body}`).digest();
  return timingSafeEqual(expected, Buffer.from(sig, 'hex'));
}

export const newWebhookSecret = () => `whsec_${randomBytes(32).toString('base64url')}`;

/** Webhook secrets must be readable to sign with, so they are sealed (platform sealing.ts). */
const PURPOSE = 'webhook-secrets';
export const seal = (masterKey: string, plain: string) => sealSecret(masterKey, PURPOSE, plain);
export const unseal = (masterKey: string, sealed: string) => unsealSecret(masterKey, PURPOSE, sealed);
export const unsealWithAny = (keys: (string | undefined)[], sealed: string) => unsealWithKeys(keys, PURPOSE, sealed);

export interface DeliveryResult {
  delivered: boolean;
  attempts: number;
  lastError: string | null;
}

/**
 * POSTs with up to `attempts` tries, waiting base, 4×base, … between them; 2xx is delivered, and
 * a 4xx other than 408/429 is final. With `publicOnly` (production) a host that resolves to an
 * internal address is refused, so webhooks cannot probe the server's own network (SSRF). The
 * check is at each delivery; a host re-resolving between check and connect remains a residual
 * risk an egress proxy closes.
 */
export async function deliver(url: string, req: SignedRequest, opts: { attempts?: number; baseDelayMs?: number; timeoutMs?: number; publicOnly?: boolean } = {}): Promise<DeliveryResult> {
  const attempts = opts.attempts ?? 4;
  let lastError: string | null = null;
  if (opts.publicOnly) {
    try {
      const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
      const addresses = await lookup(host, { all: true });
      if (!addresses.length || addresses.some((a) => isInternalAddress(a.address))) return { delivered: false, attempts: 0, lastError: 'refused: the host resolves to an internal address' };
    } catch {
      return { delivered: false, attempts: 0, lastError: 'refused: the host does not resolve' };
    }
  }
  for (let i = 0; i < attempts; i++) {
    if (i) await new Promise((r) => setTimeout(r, (opts.baseDelayMs ?? 1000) * 4 ** (i - 1)));
    try {
      const res = await fetch(url, { method: 'POST', headers: req.headers, body: req.body, redirect: 'error', signal: AbortSignal.timeout(opts.timeoutMs ?? 5000) });
      await res.body?.cancel().catch(() => undefined); // the answer's body is not needed
      if (res.ok) return { delivered: true, attempts: i + 1, lastError: null };
      lastError = `HTTP ${res.status}`;
      if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) return { delivered: false, attempts: i + 1, lastError };
    } catch (e) {
      lastError = (e as Error).message.slice(0, 200);
    }
  }
  return { delivered: false, attempts, lastError };
}
