import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { defineDelivery, FinalDeliveryError, isInternalAddress, sealSecret, unsealSecret, unsealWithKeys, type RequestContext } from '@bulwark/platform-api';
import { lookup } from 'node:dns/promises';
import { auditConfig } from './audit.config';
import { Alert, AlertRule } from './audit.entities';

/**
 * Signed webhooks (SECURITY.md G5): HMAC-SHA256 over `id.timestamp.body`, sent as
 * `Bulwark-Signature: v1=<hex>` with the id and timestamp in their own headers, so a receiver can
 * reject stale or replayed deliveries. The id is the alert's, the same at every try, so a receiver
 * can drop a repeat. Each try is one POST by an outbox job (alerts.ts queues them in the alert's
 * transaction); the outbox retries with its backoff, and the alert records attempts and outcome.
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

/**
 * One POST. 2xx is delivered; a 4xx other than 408/429 is final (FinalDeliveryError: the receiver
 * said no, and will say it again); anything else throws for the outbox to retry. With
 * `publicOnly` (production) a host that resolves to an internal address is refused for good, so
 * webhooks cannot probe the server's own network (SSRF). The check is at each try; a host
 * re-resolving between check and connect remains a residual risk an egress proxy closes.
 */
export async function postWebhook(url: string, req: SignedRequest, opts: { timeoutMs?: number; publicOnly?: boolean } = {}): Promise<void> {
  if (opts.publicOnly) {
    let addresses: { address: string }[];
    try {
      addresses = await lookup(new URL(url).hostname.replace(/^\[|\]$/g, ''), { all: true });
    } catch {
      // A name that does not resolve may resolve later (DNS being fixed): tried again.
      throw new Error('the host does not resolve');
    }
    if (!addresses.length || addresses.some((a) => isInternalAddress(a.address))) throw new FinalDeliveryError('refused: the host resolves to an internal address');
  }
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers: req.headers, body: req.body, redirect: 'error', signal: AbortSignal.timeout(opts.timeoutMs ?? 5000) });
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    throw new Error(String(cause?.code ?? cause?.message ?? (e as Error).message).slice(0, 200));
  }
  await res.body?.cancel().catch(() => undefined); // the answer's body is not needed
  if (res.ok) return;
  const error = `HTTP ${res.status}`;
  if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) throw new FinalDeliveryError(error);
  throw new Error(error);
}

/** What both webhooks carry: the alert as the console shows it. */
export function alertBody(alert: Alert, tenantId: string) {
  return {
    type: 'bulwark.alert',
    alert: {
      id: alert.id,
      tenantId,
      rule: alert.ruleName,
      kind: alert.kind,
      subject: alert.subject,
      title: alert.title,
      eventSeq: Number(alert.eventSeq),
      eventId: alert.eventId ?? null,
      createdAt: alert.createdAt.toISOString(),
    },
  };
}

/**
 * The rule's webhook. The URL and the signing secret are the rule's at the time of each try (a
 * URL fixed after failures is used by the next try; a deleted rule sends nothing more). The
 * alert's delivery, attempts and last error are written in the claiming transaction.
 */
export const alertWebhookDelivery = defineDelivery<{ alertId: string }>({
  name: 'audit.alert-webhook',
  label: 'Alert webhook',
  async deliver(sys, { alertId }) {
    const alert = await sys.em.findOne(Alert, { id: alertId });
    if (!alert) throw new FinalDeliveryError('the alert no longer exists');
    const rule = alert.ruleId ? await sys.em.findOne(AlertRule, { id: alert.ruleId }) : null;
    if (!rule?.webhookUrl || !rule.webhookSecretSealed) throw new FinalDeliveryError('the alert rule was deleted or has no webhook any more');
    let secret: string;
    try {
      secret = unsealWithAny([sys.app.config.masterKey, sys.app.config.masterKeyPrevious], rule.webhookSecretSealed);
    } catch {
      throw new FinalDeliveryError('the signing secret cannot be unsealed with the current master keys; save the rule again');
    }
    alert.attempts += 1;
    try {
      await postWebhook(rule.webhookUrl, signWebhook(secret, JSON.stringify(alertBody(alert, alert.tenantId)), sys.app.now(), alert.id), {
        publicOnly: sys.app.config.env === 'production',
      });
    } catch (e) {
      alert.lastError = (e as Error).message;
      // Kept although this try failed: the outbox commits its own record of it with this.
      await sys.em.flush();
      throw e;
    }
    Object.assign(alert, { delivery: 'delivered', lastError: null, deliveredAt: sys.app.now() });
  },
  failed: (sys, { alertId }, error) => markFailed(sys, alertId, error),
});

async function markFailed(sys: RequestContext, alertId: string, error: string): Promise<void> {
  await sys.em.nativeUpdate(Alert, { id: alertId }, { delivery: 'failed', lastError: error });
}

/** The operators' webhook (BULWARK_OPERATOR_WEBHOOK_*): every workspace's alerts, signed with their secret. */
export const operatorWebhookDelivery = defineDelivery<{ alertId: string; body: string }>({
  name: 'audit.operator-webhook',
  label: "Operators' alert webhook",
  async deliver(sys, { alertId, body }) {
    const settings = auditConfig.of(sys.app.config);
    if (!settings.operatorWebhookUrl || !settings.operatorWebhookSecret) throw new FinalDeliveryError("the operators' webhook is no longer configured");
    await postWebhook(settings.operatorWebhookUrl, signWebhook(settings.operatorWebhookSecret, body, sys.app.now(), alertId));
  },
  failed: async (sys, { alertId }, error) => sys.log.error('operator alert webhook failed', { alertId, error }),
});
