import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';

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

/**
 * Webhook secrets must be readable to sign with, so they are sealed (AES-256-GCM) under a key
 * derived from the platform's secret, never stored in clear. `v1.` names the scheme.
 */
function sealingKey(platformSecret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', platformSecret, 'bulwark', 'webhook-secrets', 32));
}

export function seal(platformSecret: string, plain: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', sealingKey(platformSecret), iv);
  const ct = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return `v1.${Buffer.concat([iv, cipher.getAuthTag(), ct]).toString('base64url')}`;
}

export function unseal(platformSecret: string, sealed: string): string {
  if (!sealed.startsWith('v1.')) throw new Error('unknown sealing scheme');
  const raw = Buffer.from(sealed.slice(3), 'base64url');
  const decipher = createDecipheriv('aes-256-gcm', sealingKey(platformSecret), raw.subarray(0, 12));
  decipher.setAuthTag(raw.subarray(12, 28));
  return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
}

export interface DeliveryResult {
  delivered: boolean;
  attempts: number;
  lastError: string | null;
}

/** POSTs with up to `attempts` tries, waiting base, 4×base, … between them; 2xx is delivered. */
export async function deliver(url: string, req: SignedRequest, opts: { attempts?: number; baseDelayMs?: number; timeoutMs?: number } = {}): Promise<DeliveryResult> {
  const attempts = opts.attempts ?? 4;
  let lastError: string | null = null;
  for (let i = 0; i < attempts; i++) {
    if (i) await new Promise((r) => setTimeout(r, (opts.baseDelayMs ?? 1000) * 4 ** (i - 1)));
    try {
      const res = await fetch(url, { method: 'POST', headers: req.headers, body: req.body, redirect: 'error', signal: AbortSignal.timeout(opts.timeoutMs ?? 5000) });
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) return { delivered: true, attempts: i + 1, lastError: null };
      lastError = `HTTP ${res.status}`;
    } catch (e) {
      lastError = (e as Error).message.slice(0, 200);
    }
  }
  return { delivered: false, attempts, lastError };
}
