import type { EntityClass, EntityManager as CoreEntityManager, EventSubscriber, FlushEventArgs } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import type { RequestContext } from './context';

/**
 * The platform's audit writer (DESIGN.md "audit writer"; SECURITY.md F3–F5). Features declare
 * their actions once (`defineAuditActions`) and record events with `audit(ctx, …)`; changes to
 * entities a feature declares as audited are captured at flush. Events are buffered on the
 * operation and written by the audit sink (the audit feature) inside the operation's own
 * transaction, just before it commits: a change never commits without its event, and a change
 * rolled back (a failed mutation field's savepoint) takes its events with it. Writing last keeps
 * the tenant's chain lock (see the sink) for one round trip only.
 */

declare const brand: unique symbol;
export type AuditAction = string & { readonly [brand]: 'AuditAction' };

export interface AuditActionDefinition {
  key: AuditAction;
  feature: string;
  description: string;
  /** What the event is about, as shown in the console ("User", "Role", "Ticket", …). */
  target: string | null;
  /** A configuration change (charted on the dashboard and matched by "configuration" alerts). */
  config?: boolean;
  /**
   * Tenant data leaving in bulk, an export or a download (D12): matched by "export" alerts, which
   * title it with this ("Backup downloaded" → "Backup downloaded by <who>").
   */
  export?: string;
  /**
   * What the event means to alert rules (the audit feature's alerts.ts), declared where the action
   * is, so those rules name no other feature's actions: a failed sign-in (counted per account and
   * per address), a grant that lets someone do more (only when the changed field `alertWhenGrows`
   * gained a value, if set), a change of network rules, a failed backup, a spam quarantine or a
   * decision on one.
   */
  alert?: AlertSignal;
  alertWhenGrows?: string;
}

export type AlertSignal = 'failedSignIn' | 'permissionGranted' | 'networkChange' | 'backupFailed' | 'breakGlass' | 'spamQuarantine';

export const AUDIT_CATALOG = Symbol('audit catalog');
export type AuditActionSet<K extends string> = { readonly [P in K]: AuditAction } & {
  readonly [AUDIT_CATALOG]: readonly AuditActionDefinition[];
};

/** `identity.loginFailed`: feature, then a camelCase name, like permissions. */
export function defineAuditActions<K extends string>(
  feature: string,
  defs: Record<K, Omit<AuditActionDefinition, 'key' | 'feature'>>,
): AuditActionSet<K> {
  const out: Record<string, AuditAction> = {};
  const catalog: AuditActionDefinition[] = [];
  for (const [name, def] of Object.entries(defs) as [K, Omit<AuditActionDefinition, 'key' | 'feature'>][]) {
    if (!/^[a-z][a-zA-Z]*$/.test(name)) throw new Error(`bad audit action name "${feature}.${name}"`);
    const key = `${feature}.${name}` as AuditAction;
    out[name] = key;
    catalog.push({ key, feature, ...def });
  }
  return Object.freeze({ ...out, [AUDIT_CATALOG]: Object.freeze(catalog) }) as AuditActionSet<K>;
}

export type ActorType = 'user' | 'token' | 'system' | 'support' | 'anonymous';
export type AuditOutcome = 'success' | 'failure' | 'denied';

/** One before/after pair per changed field; secrets appear as `[redacted]` on both sides. */
export type AuditChanges = Record<string, { before: unknown; after: unknown }>;

export interface AuditEvent {
  /** Chosen here, so what follows the commit (alerts) can name the stored event. */
  id: string;
  /** The tenant the operation was in when the event happened; written only there. */
  tenantId: string | null;
  occurredAt: Date;
  actorType: ActorType;
  actorId: string | null;
  actorName: string | null;
  action: AuditAction;
  targetType: string | null;
  targetId: string | null;
  outcome: AuditOutcome;
  ip: string | null;
  userAgent: string | null;
  requestId: string;
  changes: AuditChanges | null;
  details: Record<string, unknown> | null;
  /** The tenant's event number, once stored. */
  seq?: number;
}

/**
 * What a feature does about events of other features, in the transaction that records them (the
 * mail feature's notifications on ticket events), so that what follows from a change exists if
 * and only if the change commits (G9). It may read and write (enqueue to the outbox), flushing
 * what it persists itself, but it must not change audited entities: their events are written.
 */
