import { afterCommit, enqueue, queueMail, Tenant, type AuditCatalog, type AuditEvent, type RequestContext } from '@bulwark/platform-api';
import { User } from '@bulwark/identity-api';
import { auditConfig } from './audit.config';
import { Alert, AlertRule, type AlertKind } from './audit.entities';
import { alertWebhookDelivery, operatorWebhookDelivery, alertBody } from './webhook';

/**
 * Alert rules over stored events (issue 4 §6). Each kind says which events it watches and what
 * "subject" an alert is about (an account, an address, the tenant). `failed_logins` counts events
 * in a sliding window and fires once per subject per window; the other kinds fire on every
 * matching event. Evaluation runs in the events' own transaction, right after they are numbered
 * (sink.ts): the alerts and their deliveries (webhooks, mail: rows of the outbox) commit with the
 * events or not at all, including the events of failed sign-ins that survive their rollback
 * (`evenIfRolledBack`: they are appended by the same operation's commit). Delivery is the
 * outbox's jobs' work (alert.deliveries.ts), with retries, on whichever process works.
 */
type Watch = (e: AuditEvent, catalog: AuditCatalog) => string[];

const grew = (e: AuditEvent, field: string) => {
  const c = e.changes?.[field];
  if (!c) return false;
  const before = new Set(Array.isArray(c.before) ? c.before : []);
  return (Array.isArray(c.after) ? c.after : []).some((p) => !before.has(p));
};

/** The signal an event's action declares for alert rules (AuditActionDefinition.alert). */
const signal = (e: AuditEvent, catalog: AuditCatalog) => catalog.get(e.action)?.alert;

export const ALERT_WATCHES: Record<AlertKind, { describe: string; watch: Watch }> = {
  failed_logins: {
    describe: 'N failed sign-ins for one account or from one address within M minutes',
    watch: (e, catalog) =>
      signal(e, catalog) === 'failedSignIn' ? [`account:${e.targetId ?? e.actorName ?? 'unknown'}`, ...(e.ip ? [`ip:${e.ip}`] : [])] : [],
  },
  permission_granted: {
    describe: 'A role gains a permission, or a person gets another role',
    watch: (e, catalog) => {
      const def = catalog.get(e.action);
      return def?.alert === 'permissionGranted' && (!def.alertWhenGrows || grew(e, def.alertWhenGrows)) ? [`${e.targetType}:${e.targetId}`] : [];
    },
  },
  network_change: {
    describe: 'The IP allowlist or lockdown mode changes',
    watch: (e, catalog) => (signal(e, catalog) === 'networkChange' ? ['tenant'] : []),
  },
  break_glass: {
    describe: 'An owner signs in with a password while the workspace requires single sign-on',
    watch: (e, catalog) => (signal(e, catalog) === 'breakGlass' ? [`user:${e.targetId}`] : []),
  },
  backup_failed: {
    describe: 'A backup fails',
    watch: (e, catalog) => (signal(e, catalog) === 'backupFailed' ? ['tenant'] : []),
  },
  export: {
    describe: "The workspace's data leaves in bulk: an export (audit log, tickets) or a backup download",
    // Every action its feature declares as an export (D12), so a new export is watched without
    // anyone listing it here (features such as backups build on this one, not the other way round).
    watch: (e, catalog) => (catalog.get(e.action)?.export ? [`user:${e.actorId}`] : []),
  },
  spam_quarantine: {
    describe: 'The spam watcher quarantines a requester, or an admin releases, blocks or deletes held tickets',
    // The subject is shown to admins as it is: the person's name (or the address) the feature gives.
    watch: (e, catalog) => (signal(e, catalog) === 'spamQuarantine' ? [typeof e.details?.subject === 'string' ? e.details.subject : `quarantine ${e.targetId}`] : []),
  },
};

const isWatched = (e: AuditEvent, catalog: AuditCatalog) => Object.values(ALERT_WATCHES).some((w) => w.watch(e, catalog).length > 0);

function subjectCondition(subject: string): { sql: string; params: unknown[] } {
  const [kind, ...rest] = subject.split(':');
  const value = rest.join(':');
  if (kind === 'ip') return { sql: 'ip = ?', params: [value] };
  return { sql: '(target_id = ? or (target_id is null and actor_name = ?))', params: [value, value] };
}

