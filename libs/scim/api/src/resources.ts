import { loader, type Permission, type RequestContext } from '@bulwark/platform-api';
import { User } from '@bulwark/identity-api';
import type { Request } from 'express';
import { canonical } from './filter';
import { invalidValue } from './scim.errors';
import type { Doc } from './patch';

export const LIST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
/** The most resources one page holds (Okta asks for 100 at a time). */
export const MAX_COUNT = 100;

export const scimBase = (ctx: RequestContext) => `${ctx.app.config.publicUrl}/scim/v2`;
export const locationOf = (ctx: RequestContext, type: 'Users' | 'Groups', id: string) => `${scimBase(ctx)}/${type}/${id}`;

/** One query parameter as text; a repeated one is ambiguous. */
export function queryParam(req: Request, name: string): string | undefined {
  const entry = Object.entries(req.query).find(([k]) => k.toLowerCase() === name.toLowerCase());
  const v = entry?.[1];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw invalidValue(`Give "${name}" once, as text`);
  return v;
}

/** RFC 7644 §3.4.2.4: startIndex is 1-based (less than 1 counts as 1), count at most MAX_COUNT. */
export function pageOf(req: Request): { startIndex: number; count: number } {
  const int = (name: string, fallback: number) => {
    const raw = queryParam(req, name);
    if (raw === undefined || raw === '') return fallback;
    if (!/^-?\d{1,9}$/.test(raw.trim())) throw invalidValue(`"${name}" is a whole number`);
    return Number(raw);
  };
  return { startIndex: Math.max(1, int('startIndex', 1)), count: Math.min(MAX_COUNT, Math.max(0, int('count', MAX_COUNT))) };
}

export function listResponse(resources: Doc[], total: number, startIndex: number) {
  return { schemas: [LIST_SCHEMA], totalResults: total, startIndex, itemsPerPage: resources.length, Resources: resources };
}

/**
 * `attributes` and `excludedAttributes` (RFC 7644 §3.4.2.5), by top-level attribute or
 * `attr.sub`: Entra reads groups with `excludedAttributes=members`. `id` and `schemas` always stay.
 */
export interface Selection {
  only: string[] | null;
  without: string[];
}
export function selectionOf(req: Request): Selection {
  const names = (raw: string | undefined) =>
    (raw ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .map((s) => s.replace(/^urn:ietf:params:scim:schemas:core:2\.0:(User|Group):/i, ''))
      .map((s) => s.split('.').map(canonical).join('.'));
  const only = queryParam(req, 'attributes');
  return { only: only ? names(only) : null, without: names(queryParam(req, 'excludedAttributes')) };
}
export const wants = (sel: Selection, attr: string) => !sel.without.includes(attr) && (!sel.only || sel.only.some((n) => n === attr || n.startsWith(`${attr}.`)));

export function select(doc: Doc, sel: Selection): Doc {
  const out: Doc = {};
  for (const [k, v] of Object.entries(doc)) {
    if (k === 'id' || k === 'schemas') out[k] = v;
    else if (wants(sel, k)) {
      const subs = sel.without.filter((n) => n.startsWith(`${k}.`)).map((n) => n.slice(k.length + 1));
      out[k] = subs.length && v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).filter(([s]) => !subs.includes(s))) : v;
    }
  }
  return out;
}

/**
 * What an API token may do to people: what its creator's role holds now (its scope is only
 * `scim.provision`, which stands for all of provisioning). Nobody grants what they lack, and
 * nobody changes a person whose role holds more than their own (as identity's rank.ts).
 */
export function authorityOf(ctx: RequestContext): Promise<ReadonlySet<Permission>> {
  return loader(ctx, 'scim.authority', async () => {
    const p = ctx.principal;
    if (p?.kind !== 'token') return new Set<Permission>();
    const creator = await ctx.em.findOne(User, { id: p.createdBy, status: 'active' });
    return (creator && (await ctx.app.roles.permissionsOf(ctx, creator.role))) ?? new Set<Permission>();
  });
}

export const within = (authority: ReadonlySet<Permission>, wanted: ReadonlySet<Permission>) => [...wanted].every((p) => authority.has(p));

export const iso = (d: Date) => new Date(d).toISOString();
