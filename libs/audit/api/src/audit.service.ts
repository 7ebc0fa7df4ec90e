import { audit, auditDiff, badInput, createOneTimeLink, notFound, isUuid, type RequestContext } from '@bulwark/platform-api';
import { LockMode } from '@mikro-orm/core';
import { isEmail } from 'class-validator';
import type { AlertRuleInput } from './audit.types';
import { newTenantToken, requireRecentAuth } from '@bulwark/identity-api';
import { Alert, ALERT_KINDS, AlertRule, AuditExport, AuditSettings, type AlertKind } from './audit.entities';
import { AuditLogAudit } from './audit.permissions';
import type { AuditFilterArgs } from './audit.query';
import { newWebhookSecret, seal } from './webhook';

export const MIN_RETENTION_DAYS = 90;

export async function auditSettings(ctx: RequestContext): Promise<AuditSettings> {
  return (await ctx.em.findOne(AuditSettings, {})) ?? ctx.em.create(AuditSettings, { updatedAt: ctx.app.now() });
}

export async function setRetention(ctx: RequestContext, days: number): Promise<AuditSettings> {
  if (!Number.isInteger(days) || days < MIN_RETENTION_DAYS || days > 3650) {
    throw badInput(`Keep events from ${MIN_RETENTION_DAYS} to 3650 days`, { retentionDays: 'out of range' });
  }
  const s = await auditSettings(ctx);
  const before = s.retentionDays;
  s.retentionDays = days;
  s.updatedAt = ctx.app.now();
  audit(ctx, AuditLogAudit.settingsChanged, { targetId: s.id, changes: { retentionDays: { before, after: days } } });
  return s;
}

/** A rule as the API takes it (the CLI and tests pass the same fields). */
type AlertRuleFields = Pick<AlertRuleInput, 'name' | 'kind' | 'threshold' | 'windowMinutes' | 'webhookUrl' | 'enabled'> & Partial<Pick<AlertRuleInput, 'email'>>;

/**
 * Who a rule mails, normalized (trimmed, lowercase, once each), or a field error naming what is
 * wrong. `email` given at all means "mail someone": an empty choice is refused, not stored as none.
 */
function emailOf(input: AlertRuleFields): { emailTo: string[]; emailAdmins: boolean } {
  if (!input.email) return { emailTo: [], emailAdmins: false };
  const emailTo = [...new Set((input.email.addresses ?? []).map((a) => a.trim().toLowerCase()))];
  const bad = emailTo.find((a) => !isEmail(a) || a.length > 254);
  if (bad !== undefined) throw badInput(`"${bad.slice(0, 80)}" is not an email address`, { 'email.addresses': 'not an email address' });
  if (emailTo.length > 20) throw badInput('At most 20 addresses', { 'email.addresses': 'too many' });
  if (!emailTo.length && !input.email.ownersAndAdmins) {
    throw badInput('Choose who receives the alerts: addresses, all owners and admins, or both', { email: 'nobody chosen' });
  }
  return { emailTo, emailAdmins: input.email.ownersAndAdmins };
}

function checkRule(ctx: RequestContext, input: AlertRuleFields) {
  if (!(ALERT_KINDS as readonly string[]).includes(input.kind)) throw badInput(`Unknown alert kind ${input.kind}`, { kind: 'unknown' });
  if (input.webhookUrl) {
    let url: URL;
    try {
      url = new URL(input.webhookUrl);
    } catch {
      throw badInput('The webhook URL is not a URL', { webhookUrl: 'invalid' });
    }
    // Plain HTTP only outside production (local receivers while developing).
    const ok = url.protocol === 'https:' || (url.protocol === 'http:' && ctx.app.config.env !== 'production');
    if (!ok || url.username || url.password) throw badInput('The webhook URL must be https, without credentials', { webhookUrl: 'not https' });
  }
}

const ruleSnapshot = (r: AlertRule) => ({
  name: r.name,
  kind: r.kind,
  threshold: r.threshold,
  windowMinutes: r.windowMinutes,
  webhookUrl: r.webhookUrl ?? null,
  emailTo: [...r.emailTo],
  emailAdmins: r.emailAdmins,
  enabled: r.enabled,
});

