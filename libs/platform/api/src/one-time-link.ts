import { PrimaryKey, Property, type EntityClass, type MikroORM, type RequiredEntityData } from '@mikro-orm/core';
import type { Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import type { AppServices, RequestContext } from './context';
import { tenantTable } from './db/rls';
import { currentTenant, TenantScoped } from './db/tenant-scoped';
import { PlatformAudit, audit } from './audit';
import { AppError, unauthenticated, type ErrorCode } from './errors';
import { normalizeIp } from './http/app';
import { withSystemContext } from './system-context';

/** A one-time download link works once, within this many minutes. */
export const ONE_TIME_LINK_MINUTES = 5;

/**
 * A one-time download link (audit exports, backup downloads): a mutation that checked who asks
 * records it and hands out the token once; a plain GET claims it once and streams the file. Only
 * the token's SHA-256 is stored. A feature's table has these columns (`id`, `tenant_id`,
 * `user_id`, `token_hash`, `created_at`, `expires_at`, `used_at`) and its own.
 */
export abstract class OneTimeLink extends TenantScoped {
  @PrimaryKey({ type: 'uuid' }) id: string = randomUUID();
  @Property({ type: 'uuid' }) userId!: string;
  @Property({ type: 'bytea' }) tokenHash!: Buffer;
  @Property({ type: 'timestamptz' }) createdAt!: Date;
  @Property({ type: 'timestamptz' }) expiresAt!: Date;
  @Property({ type: 'timestamptz', nullable: true }) usedAt?: Date | null;
}

/**
 * A migration's statements for a table of OneTimeLink rows: its columns, the feature's own
 * (`extra`: columns and checks; keys to other tables go in `tenantForeignKey` after), token hashes
 * unique per tenant, and RLS. Migrations that ran keep what they made: change this only together
 * with a new migration.
 */
export function oneTimeLinkTable(table: string, extra: string[]): string[] {
  const columns = [
    'user_id uuid not null',
    'token_hash bytea not null check (length(token_hash) = 32)',
    'created_at timestamptz not null',
    'expires_at timestamptz not null',
    'used_at timestamptz',
    ...extra,
    'unique (tenant_id, token_hash)',
  ];
  return tenantTable(table, columns);
}

/** Records a link for the signed-in person, given the hash of the token only they will see. */
export function createOneTimeLink<T extends OneTimeLink>(ctx: RequestContext, entity: EntityClass<T>, tokenHash: Buffer, fields: Omit<RequiredEntityData<T>, keyof OneTimeLink>): T {
  const p = ctx.principal;
  if (p?.kind !== 'user') throw unauthenticated();
  const createdAt = ctx.app.now();
  const expiresAt = new Date(createdAt.getTime() + ONE_TIME_LINK_MINUTES * 60_000);
  return ctx.em.create(entity, { ...fields, userId: p.userId, tokenHash, createdAt, expiresAt } as RequiredEntityData<T>);
}

/**
 * Claims a link in one statement: of two downloads racing for the same link, exactly one gets the
 * row back; a used or expired one matches nothing. Raw SQL (an UPDATE … RETURNING the ORM does not
 * write): the table comes from the entity's metadata, the tenant is named and RLS enforces it.
 */
export async function claimOneTimeLink<T extends OneTimeLink>(ctx: RequestContext, entity: EntityClass<T>, tokenHash: Buffer): Promise<T | null> {
  const table = ctx.em.getMetadata().get<T>(entity.name).tableName;
  const now = ctx.app.now();
  const [row] = await ctx.em
    .getConnection()
    .execute<Record<string, unknown>[]>(
      `update "${table}" set used_at = ? where tenant_id = ? and token_hash = ? and used_at is null and expires_at > ? returning *`,
      [now, currentTenant(ctx.em), tokenHash, now],
      'all',
      ctx.em.getTransactionContext(),
    );
  return row ? ctx.em.map(entity, row as never) : null;
}

/** A feature's kind of link: its rows, and what people call it ("export", "download"). */
export interface LinkKind<T extends OneTimeLink> {
  entity: EntityClass<T>;
  what: string;
  /** Why the work runs, for logs (`system`) and the refusal's event: "audit export". */
  reason: string;
}

/**
 * The GET side of every link: claims it (parsed from the URL; null when it does not parse) under
 * its tenant and runs `fn` with it in the same transaction, acting as the person who made it, from
 * the address that uses it. The request guards judge that person from that address as they judge
 * each GraphQL operation (D10: the IP allowlist and its report-only mode), so a link carried out
 * of the allowed networks is refused like its maker would be. A refused link is spent (it left the
 * network it was made on) and the refusal is audited like an operation's. Null: the answer is
 * sent, `linkGone` (used, expired or unknown; also when `fn` answers null, or its maker may no
 * longer act) or the refusal.
 */
export async function withClaimedLink<T extends OneTimeLink, R>(
  services: AppServices & { orm: MikroORM },
  req: Request,
  res: Response,
  link: { tenantId: string; hash: Buffer } | null,
  kind: LinkKind<T>,
  fn: (ctx: RequestContext, row: T) => Promise<R | null>,
): Promise<R | null> {
  if (!link) return gone(res, kind);
  const request = { requestId: (req as Request & { id: string }).id, ip: normalizeIp(req.ip), userAgent: String(req.headers['user-agent'] ?? '').slice(0, 512) };
  const outcome = await withSystemContext(
    services.orm,
    services,
    link.tenantId,
    kind.reason,
    async (ctx): Promise<{ value: R | null } | { refused: AppError }> => {
      const row = await claimOneTimeLink(ctx, kind.entity, link.hash);
      if (!row) return { value: null };
      ctx.principal = (await ctx.app.authenticator?.principalOf?.(ctx, row.userId)) ?? null;
      if (!ctx.principal) return { value: null };
      const refused = await guardLink(ctx, row, kind);
      return refused ? { refused } : { value: await fn(ctx, row) };
    },
    request,
  );
  if ('refused' in outcome) {
    const e = outcome.refused;
    res.status(refusalStatus(e.code)).json({ errors: [{ message: e.message, extensions: e.extensions }] });
    return null;
  }
  return outcome.value ?? gone(res, kind);
}

/** A link is a read: lockdown lets it through, the allowlist does not (see RequestGuard). */
async function guardLink(ctx: RequestContext, row: OneTimeLink, kind: LinkKind<OneTimeLink>): Promise<AppError | null> {
  try {
    for (const guard of ctx.app.guards) await guard.check(ctx, { type: 'query', fields: [] });
    return null;
  } catch (e) {
    if (!(e instanceof AppError)) throw e;
    audit(ctx, PlatformAudit.accessDenied, { targetId: kind.reason, outcome: 'denied', details: { link: row.id, code: e.code, reason: e.extensions.reason ?? null } });
    return e;
  }
}

const refusalStatus = (code: ErrorCode) => (code === 'UNAUTHENTICATED' ? 401 : code === 'RATE_LIMITED' ? 429 : 403);

function gone(res: Response, kind: { what: string }): null {
  linkGone(res, kind.what);
  return null;
}

/** A used, expired and unknown link get the same answer: nothing tells them apart. */
export function linkGone(res: Response, what: string): void {
  res.status(404).json({ errors: [{ message: `This ${what} link is used, expired or unknown`, extensions: { code: 'NOT_FOUND' } }] });
}
