import type { JobDefinition } from './jobs';
import type { DeliveryKind } from './outbox';
import type { CliCommands } from './cli';
import type { BulwarkConfig, ConfigSection } from './config';
import type { Constructor, EntityClass, MikroORM } from '@mikro-orm/core';
import type { Request, Response } from 'express';
import type { Migration } from '@mikro-orm/migrations';
import type { IRules } from 'graphql-shield';
import type { DocumentNode, GraphQLSchema, OperationDefinitionNode } from 'graphql';
import type { AppServices, Principal, RequestContext } from './context';
import { AUDIT_CATALOG, AuditCatalog, type AuditActionDefinition, type AuditActionSet, type AuditedEntity, type AuditReaction, type AuditSink } from './audit';
import { CATALOG, isBuiltInRole, PermissionCatalog, type Permission, type PermissionDefinition, type PermissionSet } from './permissions';

/** Turns a request's credential into a principal and sets its tenant (identity provides it). */
export interface Authenticator {
  authenticate(ctx: RequestContext): Promise<void>;
  /**
   * The person a stored grant names (a one-time link's maker), as a session of theirs would act
   * now, in the context's tenant; null when they may not act any more (suspended, deleted). A link
   * is only as good as its maker: without this, no link is honoured.
   */
  principalOf?(ctx: RequestContext, userId: string): Promise<Principal | null>;
  /**
   * Ends the session of a credential of another kind than the authenticator's own (a vendor
   * support session, see CredentialKind): `logout` stays one field for every kind of session.
   */
  signOut?(ctx: RequestContext): Promise<void>;
}

/**
 * A credential of another kind than identity's sessions and tokens, told apart by its prefix
 * (the support feature's `bwo_` operator sessions): the composed authenticator hands such a
 * credential to its kind alone, so no two features ever judge one credential.
 */
export interface CredentialKind {
  prefix: string;
  authenticate(ctx: RequestContext): Promise<void>;
  signOut(ctx: RequestContext): Promise<void>;
}

/**
 * What a role may do. Built-in roles come from the catalog (no query); a plugin may add custom
 * roles (the access feature). `null`: no such role in this tenant.
 */
export interface RoleDirectory {
  permissionsOf(ctx: RequestContext, role: string): Promise<ReadonlySet<Permission> | null>;
}

/**
 * Admission before an operation's transaction opens: a gate may make the operation wait (holding
 * no database connection) and returns what to call when it ends. Identity uses one to queue
 * password hashing, so a burst of sign-ins can neither take every pooled connection nor every core.
 */
export interface OperationGate {
  name: string;
  enter(ctx: RequestContext, op: OperationInfo): Promise<(() => void) | null>;
}

/** The root fields an operation asks for, as guards see it. */
export interface OperationInfo {
  type: 'query' | 'mutation' | 'subscription';
  fields: string[];
  /**
   * The GraphQL operation itself, for what must read more than its root fields (a cost estimate,
   * the workspace a sign-in names). Absent outside GraphQL (sign-in's own guard pass, SCIM).
   */
  request?: {
    schema: GraphQLSchema;
    document: DocumentNode;
    operation: OperationDefinitionNode;
    variables: Readonly<Record<string, unknown>>;
  };
}

/**
 * Runs once per GraphQL operation, after authentication and before the guards: it may charge the
 * operation to a budget (rate limits, H4), set response headers through `ctx.http.setHeader`, and
 * throw an AppError to refuse it. Unlike guards, which other paths also run (sign-in judges the
 * person again, SCIM), a meter runs exactly once per operation, so nothing is charged twice.
 */
export interface OperationMeter {
  name: string;
  charge(ctx: RequestContext, op: OperationInfo): Promise<void>;
}

/**
 * Runs for every operation after authentication, before any resolver (IP allowlists, lockdown).
 * Throws an AppError to refuse the whole operation.
 */
export interface RequestGuard {
  name: string;
  check(ctx: RequestContext, op: OperationInfo): Promise<void>;
}

/**
 * The part of an Express router a plugin may use; handlers get the app services through `services`.
 * Bodies of POST, PUT and PATCH are parsed up to the body limit: JSON (`application/json`, SCIM's
 * `application/scim+json`) into an object, HTML forms (a SAML POST binding) into strings.
 */
