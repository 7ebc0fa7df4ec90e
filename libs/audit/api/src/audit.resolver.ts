import { Arg, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { audit, badInput, isUuid, MAX_PAGE_SIZE, notFound, PageInput, type RequestContext } from '@bulwark/platform-api';
import { IdentityAudit } from '@bulwark/identity-api';
import { ALERT_KINDS, AlertRule, type Alert } from './audit.entities';
import { AuditLogAudit } from './audit.permissions';
import { activity, eventById, listEvents, verifyChain, type AuditRow } from './audit.query';
import { ALERT_WATCHES } from './alerts';
import {
  auditSettings,
  createAlertRule,
  deleteAlertRule,
  recentAlerts,
  setRetention,
  startExport,
  updateAlertRule,
} from './audit.service';
import {
  AlertKindInfo,
  AlertRuleInput,
  AlertRuleResult,
  AlertRuleView,
  AuditActionInfo,
  AuditDay,
  AuditEventPage,
  AuditEventView,
  AuditExportLink,
  AuditFilter,
  AuditSettingsView,
  AuditVerification,
  SecurityAlertView,
} from './audit.types';
import { DeliveryFilter, DeliveryPage, DeliveryView } from './deliveries.types';
import { listDeliveries, retryDelivery } from './deliveries.service';

function toView(ctx: RequestContext, r: AuditRow): AuditEventView {
  return {
    id: r.id,
    seq: Number(r.seq),
    occurredAt: new Date(r.occurred_at),
    actorType: r.actor_type,
    actorId: r.actor_id,
    actorName: r.actor_name,
    action: r.action,
    actionDescription: ctx.app.audit.get(r.action)?.description ?? r.action,
    targetType: r.target_type,
    targetId: r.target_id,
    outcome: r.outcome,
    ip: r.ip,
    userAgent: r.user_agent,
    requestId: r.request_id,
    changes: Object.entries(r.changes ?? {}).map(([field, c]) => ({ field, before: c.before, after: c.after })),
    details: r.details,
    hash: r.hash.toString('hex'),
  };
}

const ruleView = (r: AlertRule): AlertRuleView => ({
  id: r.id,
  name: r.name,
  kind: r.kind,
  threshold: r.threshold,
  windowMinutes: r.windowMinutes,
  webhookUrl: r.webhookUrl ?? null,
  email: r.emailTo.length || r.emailAdmins ? { addresses: [...r.emailTo], ownersAndAdmins: r.emailAdmins } : null,
  enabled: r.enabled,
  createdAt: r.createdAt,
});

const alertView = (a: Alert): SecurityAlertView => ({ ...a, eventSeq: Number(a.eventSeq), eventId: a.eventId ?? null, lastError: a.lastError ?? null });

@Resolver()
export class AuditResolver {
  @Query(() => AuditEventPage, { description: 'Newest first; keyset-paged (pass nextCursor as after)' })
  async auditEvents(
    @Ctx() ctx: RequestContext,
    @Arg('filter', () => AuditFilter, { nullable: true }) filter?: AuditFilter | null,
    @Arg('first', () => Int, { defaultValue: 50 }) first: number = 50,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
  ): Promise<AuditEventPage> {
    const size = Math.min(Math.max(first, 1), MAX_PAGE_SIZE);
    const cursor = after && /^\d{1,18}$/.test(after) ? after : null;
    const { rows, hasMore } = await listEvents(ctx, filter ?? {}, size, cursor);
    return { items: rows.map((r) => toView(ctx, r)), hasMore, nextCursor: hasMore ? rows[rows.length - 1].seq : null };
  }

  @Query(() => AuditEventView)
  async auditEvent(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<AuditEventView> {
    const row = isUuid(id) ? await eventById(ctx, id) : null;
    if (!row) throw notFound('Audit event');
    return toView(ctx, row);
  }

  @Query(() => [AuditActionInfo], { description: 'Every declared action, for filters' })
  auditActions(@Ctx() ctx: RequestContext): AuditActionInfo[] {
    return ctx.app.audit.definitions.map((d) => ({ key: d.key, feature: d.feature, description: d.description, target: d.target, config: !!d.config }));
  }

  @Query(() => [AuditDay], { description: 'Sign-in failures and configuration changes per day (UTC)' })
  auditActivity(@Arg('days', () => Int, { defaultValue: 14 }) days: number, @Ctx() ctx: RequestContext) {
    const config = ctx.app.audit.definitions.filter((d) => d.config).map((d) => d.key as string);
    return activity(ctx, Math.min(Math.max(days, 1), 90), [IdentityAudit.loginFailed], config) as Promise<AuditDay[]>;
  }

  @Mutation(() => AuditVerification, { description: 'Walks the hash chain; names the first event that does not verify. Recorded.' })
  async verifyAuditChain(@Ctx() ctx: RequestContext): Promise<AuditVerification> {
    const result = await verifyChain(ctx);
    audit(ctx, AuditLogAudit.chainVerified, { outcome: result.ok ? 'success' : 'failure', details: { ...result } });
    return result;
  }

  @Mutation(() => AuditExportLink, { description: 'Needs a recent re-authentication; recorded' })
  exportAuditLog(
    @Arg('format', () => String, { defaultValue: 'csv', description: 'csv or ndjson' }) format: string,
    @Ctx() ctx: RequestContext,
    @Arg('filter', () => AuditFilter, { nullable: true }) filter?: AuditFilter | null,
  ) {
    // D14: an unknown format is refused, not quietly made CSV.
    if (format !== 'csv' && format !== 'ndjson') throw badInput('The format is csv or ndjson', { format: 'unknown' });
    return startExport(ctx, filter ?? {}, format);
  }

  @Query(() => AuditSettingsView)
  async auditSettings(@Ctx() ctx: RequestContext): Promise<AuditSettingsView> {
    return { retentionDays: (await auditSettings(ctx)).retentionDays };
  }

  @Mutation(() => AuditSettingsView)
  async setAuditRetention(@Arg('days', () => Int) days: number, @Ctx() ctx: RequestContext): Promise<AuditSettingsView> {
    return { retentionDays: (await setRetention(ctx, days)).retentionDays };
  }

  @Query(() => [AlertKindInfo])
  alertKinds(): AlertKindInfo[] {
    return ALERT_KINDS.map((kind) => ({ kind, description: ALERT_WATCHES[kind].describe }));
  }

  @Query(() => [AlertRuleView])
  async alertRules(@Ctx() ctx: RequestContext): Promise<AlertRuleView[]> {
    return (await ctx.em.find(AlertRule, {}, { orderBy: { createdAt: 'asc' } })).map(ruleView);
  }

  @Mutation(() => AlertRuleResult)
  async createAlertRule(@Arg('input', () => AlertRuleInput) input: AlertRuleInput, @Ctx() ctx: RequestContext): Promise<AlertRuleResult> {
    const { rule, webhookSecret } = await createAlertRule(ctx, input);
    return { rule: ruleView(rule), webhookSecret };
  }

  @Mutation(() => AlertRuleResult, { description: 'A changed webhook URL gets a new secret' })
  async updateAlertRule(@Arg('id', () => ID) id: string, @Arg('input', () => AlertRuleInput) input: AlertRuleInput, @Ctx() ctx: RequestContext): Promise<AlertRuleResult> {
    const { rule, webhookSecret } = await updateAlertRule(ctx, id, input);
    return { rule: ruleView(rule), webhookSecret };
  }

  @Mutation(() => Boolean)
  deleteAlertRule(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext) {
    return deleteAlertRule(ctx, id);
  }

  @Query(() => [SecurityAlertView], { description: 'Alerts raised by the rules, newest first' })
  async securityAlerts(@Arg('limit', () => Int, { defaultValue: 50 }) limit: number, @Ctx() ctx: RequestContext): Promise<SecurityAlertView[]> {
    return (await recentAlerts(ctx, Math.min(Math.max(limit, 1), MAX_PAGE_SIZE))).map(alertView);
  }

  @Query(() => DeliveryPage, { description: 'The delivery log: mail and webhooks sent because of changes in the workspace, newest first' })
  deliveries(
    @Ctx() ctx: RequestContext,
    @Arg('filter', () => DeliveryFilter, { nullable: true }) filter?: DeliveryFilter | null,
    @Arg('page', () => PageInput, { nullable: true }) page?: PageInput | null,
  ): Promise<DeliveryPage> {
    return listDeliveries(ctx, filter ?? {}, page ?? new PageInput());
  }

  @Mutation(() => DeliveryView, { description: 'Sends a failed mail or webhook again, with a fresh count of tries; recorded' })
  retryDelivery(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<DeliveryView> {
    return retryDelivery(ctx, id);
  }
}
