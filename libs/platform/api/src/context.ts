import type { EntityManager } from '@mikro-orm/postgresql';
import type { BulwarkConfig } from './config';
import type { Logger } from './logger';
import type { Permission, PermissionCatalog } from './permissions';

/** Who is acting. A missing actor is never an admin: jobs name themselves as `system`. */
export type Principal =
  | {
      kind: 'user';
      tenantId: string;
      userId: string;
      sessionId: string;
      role: string;
      permissions: ReadonlySet<Permission>;
    }
  | { kind: 'system'; tenantId: string; reason: string; permissions: ReadonlySet<Permission> };

/** What a request carries before it is authenticated. Only the credential may name a tenant. */
export interface Credential {
  token: string;
  source: 'cookie' | 'bearer';
}

export interface HttpHandle {
  setSessionCookie(token: string, maxAgeSeconds: number): void;
  clearSessionCookie(): void;
}

/** The application-wide services a request can reach (built once at start-up). */
export interface AppServices {
  config: BulwarkConfig;
  catalog: PermissionCatalog;
  log: Logger;
  now: () => Date;
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