export interface HttpRouter {
  get(path: string, handler: HttpHandler): void;
  post(path: string, handler: HttpHandler): void;
  put(path: string, handler: HttpHandler): void;
  patch(path: string, handler: HttpHandler): void;
  delete(path: string, handler: HttpHandler): void;
}
export type HttpHandler = (req: Request, res: Response, services: AppServices & { orm: MikroORM }) => Promise<void>;

/**
 * A long-lived listener of the API process other than HTTP (the mail feature's inbound SMTP
 * server), started once the server serves and closed first when it stops. Resolves with null when
 * configuration leaves it off. The address it bound is on `BulwarkServer.listeners` under its
 * name (a port 0 in tests becomes the real port there).
 */
export interface PluginListener {
  name: string;
  address: { host: string; port: number };
  close(): Promise<void>;
}

export interface BackgroundTask {
  name: string;
  /** Milliseconds between runs, from configuration; 0 turns the task off. */
  intervalMs(config: AppServices['config']): number;
  run(services: AppServices & { orm: MikroORM }): Promise<void>;
}

/**
 * A root field's traits, declared by the plugin that owns the field (ApiPlugin.operations) and
 * read by the kernel and the gates, so no list of field names lives anywhere else.
 */
export interface OperationTraits {
  /**
   * The only root field of its operation: it moves to the tenant its input names (sign-in, reset
   * links), or checks a password, so mixed with other fields one operation could act in two tenants.
   */
  runsAlone?: boolean;
  /** Computes a bcrypt hash: admitted through the hashing queue (identity's hashing gate, A8). */
  hashesPassword?: boolean;
  /** Goes on during lockdown (signing in and out, the switch itself, verifying the audit chain). */
  lockdownExempt?: boolean;
  /**
   * Does its work in transactions of its own and may rightly take longer than
   * BULWARK_OPERATION_TIMEOUT_MS (a restore). The operation deadline would answer 503 while that
   * work went on to commit, so it does not apply; the statement and connection deadlines still do.
   */
  deadlineExempt?: boolean;
}

/** The traits of every root field that has any, across plugins. */
export class OperationCatalog {
  constructor(private readonly traits: ReadonlyMap<string, OperationTraits>) {}
  /** The fields with a trait, e.g. `with('lockdownExempt')`. */
  with(trait: keyof OperationTraits): ReadonlySet<string> {
    return new Set([...this.traits].filter(([, t]) => t[trait]).map(([f]) => f));
  }
  has(field: string, trait: keyof OperationTraits): boolean {
    return !!this.traits.get(field)?.[trait];
  }
  get names(): string[] {
    return [...this.traits.keys()];
  }
}

export interface MigrationEntry {
  name: string;
  class: Constructor<Migration>;
}

/**
 * Everything a feature contributes to the server. The app builds the schema, the entity list, the
 * rule tree, the permission catalog and the migration list from these descriptors alone.
 */