/** Returns the signing secret once, at creation (and when the URL changes); it is stored sealed. */
export async function createAlertRule(ctx: RequestContext, input: AlertRuleFields): Promise<{ rule: AlertRule; webhookSecret: string | null }> {
  checkRule(ctx, input);
  const email = emailOf(input);
  const secret = input.webhookUrl ? newWebhookSecret() : null;
  const rule = ctx.em.create(AlertRule, {
    ...email,
    name: input.name.trim(),
    kind: input.kind as AlertKind,
    threshold: input.threshold,
    windowMinutes: input.windowMinutes,
    webhookUrl: input.webhookUrl || null,
    webhookSecretSealed: secret ? seal(ctx.app.config.masterKey, secret) : null,
    enabled: input.enabled,
    createdAt: ctx.app.now(),
  });
  audit(ctx, AuditLogAudit.alertRuleCreated, { targetId: rule.id, changes: auditDiff({}, ruleSnapshot(rule)) });
  return { rule, webhookSecret: secret };
}

async function findRule(ctx: RequestContext, id: string, lockMode?: LockMode): Promise<AlertRule> {
  const rule = isUuid(id) ? await ctx.em.findOne(AlertRule, { id }, { lockMode }) : null;
  if (!rule) throw notFound('Alert rule');
  return rule;
}

export async function updateAlertRule(ctx: RequestContext, id: string, input: AlertRuleFields): Promise<{ rule: AlertRule; webhookSecret: string | null }> {
  checkRule(ctx, input);
  const email = emailOf(input);
  const rule = await findRule(ctx, id);
  const before = ruleSnapshot(rule);
  const newUrl = (input.webhookUrl || null) !== (rule.webhookUrl ?? null);
  const secret = newUrl && input.webhookUrl ? newWebhookSecret() : null;
  Object.assign(rule, { name: input.name.trim(), kind: input.kind, threshold: input.threshold, windowMinutes: input.windowMinutes, enabled: input.enabled, webhookUrl: input.webhookUrl || null, ...email });
  if (newUrl) rule.webhookSecretSealed = secret ? seal(ctx.app.config.masterKey, secret) : null;
  audit(ctx, AuditLogAudit.alertRuleUpdated, { targetId: rule.id, changes: auditDiff(before, ruleSnapshot(rule)) });
  return { rule, webhookSecret: secret };
}

export async function deleteAlertRule(ctx: RequestContext, id: string): Promise<boolean> {
  // Locked first, so an alert it raises at this moment waits for the delete instead of slipping
  // in between letting go of its alerts and deleting it.
  const rule = await findRule(ctx, id, LockMode.PESSIMISTIC_WRITE);
  audit(ctx, AuditLogAudit.alertRuleDeleted, { targetId: rule.id, changes: auditDiff(ruleSnapshot(rule), {}) });
  // What it raised stays, under the rule's name (the key has no ON DELETE SET NULL: it would null tenant_id too).
  await ctx.em.nativeUpdate(Alert, { ruleId: rule.id }, { ruleId: null });
  ctx.em.remove(rule);
  return true;
}

export async function recentAlerts(ctx: RequestContext, limit: number): Promise<Alert[]> {
  return ctx.em.find(Alert, {}, { orderBy: { createdAt: 'desc' }, limit });
}

/**
 * An export is itself audited and needs a fresh password confirmation (B8). The mutation stores a
 * one-time link; the download (export.route.ts) streams the events the filter names, once.
 */
export async function startExport(ctx: RequestContext, filter: AuditFilterArgs, format: 'csv' | 'ndjson'): Promise<{ url: string; expiresAt: Date }> {
  await requireRecentAuth(ctx);
  const { token, hash } = newTenantToken('bwx_', ctx.tenantId as string);
  const exp = createOneTimeLink(ctx, AuditExport, hash, { format, filter: { ...filter } });
  audit(ctx, AuditLogAudit.exported, { targetId: null, details: { exportId: exp.id, format, filter: { ...filter } } });
  return { url: `/api/audit/export/${token}`, expiresAt: exp.expiresAt };
}
