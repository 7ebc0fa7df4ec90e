import { noJobs, type JobQueue } from './jobs';
import { outboxConfig, type DeliveryKind } from './outbox';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { BulwarkConfig } from './config';
import type { Logger } from './logger';
import { Resolver } from 'node:dns/promises';
import { join } from 'node:path';
import { outboxMailSender, smtpMailSender, type MailSender } from './mail';
import type { Permission, PermissionCatalog } from './permissions';
import type { Authenticator, OperationCatalog, OperationMeter, RequestGuard, RoleDirectory } from './plugin';
import type { AuditCatalog, AuditReaction, AuditSink } from './audit';

/** Who is acting. A missing actor is never an admin: jobs name themselves as `system`. */
export type Principal =
  | {
      kind: 'user';
      tenantId: string;
      userId: string;
      sessionId: string;
      role: string;
      /** The person's name when the operation started, for audit events (captured at the time). */
      name?: string;
      permissions: ReadonlySet<Permission>;
    }
  | {
      /** An API token (partners, integrations): its scope, never more than its creator holds now. */
      kind: 'token';
      tenantId: string;
      tokenId: string;
      name: string;
      /** The person who made it: what the token writes is authored as them. */
      createdBy: string;
      permissions: ReadonlySet<Permission>;
    }
  | {
      /**
       * A vendor support operator under a tenant's grant (the support feature): the grant's
       * permissions, only while the grant lasts. Authors nothing as a person of the tenant.
       */
      kind: 'support';
      tenantId: string;
      operatorId: string;
      sessionId: string;
      name: string;
      email: string;
      grantId: string;
      /** When the grant ends at the latest (its ticket may close before). */
      until: Date;
      permissions: ReadonlySet<Permission>;
    }
  | { kind: 'system'; tenantId: string; reason: string; permissions: ReadonlySet<Permission> };

/**
 * The person an action is authored as: the user, or the creator of the API token; null for jobs
 * and for vendor support, who are nobody of the tenant (what needs an author is refused to them).
 */
export function actingUserId(p: Principal | null): string | null {
  return p?.kind === 'user' ? p.userId : p?.kind === 'token' ? p.createdBy : null;
}

/** What a request carries before it is authenticated. Only the credential may name a tenant. */
export interface Credential {
  token: string;
  source: 'cookie' | 'bearer';
}

/**
 * Cookies are queued and sent only once the operation's transaction has committed: a session
 * that was rolled back (a failed commit, a failed mutation field) never reaches the browser, and
 * a failed commit cannot tell a caller that a password was right.
 */
export interface HttpHandle {
  setSessionCookie(token: string, maxAgeSeconds: number): void;
  clearSessionCookie(): void;
  /** Sets a header of the response (rate-limit headers); absent where no response is at hand. */
  setHeader?(name: string, value: string): void;
  /** Cookie changes queued so far (a mutation field's savepoint marks and drops its own). */
  pendingCookies: (() => void)[];
  /**
   * The context the GraphQL operation ran with. Apollo gives each operation a shallow copy of the
   * request's context, so the principal and tenant are set on the copy; the request log line reads
   * them here (this handle is shared by the copy).
   */
  operationContext?: RequestContext;
}

/**
 * A DNS lookup as mailauth calls it (`resolver(name, rrtype)`: TXT records as arrays of strings,
 * others as strings). Injected so that tests answer from a table, with no network.
 */
export type DnsResolver = (name: string, rrtype: string) => Promise<unknown>;

/** The system's resolver, or the configured servers' (BULWARK_DNS_SERVERS). */
function systemDns(servers: string[] | undefined): DnsResolver {
  const resolver = new Resolver({ timeout: 3000, tries: 2 });
  if (servers) resolver.setServers(servers);
  return (name, rrtype) => resolver.resolve(name, rrtype);
}

/** The application-wide services a request can reach (built once at start-up). */
export interface AppServices {
  config: BulwarkConfig;
  catalog: PermissionCatalog;
  /** Role → permissions, built-in and custom (see RoleDirectory). */
  roles: RoleDirectory;
  /** Root fields' traits (lockdown-exempt, runs alone, hashes a password...; ApiPlugin.operations). */
  operations: OperationCatalog;
  /**
   * The request guards, for what runs outside a GraphQL operation to apply them too: sign-in
   * (before a session exists) and one-time links (as their maker, from where they are used).
   */
  guards: readonly RequestGuard[];
  /**
   * The operation meters (rate limits), for plain routes that act for a credential (SCIM) to be
   * charged like GraphQL operations; they get no `request` in their OperationInfo.
   */
  meters: readonly OperationMeter[];
  /** Identity's, for one-time links to act as their maker (see Authenticator.principalOf). */
  authenticator?: Authenticator;
  log: Logger;
  now: () => Date;
  mail: MailSender;
  /** DNS, for what checks senders' records (SPF, DKIM, DMARC of inbound mail). */
  dns: DnsResolver;
  /** Declared audit actions and audited entities (see audit.ts). */
  audit: AuditCatalog;
  /** Every migration's name, oldest first: the schema version (backups record and check it). */
  migrations: string[];
  /** Where events are stored; absent in a server composed without the audit feature. */
  auditSink?: AuditSink;
  /** The job queue (jobs.ts); `noJobs` until the server starts it. */
  jobs: JobQueue;
  /** What features do about recorded events, in their transaction (AuditReaction). */
  reactions: readonly AuditReaction[];
  /** What the outbox can deliver (outbox.ts), by kind name. */
  deliveries: ReadonlyMap<string, DeliveryKind>;
  /** What the features set up in a new tenant (ApiPlugin.tenantCreated); identity calls it. */
  tenantCreated: (ctx: RequestContext) => Promise<void>;
}