export interface ApiPlugin {
  name: string;
  permissions?: PermissionSet<string>[];
  entities?: EntityClass<unknown>[];
  // type-graphql resolver classes
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  resolvers?: Function[];
  /** graphql-shield rules for this feature's types and root fields, on concrete types only. */
  rules?: IRules;
  migrations?: MigrationEntry[];
  authenticator?: Authenticator;
  /** Credentials of other kinds than the authenticator's (see CredentialKind). */
  credentials?: CredentialKind[];
  roleDirectory?: RoleDirectory;
  guards?: RequestGuard[];
  gates?: OperationGate[];
  /** Charged once per GraphQL operation after authentication (see OperationMeter). */
  meters?: OperationMeter[];
  /**
   * Releases what the feature opened for a server (a connection pool, a Redis client) when that
   * server closes, after it has stopped taking requests.
   */
  closed?: (services: AppServices) => Promise<void>;
  /** What the kernel and the gates must know about this feature's root fields, by field name. */
  operations?: Record<string, OperationTraits>;
  /** The audit actions this feature records (an undeclared action is refused). */
  auditActions?: AuditActionSet<string>[];
  /** Entities whose every change is an audit event, captured at flush. */
  audited?: AuditedEntity[];
  /** What this feature does, in the same transaction, about other features' events (AuditReaction). */
  reactions?: AuditReaction[];
  /** Stores audit events (the audit feature); at most one plugin. */
  auditSink?: AuditSink;
  /**
   * Plain HTTP routes under /api/<plugin name>/ (downloads and streams that GraphQL cannot carry,
   * SSO redirects and callbacks), or under `routesAt` where a standard fixes the path (SCIM).
   */
  routes?: (router: HttpRouter) => void;
  /** Where `routes` are mounted, when a standard fixes it (`/scim/v2`); default `/api/<name>`. */
  routesAt?: string;
  /**
   * How `routes` word a client error raised before a handler runs (a malformed or oversized
   * body), when a standard fixes the format (SCIM's error schema): content type and body.
   * Default: the API's own JSON error.
   */
  routeClientError?: (status: number, message: string) => { type: string; body: unknown };
  /** Periodic work the API process runs (retention); several processes may run it at once. */
  background?: BackgroundTask[];
  /** A listener the API process runs (not workers, not the CLI); see PluginListener. */
  listen?: (services: AppServices & { orm: MikroORM }) => Promise<PluginListener | null>;
  /** Jobs this feature queues (pg-boss; see jobs.ts): taken once, by whichever process works. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  jobs?: JobDefinition<any>[];
  /** What this feature sends through the outbox (outbox.ts): mail, webhooks. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  deliveries?: DeliveryKind<any>[];
  /** Adds this feature's part of the demo tenant (plugins run in list order, in one transaction). */
  seedDemo?: (ctx: RequestContext) => Promise<void>;
  /**
   * Sets up this feature's part of a new tenant, in the transaction that creates it, in the new
   * tenant (a default backup schedule). Instead of a trigger on `tenants`, which must stay a plain
   * reference table on Citus.
   */
  tenantCreated?: (ctx: RequestContext) => Promise<void>;
  /** This feature's operator commands (`npm run cli -- <command>`), added to the CLI's program. */
  cli?: CliCommands;
  /** This feature's settings (defineConfig), checked when the server, a worker or the CLI starts. */
  config?: ConfigSection<unknown>;
}

export function defineApiPlugin(plugin: ApiPlugin): ApiPlugin {
  if (!/^[a-z][a-z0-9-]*$/.test(plugin.name)) throw new Error(`bad plugin name "${plugin.name}"`);
  return Object.freeze(plugin);
}

export interface ComposedApi {
  plugins: readonly ApiPlugin[];
  entities: EntityClass<unknown>[];
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  resolvers: Function[];
  rules: Record<string, Record<string, unknown>>;
  catalog: PermissionCatalog;
  migrations: MigrationEntry[];
  authenticator: Authenticator;
  roleDirectory: RoleDirectory;
  guards: RequestGuard[];
  gates: OperationGate[];
  meters: OperationMeter[];
  operations: OperationCatalog;
  audit: AuditCatalog;
  auditSink?: AuditSink;
  reactions: AuditReaction[];
  /** Every plugin's delivery kinds, by name. */
  deliveries: ReadonlyMap<string, DeliveryKind>;
  /** Every plugin's tenantCreated, in list order. */
  tenantCreated: (ctx: RequestContext) => Promise<void>;
  /** Reads every plugin's settings section, so a bad value fails at start with its message. */
  checkConfig: (config: BulwarkConfig) => void;
}