/**
 * Called by the audit sink in the events' transaction, once they are numbered. Errors are not
 * caught: a change whose alerts cannot be recorded does not commit without them.
 */
export async function raiseAlerts(ctx: RequestContext, events: AuditEvent[]): Promise<void> {
  const watched = events.filter((e) => isWatched(e, ctx.app.audit));
  if (!watched.length || !ctx.tenantId) return;
  const tenantId = ctx.tenantId;
  const rules = await ctx.em.find(AlertRule, { enabled: true }, { orderBy: { createdAt: 'asc' } });
  const raised: { alert: Alert; rule: AlertRule; event: AuditEvent }[] = [];
  for (const rule of rules) {
    for (const e of watched) {
      for (const subject of ALERT_WATCHES[rule.kind]?.watch(e, ctx.app.audit) ?? []) {
        const since = new Date(e.occurredAt.getTime() - rule.windowMinutes * 60_000);
        if (rule.kind === 'failed_logins') {
          // Raw SQL (audit_events has no entity): it names the tenant, and RLS holds it there too.
          // The events just appended are in this transaction, so they count.
          const cond = subjectCondition(subject);
          const failures = ctx.app.audit.definitions.filter((d) => d.alert === 'failedSignIn').map((d) => d.key);
          const [{ n }] = await ctx.em.getConnection().execute<{ n: string }[]>(
            `select count(*) as n from audit_events where tenant_id = ? and action in (?) and occurred_at >= ? and ${cond.sql}`,
            [tenantId, failures, since, ...cond.params],
            'all',
            ctx.em.getTransactionContext(),
          );
          if (Number(n) < rule.threshold) continue;
          if (raised.some((r) => r.rule === rule && r.alert.subject === subject)) continue;
          if (await ctx.em.count(Alert, { ruleId: rule.id, subject, createdAt: { $gte: since } })) continue;
        }
        const alert = ctx.em.create(Alert, {
          ruleId: rule.id,
          ruleName: rule.name,
          kind: rule.kind,
          subject,
          title: titleOf(rule, e, subject, ctx.app.audit),
          eventSeq: String(e.seq ?? 0),
          eventId: e.id,
          createdAt: ctx.app.now(),
          // The alert's own delivery state is its rule's webhook's (the mail's is in the delivery log).
          delivery: rule.webhookUrl && rule.webhookSecretSealed ? 'pending' : 'none',
        });
        raised.push({ alert, rule, event: e });
      }
    }
  }
  if (!raised.length) return;
  // Stored now: the deliveries below name them, and their jobs may run as soon as this commits.
  await ctx.em.flush();
  const settings = auditConfig.of(ctx.app.config);
  const mail = await mailContext(ctx, tenantId, raised.map((r) => r.rule));
  for (const { alert, rule, event } of raised) {
    const body = alertBody(alert, tenantId);
    // The operators' stream: every tenant's alerts in the structured log once they stand, and
    // their webhook if one is configured.
    afterCommit(ctx, async () => ctx.app.log.warn('security alert', body.alert));
    if (settings.operatorWebhookUrl) {
      await enqueue(ctx, operatorWebhookDelivery, { body: JSON.stringify(body), alertId: alert.id }, { recipient: 'the platform operators', summary: `Security alert: ${rule.name}` });
    }
    if (alert.delivery === 'pending') {
      await enqueue(ctx, alertWebhookDelivery, { alertId: alert.id }, { recipient: rule.webhookUrl ?? '', summary: `Security alert: ${rule.name}` });
    }
    const text = mailText(ctx, mail.workspace, rule, alert, event);
    for (const to of recipientsOf(rule, mail.admins)) {
      await queueMail(ctx, { to, subject: `Security alert in ${mail.workspace}: ${rule.name}`, text }, `Security alert: ${rule.name}`);
    }
  }
}