export interface AuditReaction {
  name: string;
  /** The actions it reacts to; only their successful events reach `run`. */
  actions: readonly AuditAction[];
  run(ctx: RequestContext, events: AuditEvent[]): Promise<void>;
}

/** Stores events (the audit feature provides it). Runs inside the operation's transaction. */
export interface AuditSink {
  /**
   * Stores the events in the operation's transaction; what follows from them (alerts, and their
   * deliveries through the outbox) is written there too, so it commits with them or not at all.
   */
  append(ctx: RequestContext, events: AuditEvent[]): Promise<void>;
  /**
   * The latest events about one thing of this tenant (a ticket's history), oldest first. Readers
   * decide who may see them; this only reads under the tenant's scope.
   */
  eventsAbout(ctx: RequestContext, targetType: string, targetId: string, limit: number): Promise<AuditEvent[]>;
}

/**
 * An entity whose every change is an event. `secret` fields show as changed but never with their
 * values (hashes, keys); `ignore` fields are bookkeeping (timestamps) and make no event alone.
 */
export interface AuditedEntity {
  entity: EntityClass<unknown>;
  type: string;
  create?: AuditAction;
  update?: AuditAction;
  delete?: AuditAction;
  secret?: string[];
  ignore?: string[];
}

export class AuditCatalog {
  private readonly byKey = new Map<string, AuditActionDefinition>();
  private readonly entities = new Map<string, AuditedEntity>();
  constructor(
    readonly definitions: readonly AuditActionDefinition[],
    audited: readonly AuditedEntity[] = [],
  ) {
    for (const d of definitions) {
      if (this.byKey.has(d.key)) throw new Error(`audit action ${d.key} is declared twice`);
      this.byKey.set(d.key, d);
    }
    for (const a of audited) {
      for (const action of [a.create, a.update, a.delete]) {
        if (action && !this.byKey.has(action)) throw new Error(`audited entity ${a.type} uses undeclared action ${action}`);
      }
      this.entities.set(a.entity.name, a);
    }
  }
  get(key: string): AuditActionDefinition | undefined {
    return this.byKey.get(key);
  }
  entity(className: string): AuditedEntity | undefined {
    return this.entities.get(className);
  }
}

/**
 * JSON that PostgreSQL's jsonb accepts whatever people typed: lone UTF-16 surrogates become
 * U+FFFD and NUL characters are dropped (jsonb refuses both). An event must never fail to be
 * written because of its data: its failure would roll back the operation it records.
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
export function auditJson(events: AuditEvent[]): string {
  return JSON.stringify(events, (_k, v: unknown) => (typeof v === 'string' ? v.replace(LONE_SURROGATE, '\uFFFD').replaceAll('\u0000', '') : v));
}

/** The fields whose values differ, as an event's diff (for changes made outside the unit of work). */
export function auditDiff(before: Record<string, unknown>, after: Record<string, unknown>): AuditChanges {
  const out: AuditChanges = {};
  for (const k of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (JSON.stringify(before[k]) !== JSON.stringify(after[k])) out[k] = { before: before[k] ?? null, after: after[k] ?? null };
  }
  return out;
}

/** Values that must never reach an audit row, whatever a caller passes (defence in depth). */
export const REDACTED = '[redacted]';

interface Pending {
  events: AuditEvent[];
  /** Entity changes seen at flush, not yet turned into events. */
  captured: Captured[];
}

interface Captured {
  order: number;
  meta: AuditedEntity;
  kind: 'create' | 'update' | 'delete';
  id: string;
  changes: AuditChanges | null;
}

// Keyed by the operation's entity manager: the flush subscriber sees only the manager.
const pendingByEm = new WeakMap<object, Pending>();

function pendingOf(em: object): Pending {
  let p = pendingByEm.get(em);
  if (!p) {
    p = { events: [], captured: [] };
    pendingByEm.set(em, p);
  }
  return p;
}

export interface AuditOptions {
  targetType?: string | null;
  targetId?: string | null;
  outcome?: AuditOutcome;
  changes?: AuditChanges | null;
  details?: Record<string, unknown> | null;
  /** Who acted when no principal is set yet (a failed sign-in names the address it tried). */
  actor?: { type: ActorType; id: string | null; name: string | null };
  /**
   * A failed attempt is itself the event (a wrong password, a refused network): it is written
   * even though the mutation that recorded it rolls back.
   */
  evenIfRolledBack?: boolean;
}

const survivors = new WeakSet<AuditEvent>();
/** Events and captured changes are written in the order they happened. */
let sequence = 0;
const orderOf = new WeakMap<AuditEvent, number>();

