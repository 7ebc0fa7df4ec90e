import { withSystemContext, type AuditCatalog, type AuditEvent, type RequestContext } from '@bulwark/platform-api';
import { auditConfig } from './audit.config';
import { Alert, AlertRule, type AlertKind } from './audit.entities';
import { deliver, signWebhook, unsealWithAny } from './webhook';

/**
 * Alert rules over stored events (issue 4 §6). Each kind says which events it watches and what
 * "subject" an alert is about (an account, an address, the tenant). `failed_logins` counts events
 * in a sliding window and fires once per subject per window; the other kinds fire on every
 * matching event. Evaluation runs after the events' transaction commits, in its own.
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

interface Raised {
  alert: Alert;
  url: string | null;
  secret: string | null;
}

/** Called after commit with the events just stored; never throws. */
export async function raiseAlerts(ctx: RequestContext, events: AuditEvent[]): Promise<void> {
  const watched = events.filter((e) => isWatched(e, ctx.app.audit));
  if (!watched.length || !ctx.tenantId) return;
  const tenantId = ctx.tenantId;
  try {
    const raised = await withSystemContext(ctx.em, ctx.app, tenantId, 'audit alerts', async (sys) => {
      const rules = await sys.em.find(AlertRule, { enabled: true });
      const out: Raised[] = [];
      for (const rule of rules) {
        for (const e of watched) {
          for (const subject of ALERT_WATCHES[rule.kind]?.watch(e, sys.app.audit) ?? []) {
            const since = new Date(e.occurredAt.getTime() - rule.windowMinutes * 60_000);
            if (rule.kind === 'failed_logins') {
              // Raw SQL (audit_events has no entity): it names the tenant, and RLS holds it there too.
              const cond = subjectCondition(subject);
              const failures = sys.app.audit.definitions.filter((d) => d.alert === 'failedSignIn').map((d) => d.key);
              const [{ n }] = await sys.em.getConnection().execute<{ n: string }[]>(
                `select count(*) as n from audit_events where tenant_id = ? and action in (?) and occurred_at >= ? and ${cond.sql}`,
                [tenantId, failures, since, ...cond.params],
                'all',
                sys.em.getTransactionContext(),
              );
              if (Number(n) < rule.threshold) continue;
              if (await sys.em.count(Alert, { ruleId: rule.id, subject, createdAt: { $gte: since } })) continue;
            }
            const alert = sys.em.create(Alert, {
              ruleId: rule.id,
              ruleName: rule.name,
              kind: rule.kind,
              subject,
              title: titleOf(rule, e, subject, sys.app.audit),
              eventSeq: String(e.seq ?? 0),
              eventId: e.id,
              createdAt: sys.app.now(),
              delivery: rule.webhookUrl ? 'pending' : 'none',
            });
            let secret: string | null = null;
            if (rule.webhookSecretSealed) {
              try {
                secret = unsealWithAny([sys.app.config.masterKey, sys.app.config.masterKeyPrevious], rule.webhookSecretSealed);
              } catch {
                // The alert stands (console, operators); only this rule's webhook cannot be signed.
                alert.delivery = 'failed';
                alert.lastError = 'the signing secret cannot be unsealed with the current master keys; save the rule again';
              }
            }
            out.push({ alert, url: secret ? (rule.webhookUrl ?? null) : null, secret });
          }
        }
      }
      return out;
    });
    for (const r of raised) await send(ctx, tenantId, r);
  } catch (error) {
    ctx.log.error('alert evaluation failed', { error });
  }
}

function titleOf(rule: AlertRule, e: AuditEvent, subject: string, catalog: AuditCatalog): string {
  switch (rule.kind) {
    case 'failed_logins':
      return `${rule.threshold}+ failed sign-ins in ${rule.windowMinutes} min for ${subject}`;
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

/** Tenant webhook (if the rule has one), the operators' stream, and the delivery record. */
async function send(ctx: RequestContext, tenantId: string, { alert, url, secret }: Raised): Promise<void> {
  const { config, log } = ctx.app;
  const settings = auditConfig.of(config);
  const payload = {
    type: 'bulwark.alert',
    alert: { id: alert.id, tenantId, rule: alert.ruleName, kind: alert.kind, subject: alert.subject, title: alert.title, eventSeq: Number(alert.eventSeq), eventId: alert.eventId ?? null, createdAt: alert.createdAt.toISOString() },
  };
  const body = JSON.stringify(payload);
  // The operators' stream: every tenant's alerts in the structured log, and their webhook if set.
  log.warn('security alert', payload.alert);
  if (settings.operatorWebhookUrl && settings.operatorWebhookSecret) {
    const signed = signWebhook(settings.operatorWebhookSecret, body, ctx.app.now(), alert.id);
    void deliver(settings.operatorWebhookUrl, signed, { baseDelayMs: settings.webhookRetryBaseMs }).then((r) =>
      r.delivered ? undefined : log.error('operator alert webhook failed', { alertId: alert.id, error: r.lastError }),
    );
  }
  if (!url || !secret) return;
  const result = await deliver(url, signWebhook(secret, body, ctx.app.now(), alert.id), { baseDelayMs: settings.webhookRetryBaseMs, publicOnly: config.env === 'production' });
  await withSystemContext(ctx.em, ctx.app, tenantId, 'alert delivery', async (sys) => {
    const row = await sys.em.findOneOrFail(Alert, { id: alert.id });
    row.delivery = result.delivered ? 'delivered' : 'failed';
    row.attempts = result.attempts;
    row.lastError = result.lastError;
    row.deliveredAt = result.delivered ? sys.app.now() : null;
  });
}
