import type { ActorType, AuditAction, AuditEvent, AuditOutcome, RequestContext } from '@bulwark/platform-api';
import type { AuditVerification } from './audit.types';

/**
 * Reading the log. audit_events is not an ORM entity (rows are only ever appended by
 * bulwark_audit_append), so these are hand-written statements. They bypass the ORM filter and are
 * safe because each names the context's tenant explicitly, RLS forces the same tenant underneath,
 * and audit.spec's F1 test reads as tenant A with B's ids and filters and finds nothing.
 */
export interface AuditFilterArgs {
  actorId?: string | null;
  actorType?: string | null;
  actions?: string[] | null;
  targetType?: string | null;
  targetId?: string | null;
  outcome?: string | null;
  from?: Date | null;
  to?: Date | null;
  ip?: string | null;
  search?: string | null;
}

export interface AuditRow {
  seq: string;
  id: string;
  occurred_at: Date | string;
  actor_type: string;
  actor_id: string | null;
  actor_name: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  outcome: string;
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  changes: Record<string, { before: unknown; after: unknown }> | null;
  details: Record<string, unknown> | null;
  hash: Buffer;
}

const COLUMNS = `seq, id, occurred_at, actor_type, actor_id, actor_name, action, target_type, target_id, outcome,
  ip, user_agent, request_id, changes, details, hash`;

function tenantOf(ctx: RequestContext): string {
  if (!ctx.tenantId) throw new Error('reading the audit log needs a tenant');
  return ctx.tenantId;
}

export function whereOf(tenantId: string, f: AuditFilterArgs): { where: string; params: unknown[] } {
  const conds = ['tenant_id = ?'];
  const params: unknown[] = [tenantId];
  const add = (sql: string, ...values: unknown[]) => {
    conds.push(sql);
    params.push(...values);
  };
  if (f.actorId) add('actor_id = ?', f.actorId);
  if (f.actorType) add('actor_type = ?', f.actorType);
  if (f.actions?.length) add('action in (?)', f.actions); // knex expands the array
  if (f.targetType) add('target_type = ?', f.targetType);
  if (f.targetId) add('target_id = ?', f.targetId);
  if (f.outcome) add('outcome = ?', f.outcome);
  if (f.from) add('occurred_at >= ?', f.from);
  if (f.to) add('occurred_at < ?', f.to);
  if (f.ip) add('ip = ?', f.ip);
  if (f.search) {
    const like = `%${f.search.replace(/[\\%_]/g, (c) => '\\' + c)}%`;
    add('(actor_name ilike ? or target_id ilike ? or action ilike ?)', like, like, like);
  }
  return { where: conds.join(' and '), params };
}

async function run<R>(ctx: RequestContext, sql: string, params: unknown[]): Promise<R[]> {
  return ctx.em.getConnection().execute<R[]>(sql, params, 'all', ctx.em.getTransactionContext());
}

/** Newest first, keyset-paged on the per-tenant sequence: page 1,000 costs what page 1 does. */
export async function listEvents(ctx: RequestContext, f: AuditFilterArgs, first: number, before: string | null): Promise<{ rows: AuditRow[]; hasMore: boolean }> {
  const { where, params } = whereOf(tenantOf(ctx), f);
  const cursor = before ? ' and seq < ?' : '';
  const rows = await run<AuditRow>(
    ctx,
    `select ${COLUMNS} from audit_events where ${where}${cursor} order by seq desc limit ?`,
    [...params, ...(before ? [before] : []), first + 1],
  );
  return { rows: rows.slice(0, first), hasMore: rows.length > first };
}

export async function eventById(ctx: RequestContext, id: string): Promise<AuditRow | null> {
  const rows = await run<AuditRow>(ctx, `select ${COLUMNS} from audit_events where tenant_id = ? and id = ?`, [tenantOf(ctx), id]);
  return rows[0] ?? null;
}

/** The latest `limit` events about one target, oldest first (AuditSink.eventsAbout: a ticket's history). */
export async function eventsAbout(ctx: RequestContext, targetType: string, targetId: string, limit: number): Promise<AuditEvent[]> {
  const rows = await run<AuditRow>(
    ctx,
    `select * from (select ${COLUMNS} from audit_events where tenant_id = ? and target_id = ? and target_type = ? order by seq desc limit ?) e order by seq`,
    [tenantOf(ctx), targetId, targetType, limit],
  );
  return rows.map((r) => ({
    id: r.id,
    tenantId: ctx.tenantId,
    occurredAt: new Date(r.occurred_at),
    actorType: r.actor_type as ActorType,
    actorId: r.actor_id,
    actorName: r.actor_name,
    action: r.action as AuditAction,
    targetType: r.target_type,
    targetId: r.target_id,
    outcome: r.outcome as AuditOutcome,
    ip: r.ip,
    userAgent: r.user_agent,
    requestId: r.request_id ?? '',
    changes: r.changes,
    details: r.details,
    seq: Number(r.seq),
  }));
}

/** F2: the database function walks the chain (audit.migration.ts) under the tenant set for RLS. */
export async function verifyChain(ctx: RequestContext): Promise<AuditVerification> {
  tenantOf(ctx);
  const [r] = await run<{ ok: boolean; checked: string; head_seq: string | null; broken_seq: string | null; broken_id: string | null; reason: string | null }>(
    ctx,
    'select * from bulwark_audit_verify()',
    [],
  );
  return {
    ok: r.ok,
    checked: Number(r.checked),
    headSeq: Number(r.head_seq ?? 0),
    brokenSeq: r.broken_seq === null ? null : Number(r.broken_seq),
    brokenEventId: r.broken_id,
    reason: r.reason,
  };
}

/** Per day: sign-in failures and configuration changes (the dashboard chart). */
export async function activity(ctx: RequestContext, days: number, signInFailure: string[], config: string[]): Promise<{ day: string; signInFailures: number; configChanges: number }[]> {
  const now = ctx.app.now();
  const since = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - (days - 1)));
  const rows = await run<{ day: string; failures: string; changes: string }>(
    ctx,
    `select to_char(date_trunc('day', occurred_at at time zone 'UTC'), 'YYYY-MM-DD') as day,
            count(*) filter (where action in (?)) as failures,
            count(*) filter (where action in (?)) as changes
       from audit_events
      where tenant_id = ? and occurred_at >= ? and action in (?)
      group by 1`,
    [signInFailure, config, tenantOf(ctx), since, [...signInFailure, ...config]],
  );
  const byDay = new Map(rows.map((r) => [r.day, r]));
  return Array.from({ length: days }, (_, i) => {
    const day = new Date(since.getTime() + i * 86_400_000).toISOString().slice(0, 10);
    const r = byDay.get(day);
    return { day, signInFailures: Number(r?.failures ?? 0), configChanges: Number(r?.changes ?? 0) };
  });
}