/** Builds the server's parts from the plugin list, refusing ambiguity rather than guessing. */
export function composeApi(plugins: readonly ApiPlugin[]): ComposedApi {
  const names = new Set<string>();
  const rules: Record<string, Record<string, unknown>> = {};
  const definitions: PermissionDefinition[] = [];
  const authenticators = plugins.filter((p) => p.authenticator);
  const directories = plugins.filter((p) => p.roleDirectory);
  const sinks = plugins.filter((p) => p.auditSink);
  if (sinks.length > 1) throw new Error('at most one plugin may provide the audit sink');
  const auditDefinitions: AuditActionDefinition[] = plugins.flatMap((p) => (p.auditActions ?? []).flatMap((set) => set[AUDIT_CATALOG]));
  if (directories.length > 1) throw new Error('at most one plugin may provide the role directory');
  if (authenticators.length !== 1) {
    throw new Error(`exactly one plugin must provide the authenticator, found ${authenticators.length}`);
  }
  for (const p of plugins) {
    if (names.has(p.name)) throw new Error(`plugin ${p.name} is listed twice`);
    names.add(p.name);
    for (const set of p.permissions ?? []) definitions.push(...set[CATALOG]);
    for (const [type, typeRules] of Object.entries(p.rules ?? {})) {
      if (isRuleLike(typeRules)) {
        // A type-level rule: keep it under the '*' key so field rules of other plugins can merge.
        mergeRule(rules, type, '*', typeRules, p.name);
        continue;
      }
      for (const [field, rule] of Object.entries(typeRules as Record<string, unknown>)) {
        mergeRule(rules, type, field, rule, p.name);
      }
    }
  }
  const migrations = plugins.flatMap((p) => p.migrations ?? []);
  migrations.sort((a, b) => a.name.localeCompare(b.name));
  const migrationNames = new Set(migrations.map((m) => m.name));
  if (migrationNames.size !== migrations.length) throw new Error('two plugins declare a migration with the same name');
  const catalog = new PermissionCatalog(definitions);
  const builtIn: RoleDirectory = { permissionsOf: async (_ctx, role) => (isBuiltInRole(role) ? catalog.forRole(role) : null) };
  return {
    plugins,
    roleDirectory: directories[0]?.roleDirectory ?? builtIn,
    guards: plugins.flatMap((p) => p.guards ?? []),
    gates: plugins.flatMap((p) => p.gates ?? []),
    meters: plugins.flatMap((p) => p.meters ?? []),
    operations: composeOperations(plugins),
    audit: new AuditCatalog(auditDefinitions, plugins.flatMap((p) => p.audited ?? [])),
    auditSink: sinks[0]?.auditSink,
    deliveries: composeDeliveries(plugins),
    reactions: plugins.flatMap((p) => p.reactions ?? []),
    entities: plugins.flatMap((p) => p.entities ?? []),
    resolvers: plugins.flatMap((p) => p.resolvers ?? []),
    rules,
    catalog,
    migrations,
    authenticator: withCredentialKinds(authenticators[0].authenticator as Authenticator, plugins.flatMap((p) => p.credentials ?? [])),
    checkConfig: (config) => {
      for (const p of plugins) p.config?.of(config);
    },
    tenantCreated: async (ctx) => {
      for (const p of plugins) await p.tenantCreated?.(ctx);
    },
  };
}

/** The authenticator, handing credentials of another kind (by prefix) to that kind alone. */
function withCredentialKinds(main: Authenticator, kinds: CredentialKind[]): Authenticator {
  if (!kinds.length) return main;
  const prefixes = kinds.map((k) => k.prefix);
  if (prefixes.some((p, i) => !/^[a-z]{2,5}_$/.test(p) || prefixes.indexOf(p) !== i)) throw new Error(`credential prefixes must be distinct and look like "bwo_": ${prefixes.join(', ')}`);
  const kindOf = (ctx: RequestContext) => {
    const token = ctx.credential?.token;
    return token ? kinds.find((k) => token.startsWith(k.prefix)) : undefined;
  };
  return {
    authenticate: (ctx) => (kindOf(ctx) ?? main).authenticate(ctx),
    principalOf: main.principalOf?.bind(main),
    signOut: async (ctx) => {
      await kindOf(ctx)?.signOut(ctx);
    },
  };
}

function composeDeliveries(plugins: readonly ApiPlugin[]): ReadonlyMap<string, DeliveryKind> {
  const kinds = new Map<string, DeliveryKind>();
  for (const k of plugins.flatMap((p) => p.deliveries ?? [])) {
    if (kinds.has(k.name)) throw new Error(`delivery kind ${k.name} is declared twice`);
    kinds.set(k.name, k);
  }
  return kinds;
}

function composeOperations(plugins: readonly ApiPlugin[]): OperationCatalog {
  const traits = new Map<string, OperationTraits>();
  for (const p of plugins) {
    for (const [field, t] of Object.entries(p.operations ?? {})) {
      if (traits.has(field)) throw new Error(`operation ${field} is described twice (second time by plugin ${p.name})`);
      traits.set(field, t);
    }
  }
  return new OperationCatalog(traits);
}

function isRuleLike(x: unknown): boolean {
  // graphql-shield rules are class instances with a `resolve` method; a field map is a plain object.
  return typeof x === 'object' && x !== null && typeof (x as { resolve?: unknown }).resolve === 'function';
}

function mergeRule(rules: Record<string, Record<string, unknown>>, type: string, field: string, rule: unknown, plugin: string) {
  rules[type] ??= {};
  if (rules[type][field]) throw new Error(`rule ${type}.${field} is declared twice (second time by plugin ${plugin})`);
  rules[type][field] = rule;
}