/**
 * Records an event on this operation. It is written with the operation's changes, or dropped
 * with them. An undeclared action is a programming error, not a runtime condition.
 */
export function audit(ctx: RequestContext, action: AuditAction, opts: AuditOptions = {}): void {
  const def = ctx.app.audit.get(action);
  if (!def) throw new Error(`audit action ${action} is not declared by any plugin`);
  const p = ctx.principal;
  const actor =
    opts.actor ??
    (p?.kind === 'user'
      ? { type: 'user' as const, id: p.userId, name: p.name ?? null }
      : p?.kind === 'token'
        ? { type: 'token' as const, id: p.tokenId, name: p.name }
        : p?.kind === 'support'
          ? { type: 'support' as const, id: p.operatorId, name: p.name }
          : p?.kind === 'system'
            ? { type: 'system' as const, id: null, name: p.reason }
            : { type: 'anonymous' as const, id: null, name: null });
  // H1: everything done under a vendor support grant names the grant, whatever recorded it.
  const details = p?.kind === 'support' && !opts.actor ? { ...opts.details, supportGrantId: p.grantId } : (opts.details ?? null);
  const event: AuditEvent = {
    id: randomUUID(),
    tenantId: ctx.tenantId,
    occurredAt: ctx.app.now(),
    actorType: actor.type,
    actorId: actor.id,
    actorName: actor.name,
    action,
    targetType: opts.targetType === undefined ? def.target : opts.targetType,
    targetId: opts.targetId ?? null,
    outcome: opts.outcome ?? 'success',
    ip: ctx.ip || null,
    userAgent: ctx.userAgent || null,
    requestId: ctx.requestId,
    changes: opts.changes ?? null,
    details,
  };
  if (opts.evenIfRolledBack) survivors.add(event);
  orderOf.set(event, ++sequence);
  pendingOf(ctx.em).events.push(event);
}

export interface AuditMark {
  events: number;
  captured: number;
}

/** A mark to roll the buffer back to when a mutation field fails (see `mutationSavepoint`). */
export function auditMark(ctx: RequestContext): AuditMark {
  const p = pendingOf(ctx.em);
  return { events: p.events.length, captured: p.captured.length };
}

export function auditRollback(ctx: RequestContext, mark: AuditMark): void {
  const p = pendingOf(ctx.em);
  const dropped = p.events.splice(mark.events);
  p.events.push(...dropped.filter((e) => survivors.has(e)));
  p.captured.splice(mark.captured);
}

/**
 * Writes what the operation has recorded so far, in its transaction. Entity changes that an
 * explicit event already names (same type and id) become that event's diff instead of an event of
 * their own, so one action is one event (F3).
 */
export async function writeAudit(ctx: RequestContext): Promise<void> {
  const p = pendingOf(ctx.em);
  if (!p.events.length && !p.captured.length) return;
  const events = p.events.splice(0);
  const explicit = events.length;
  for (const c of p.captured.splice(0)) {
    const claimed = events.slice(0, explicit).find((e) => e.targetType === c.meta.type && e.targetId === c.id);
    if (claimed) {
      if (c.changes) claimed.changes = { ...c.changes, ...claimed.changes };
      continue;
    }
    const action = c.meta[c.kind];
    if (!action) continue;
    audit(ctx, action, { targetType: c.meta.type, targetId: c.id, changes: c.changes });
    const made = pendingOf(ctx.em).events.splice(0);
    for (const e of made) orderOf.set(e, c.order);
    events.push(...made);
  }
  if (!events.length) return;
  events.sort((x, y) => (orderOf.get(x) ?? 0) - (orderOf.get(y) ?? 0));
  // An event belongs to the tenant it happened in. Operations that change tenant (sign-in) run
  // alone, so this never trips; if it did, the operation fails rather than misfile an event.
  const elsewhere = events.find((e) => e.tenantId !== null && e.tenantId !== ctx.tenantId);
  if (elsewhere) throw new Error(`audit event ${elsewhere.action} was recorded in another tenant than the one committing`);
  if (ctx.tenantId && !ctx.quiet) {
    for (const r of ctx.app.reactions) {
      const mine = events.filter((e) => e.outcome === 'success' && r.actions.includes(e.action));
      if (mine.length) await r.run(ctx, mine);
    }
  }
  const sink = ctx.app.auditSink;
  if (!sink || !ctx.tenantId) {
    // A server composed without the audit feature, or an event of no tenant (an unknown tenant
    // at sign-in, a platform-wide switch), still leaves a trace in the structured log.
    for (const e of events) ctx.log.info('audit', { ...e });
    return;
  }
  await sink.append(ctx, events);
}