/**
 * One object per request (STYLE.md 5): services take it first. `em` is bound to this operation's
 * transaction, whose first statements set the tenant for RLS and the ORM filter together.
 */
export interface RequestContext {
  requestId: string;
  ip: string;
  userAgent: string;
  credential: Credential | null;
  principal: Principal | null;
  tenantId: string | null;
  em: EntityManager;
  app: AppServices;
  log: Logger;
  http?: HttpHandle;
  /** Per-request memo for data loaders (SECURITY.md D9: never shared across requests). */
  loaders: Map<string, unknown>;
  /** Operation type, known once the operation is resolved. */
  operation?: 'query' | 'mutation' | 'subscription';
  /** Work to run once the transaction has committed (mail, notifications); see `afterCommit`. */
  afterCommit?: (() => Promise<void>)[];
  /**
   * Work that makes data rather than news (the demo seed): its events are recorded, but features'
   * reactions to them (mail about tickets) do not run.
   */
  quiet?: boolean;
  /**
   * The operation passed its deadline (G7): its connection was abandoned, so what fails from then
   * on is that, and the whole answer becomes a 503.
   */
  deadlinePassed?: boolean;
}

/**
 * Runs `fn` only if and after the operation's transaction commits: a rolled-back change sends no
 * mail. Failures are logged, never surfaced to the caller whose change is already stored.
 */
export function afterCommit(ctx: RequestContext, fn: () => Promise<void>): void {
  (ctx.afterCommit ??= []).push(fn);
}

export async function runAfterCommit(ctx: RequestContext): Promise<void> {
  const work = ctx.afterCommit ?? [];
  ctx.afterCommit = [];
  for (const fn of work) {
    await fn().catch((error) => ctx.log.error('after-commit work failed', { error }));
  }
}

export function loader<T>(ctx: RequestContext, key: string, create: () => T): T {
  let l = ctx.loaders.get(key) as T | undefined;
  if (!l) {
    l = create();
    ctx.loaders.set(key, l);
  }
  return l;
}

export function hasPermission(principal: Principal | null, permission: Permission): boolean {
  return !!principal && principal.permissions.has(permission);
}

/** The one way to build AppServices: mail by configuration (SMTP, else the development outbox). */
export function createAppServices(
  config: BulwarkConfig,
  api: {
    catalog: PermissionCatalog;
    roleDirectory: RoleDirectory;
    operations: OperationCatalog;
    guards: RequestGuard[];
    meters?: OperationMeter[];
    authenticator?: Authenticator;
    audit: AuditCatalog;
    auditSink?: AuditSink;
    deliveries?: ReadonlyMap<string, DeliveryKind>;
    reactions?: readonly AuditReaction[];
    migrations?: { name: string }[];
    tenantCreated?: (ctx: RequestContext) => Promise<void>;
  },
  log: Logger,
  opts: { now?: () => Date; mail?: MailSender; dns?: DnsResolver } = {},
): AppServices {
  const mail = opts.mail ?? (config.smtpUrl ? smtpMailSender(config.smtpUrl, config.mailFrom, outboxConfig.of(config).dkim) : outboxMailSender(join(config.dataDir, 'outbox'), log));
  return {
    config,
    catalog: api.catalog,
    roles: api.roleDirectory,
    operations: api.operations,
    guards: api.guards,
    meters: api.meters ?? [],
    authenticator: api.authenticator,
    log,
    now: opts.now ?? (() => new Date()),
    mail,
    dns: opts.dns ?? systemDns(config.dnsServers),
    audit: api.audit,
    auditSink: api.auditSink,
    migrations: (api.migrations ?? []).map((m) => m.name),
    jobs: noJobs,
    deliveries: api.deliveries ?? new Map(),
    reactions: api.reactions ?? [],
    tenantCreated: api.tenantCreated ?? (async () => undefined),
  };
}
