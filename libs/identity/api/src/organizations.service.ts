import DataLoader from 'dataloader';
import { LockMode } from '@mikro-orm/core';
import { badInput, conflict, isUuid, loader, notFound, type PageInput, type RequestContext } from '@bulwark/platform-api';
import { Organization } from './organization.entity';
import { User } from './user.entity';

export interface OrganizationFields {
  name: string;
  domains: string[];
}

/** What a ticket or a person's card shows of an organization. */
export interface OrganizationSummary {
  id: string;
  name: string;
}

/** A domain name as in an email address: letters, digits and dashes per label, a TLD (IDNs as xn--). */
const DOMAIN = /^(?=.{4,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;

/**
 * Addresses anyone can get: a domain of these would put every stranger with a free mailbox into
 * one customer's organization.
 */
const FREE_MAIL = new Set([
  'gmail.com', 'googlemail.com', 'outlook.com', 'hotmail.com', 'live.com', 'msn.com', 'yahoo.com', 'ymail.com', 'icloud.com', 'me.com',
  'mac.com', 'aol.com', 'proton.me', 'protonmail.com', 'gmx.com', 'gmx.net', 'gmx.de', 'web.de', 'mail.com', 'mail.ru', 'yandex.ru',
  'yandex.com', 'qq.com', '163.com', 'zoho.com', 'fastmail.com', 'tutanota.com',
]);

const MAX_DOMAINS = 50;

/** The domain of an address, lower-cased ('' when there is none). */
export const domainOf = (email: string): string => {
  const at = email.lastIndexOf('@');
  return at < 0 ? '' : email.slice(at + 1).trim().toLowerCase();
};

/** Domains as people type them (`@Example.com`, `example.com.`), checked, lower-cased, each once. */
export function cleanDomains(domains: readonly string[]): string[] {
  if (domains.length > MAX_DOMAINS) throw badInput(`At most ${MAX_DOMAINS} domains`, { domains: 'too many' });
  const out: string[] = [];
  for (const typed of domains) {
    const d = typed.trim().toLowerCase().replace(/^@/, '').replace(/\.$/, '');
    if (!DOMAIN.test(d)) throw badInput(`“${typed.trim().slice(0, 80)}” is not a domain name like example.com`, { domains: 'invalid' });
    if (FREE_MAIL.has(d)) throw badInput(`${d} is a public mail service: everyone with an address there would join`, { domains: 'public mail service' });
    if (!out.includes(d)) out.push(d);
  }
  return out;
}

function cleanName(name: string): string {
  const n = name.trim();
  if (!n || n.length > 120) throw badInput('The name is 1 to 120 characters', { name: 'invalid' });
  return n;
}

/** An organization as the API shows it (the GraphQL type `Organization`, less its memberCount). */
export interface OrganizationRow extends OrganizationSummary {
  domains: string[];
  createdAt: Date;
}

export const toView = (o: Organization): OrganizationRow => ({ id: o.id, name: o.name, domains: [...o.domains], createdAt: o.createdAt });

export async function listOrganizations(ctx: RequestContext, filter: { search?: string; ids?: string[] }, page: PageInput) {
  const where: Record<string, unknown> = {};
  if (filter.ids) {
    if (filter.ids.length > 100) throw badInput('At most 100 ids', { ids: 'too many' });
    where.id = { $in: filter.ids.filter(isUuid) };
  }
  const q = filter.search?.trim();
  if (q) {
    const like = `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    // A name containing the words, or an organization with exactly that domain.
    where.$or = [{ name: { $ilike: like } }, { domains: { $contains: [q.toLowerCase().replace(/^@/, '')] } }];
  }
  const [rows, totalCount] = await ctx.em.findAndCount(Organization, where, { orderBy: { name: 'asc', id: 'asc' }, limit: page.limit, offset: page.offset });
  return { nodes: rows.map(toView), totalCount };
}

async function find(ctx: RequestContext, id: string, lock = false): Promise<Organization> {
  const org = isUuid(id) ? await ctx.em.findOne(Organization, { id }, lock ? { lockMode: LockMode.PESSIMISTIC_WRITE } : {}) : null;
  if (!org) throw notFound('Organization');
  return org;
}

export async function getOrganization(ctx: RequestContext, id: string) {
  return toView(await find(ctx, id));
}

/**
 * Names and domains are unique in a tenant. A domain sits in an array, which no unique index can
 * cover element by element, so writers of a tenant's organizations take turns (a transaction-level
 * lock) and check before they write.
 */
async function assertFree(ctx: RequestContext, fields: OrganizationFields, except?: string) {
  await ctx.em
    .getConnection()
    .execute('select pg_advisory_xact_lock(hashtextextended(?, 0))', [`bulwark:organizations:${ctx.tenantId}`], 'get', ctx.em.getTransactionContext());
  const others = await ctx.em.find(Organization, {
    ...(except ? { id: { $ne: except } } : {}),
    $or: [{ name: { $ilike: fields.name.replace(/[\\%_]/g, (c) => `\\${c}`) } }, ...(fields.domains.length ? [{ domains: { $overlap: fields.domains } }] : [])],
  });
  const sameName = others.find((o) => o.name.toLowerCase() === fields.name.toLowerCase());
  if (sameName) throw conflict(`An organization named “${sameName.name}” exists already`, { name: 'taken' });
  for (const o of others) {
    const taken = o.domains.find((d) => fields.domains.includes(d));
    if (taken) throw conflict(`${taken} belongs to ${o.name} already`, { domains: 'taken' });
  }
}

export async function createOrganization(ctx: RequestContext, input: OrganizationFields) {
  const fields = { name: cleanName(input.name), domains: cleanDomains(input.domains) };
  await assertFree(ctx, fields);
  const org = ctx.em.create(Organization, { ...fields, createdAt: ctx.app.now() });
  return toView(org);
}

/** Renames it and replaces its domains; its people stay (a domain taken away moves nobody). */
export async function updateOrganization(ctx: RequestContext, id: string, input: OrganizationFields) {
  const org = await find(ctx, id);
  const fields = { name: cleanName(input.name), domains: cleanDomains(input.domains) };
  await assertFree(ctx, fields, org.id);
  org.name = fields.name;
  if (fields.domains.join() !== org.domains.join()) org.domains = fields.domains;
  return toView(org);
}

/**
 * Its people stay, in no organization. The row is locked first, so a person being put in it at
 * the same moment waits (their key check needs the row) and then finds it gone. The key from
 * users has no ON DELETE SET NULL (it would null tenant_id too): let go here.
 */
export async function deleteOrganization(ctx: RequestContext, id: string): Promise<boolean> {
  const org = await find(ctx, id, true);
  await ctx.em.nativeUpdate(User, { organizationId: org.id }, { organizationId: null });
  ctx.em.remove(org);
  return true;
}

/**
 * The organization a new requester with this address joins: the one that lists the address's
 * domain (at most one does), or null.
 */
export async function organizationForEmail(ctx: RequestContext, email: string): Promise<OrganizationSummary | null> {
  const domain = domainOf(email);
  if (!DOMAIN.test(domain)) return null;
  const org = await ctx.em.findOne(Organization, { domains: { $contains: [domain] } }, { fields: ['id', 'name'] });
  return org ? { id: org.id, name: org.name } : null;
}

/** An organization that exists in this tenant (another tenant's id is NOT_FOUND, D2). */
export async function organizationById(ctx: RequestContext, id: string): Promise<OrganizationSummary> {
  const org = await find(ctx, id);
  return { id: org.id, name: org.name };
}

/**
 * Organizations by id, batched per request (D9): for the ticket's `organization` and other pages
 * of rows, one query per page. Each is a whole `Organization` (id, name, domains, createdAt), so it
 * can be answered as the GraphQL type as it is (memberCount is that type's own batched field).
 */
export function organizationSummaries(ctx: RequestContext): DataLoader<string, OrganizationRow | null> {
  return loader(ctx, 'identity.organizationSummaries', () =>
    new DataLoader<string, OrganizationRow | null>(async (ids) => {
      const wanted = ids.filter(isUuid);
      const rows = wanted.length ? await ctx.em.find(Organization, { id: { $in: wanted } }) : [];
      const byId = new Map(rows.map((r) => [r.id, toView(r)]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
  );
}

/** How many people (not deleted) each organization has, batched per request. */
export function memberCounts(ctx: RequestContext): DataLoader<string, number> {
  return loader(ctx, 'identity.organizationMemberCounts', () =>
    new DataLoader<string, number>(async (keys) => {
      const ids = keys.filter(isUuid);
      if (!ids.length) return keys.map(() => 0);
      const rows = await ctx.em
        .getConnection()
        .execute<{ organization_id: string; n: string }[]>(
          `select organization_id, count(*) as n from users
            where tenant_id = ? and organization_id in (${ids.map(() => '?').join(', ')}) and status <> 'deleted'
            group by organization_id`,
          [ctx.tenantId, ...ids],
          'all',
          ctx.em.getTransactionContext(),
        );
      const byId = new Map(rows.map((r) => [r.organization_id, Number(r.n)]));
      return keys.map((id) => byId.get(id) ?? 0);
    }),
  );
}