function plain(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (value && typeof value === 'object') {
    const v = value as { id?: unknown; toJSON?: () => unknown };
    if (typeof v.id === 'string') return v.id; // a reference: its id
    if (Array.isArray(value)) return value.map(plain);
    return JSON.parse(JSON.stringify(value));
  }
  return value ?? null;
}

/** Field-by-field diff of a change set, secrets redacted by the entity's declaration. */
function diff(meta: AuditedEntity, before: Record<string, unknown> | undefined, after: Record<string, unknown>, keys: string[]): AuditChanges | null {
  const out: AuditChanges = {};
  for (const key of keys) {
    if (key === 'tenant' || key === 'tenantId' || meta.ignore?.includes(key)) continue;
    const b = plain(before?.[key]);
    const a = plain(after[key]);
    if (JSON.stringify(b) === JSON.stringify(a)) continue;
    out[key] = meta.secret?.includes(key) ? { before: b == null ? null : REDACTED, after: a == null ? null : REDACTED } : { before: b, after: a };
  }
  return Object.keys(out).length ? out : null;
}

/**
 * A change set's original values are kept as the database has them: a custom type's (`text[]` is
 * `'{a,b}'` there) is turned back into what the entity holds, so before and after compare alike.
 */
function asJs(
  em: CoreEntityManager,
  props: Record<string, { customType?: { convertToJSValue(v: unknown, p: unknown): unknown } }>,
  original: object | undefined,
): Record<string, unknown> | undefined {
  if (!original) return undefined;
  const platform = em.getPlatform();
  return Object.fromEntries(Object.entries(original).map(([k, v]) => [k, props[k]?.customType && typeof v === 'string' ? props[k].customType.convertToJSValue(v, platform) : v]));
}

/**
 * Captures changes of audited entities at flush. Native queries (`nativeDelete`) bypass the unit
 * of work, so services that use them record their event explicitly.
 */
export function auditFlushSubscriber(cat: AuditCatalog): EventSubscriber {
  return {
    onFlush(args: FlushEventArgs) {
      const em = args.em as CoreEntityManager;
      for (const cs of args.uow.getChangeSets()) {
        const meta = cat.entity(cs.meta.className);
        if (!meta) continue;
        const id = String(cs.getPrimaryKey());
        const entity = cs.entity as Record<string, unknown>;
        const original = asJs(em, cs.meta.properties as Record<string, { customType?: { convertToJSValue(v: unknown, p: unknown): unknown } }>, cs.originalEntity);
        let changes: AuditChanges | null;
        if (cs.type === 'create') changes = diff(meta, undefined, entity, Object.keys(cs.payload));
        else if (cs.type === 'update') {
          changes = diff(meta, original, entity, Object.keys(cs.payload));
          if (!changes) continue; // only ignored fields changed
        } else if (cs.type === 'delete') changes = diff(meta, original, {}, Object.keys(original ?? {}));
        else continue;
        pendingOf(em).captured.push({ order: ++sequence, meta, kind: cs.type, id, changes });
      }
    },
  };
}

/** The kernel's own events. */
export const PlatformAudit = defineAuditActions('platform', {
  accessDenied: { description: 'An operation was refused for lack of permission (FORBIDDEN)', target: 'Operation' },
  lockdownChanged: { description: 'The operators switched platform-wide lockdown on or off (CLI)', target: 'Platform', config: true },
});

/**
 * F3 "authorization failures": one event per FORBIDDEN in a response, whether a rule or a
 * service refused. Recorded at the end, outside the failed field's savepoint, so it stays.
 */
export function auditDenials(ctx: RequestContext, errors: readonly { extensions?: Record<string, unknown>; path?: readonly (string | number)[] }[]): void {
  if (!ctx.tenantId) return; // nobody we can attribute it to a tenant for
  for (const e of errors) {
    if (e.extensions?.code !== 'FORBIDDEN') continue;
    audit(ctx, PlatformAudit.accessDenied, {
      targetId: e.path?.join('.') ?? ctx.operation ?? null,
      outcome: 'denied',
      details: { operation: ctx.operation ?? null },
    });
  }
}