/** The workspace's name and, if a rule mails them, its active owners and admins, read once. */
async function mailContext(ctx: RequestContext, tenantId: string, rules: AlertRule[]): Promise<{ workspace: string; admins: string[] }> {
  if (!rules.some((r) => r.emailAdmins || r.emailTo.length)) return { workspace: '', admins: [] };
  const tenant = await ctx.em.findOne(Tenant, { id: tenantId });
  const admins = rules.some((r) => r.emailAdmins)
    ? (await ctx.em.find(User, { role: { $in: ['owner', 'admin'] }, status: 'active' }, { fields: ['email'], orderBy: { email: 'asc' } })).map((u) => u.email)
    : [];
  return { workspace: tenant?.name ?? 'your workspace', admins };
}

/** One message per person (nobody learns who else is told); an address listed twice gets one. */
function recipientsOf(rule: AlertRule, admins: string[]): string[] {
  return [...new Set([...rule.emailTo, ...(rule.emailAdmins ? admins : [])].map((a) => a.toLowerCase()))];
}

/** The alert in words: what happened, when, who, and where to look. No ids a person cannot read. */
function mailText(ctx: RequestContext, workspace: string, rule: AlertRule, alert: Alert, e: AuditEvent): string {
  const def = ctx.app.audit.get(e.action);
  const who = whoInWords(e);
  const when = e.occurredAt.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  const what =
    rule.kind === 'failed_logins'
      ? alert.subject.startsWith('ip:')
        ? `${rule.threshold} or more failed sign-ins within ${rule.windowMinutes} minutes from the address ${alert.subject.slice(3)}.`
        : `${rule.threshold} or more failed sign-ins within ${rule.windowMinutes} minutes to the account ${e.actorName ?? 'that was tried'}.`
      : `${def?.export ?? def?.description ?? e.action}.`;
  const console = ctx.app.config.publicUrl;
  return [
    `A security alert was raised in ${workspace} by the rule "${rule.name}".`,
    '',
    `What happened: ${what}`,
    `When: ${when}`,
    `Who: ${who}`,
    '',
    `Where to look: the console's Security alerts page, ${console}/#/security-alerts, and the audit log, ${console}/#/audit (event number ${alert.eventSeq}).`,
    '',
    'You receive this because an admin of the workspace added you to this alert rule.',
  ].join('\n');
}

function whoInWords(e: AuditEvent): string {
  const from = e.ip ? ` from the address ${e.ip}` : '';
  switch (e.actorType) {
    case 'user':
      return `${e.actorName ?? 'a person of the workspace'}${from}`;
    case 'token':
      return `the API token "${e.actorName ?? 'unnamed'}"${from}`;
    case 'support':
      return `the vendor's support operator ${e.actorName ?? ''}${from}`.replace('  ', ' ');
    case 'system':
      return `Bulwark itself (${e.actorName ?? 'scheduled work'})`;
    default:
      return `someone not signed in${e.actorName ? `, trying ${e.actorName}` : ''}${from}`;
  }
}

function titleOf(rule: AlertRule, e: AuditEvent, subject: string, catalog: AuditCatalog): string {
  switch (rule.kind) {
    case 'failed_logins':
      // In words: the address tried (a failed sign-in's actor name), not the account's id.
      return `${rule.threshold}+ failed sign-ins in ${rule.windowMinutes} min ${subject.startsWith('ip:') ? `from ${subject.slice(3)}` : `for ${e.actorName ?? subject}`}`;
    case 'permission_granted':
      return `Permissions granted: ${e.action} on ${e.targetType} ${e.targetId} by ${e.actorName ?? e.actorType}`;
    case 'network_change':
      return `Network rules changed: ${e.action} by ${e.actorName ?? e.actorType}`;
    case 'backup_failed':
      return `Backup failed: ${e.action}`;
    case 'break_glass':
      return `Break-glass password sign-in by ${e.actorName ?? subject}`;
    case 'export':
      return `${catalog.get(e.action)?.export ?? e.action} by ${e.actorName ?? e.actorType}`;
    case 'spam_quarantine': {
      // The feature names who or what was quarantined in `details.subject` (a name or an address);
      // who acted is said when it is someone else (an admin's decision).
      const who = typeof e.details?.subject === 'string' ? e.details.subject : subject;
      const by = e.actorName && e.actorName !== who ? ` (by ${e.actorName})` : '';
      return `${catalog.get(e.action)?.description ?? e.action}: ${who}${by}`;
    }
  }
}
