import { actingUserId, badInput, conflict, forbidden, isBlank, isUuid, notFound, type RequestContext } from '@bulwark/platform-api';
import { Organization, User } from '@bulwark/identity-api';
import { countTicketsBy } from './ticket-list.query';
import { SavedView } from './ticket.entity';
import { TicketGroup } from './group.entity';
import { TicketFilter, TicketStatusEnum as S, type TicketListView } from './tickets.types';

const OPEN = [S.NEW, S.OPEN, S.PENDING];
const DAY = 24 * 60 * 60 * 1000;
/** Views a person may save: their counts are one statement, which must stay small. */
const MAX_SAVED_VIEWS = 50;

/** The built-in views, in the order the console shows them; each a filter of the list. */
const BUILT_IN: { id: string; name: string; filter: (ctx: RequestContext, me: string | null) => TicketFilter }[] = [
  // Without a person (an API token acts as its creator, so it has one) "mine" selects nothing.
  { id: 'mine', name: 'My open tickets', filter: (_c, me) => ({ assigneeId: me ?? '00000000-0000-0000-0000-000000000000', status: OPEN }) },
  { id: 'unassigned', name: 'Unassigned', filter: () => ({ unassigned: true, status: OPEN }) },
  { id: 'open', name: 'All open', filter: () => ({ status: [S.NEW, S.OPEN] }) },
  { id: 'pending', name: 'Pending', filter: () => ({ status: [S.PENDING] }) },
  { id: 'solved', name: 'Recently solved', filter: (ctx) => ({ status: [S.SOLVED], updatedAfter: new Date(ctx.app.now().getTime() - 7 * DAY) }) },
];

const me = (ctx: RequestContext) => (ctx.principal ? actingUserId(ctx.principal) : null);

/** A saved view's filter as stored (JSON), back into the list's filter (dates as dates). */
function storedFilter(json: Record<string, unknown>): TicketFilter {
  const f = Object.assign(new TicketFilter(), json);
  for (const k of ['createdAfter', 'createdBefore', 'updatedAfter', 'updatedBefore'] as const) if (f[k]) f[k] = new Date(f[k] as unknown as string);
  return f;
}

/** The filters a list request applies: the caller's, and the named view's when it gives one. */
export async function resolveViews(ctx: RequestContext, filter: TicketFilter): Promise<TicketFilter[]> {
  if (!filter.view) return [filter];
  const builtIn = BUILT_IN.find((v) => v.id === filter.view);
  if (builtIn) return [builtIn.filter(ctx, me(ctx)), { ...filter, view: undefined }];
  const saved = await ownView(ctx, filter.view);
  return [storedFilter(saved.filter), { ...filter, view: undefined }];
}

/** One of the acting person's saved views; another person's (or tenant's) is NOT_FOUND like a missing one. */
async function ownView(ctx: RequestContext, id: string): Promise<SavedView> {
  const owner = me(ctx);
  const view = owner && isUuid(id) ? await ctx.em.findOne(SavedView, { id, user: owner }) : null;
  if (!view) throw notFound('View');
  return view;
}

/** The built-in views and the person's own, each with its count now, counted in one statement. */
export async function listViews(ctx: RequestContext): Promise<TicketListView[]> {
  const owner = me(ctx);
  const saved = owner ? await ctx.em.find(SavedView, { user: owner }, { orderBy: { name: 'asc' } }) : [];
  const all = [
    ...BUILT_IN.map((v) => ({ id: v.id, name: v.name, builtIn: true, filters: [v.filter(ctx, owner)] })),
    ...saved.map((v) => ({ id: v.id, name: v.name, builtIn: false, filters: [storedFilter(v.filter)] })),
  ];
  const counts = await countTicketsBy(ctx, all.map((v) => v.filters));
  return all.map((v, i) => ({ id: v.id, name: v.name, builtIn: v.builtIn, count: counts[i] }));
}

/** Saves the list's filter under a name, for the acting person only. */
export async function createView(ctx: RequestContext, name: string, filter: TicketFilter): Promise<TicketListView> {
  const owner = me(ctx);
  if (!owner) throw forbidden();
  const clean = name.trim();
  if (isBlank(clean)) throw badInput('Name the view', { name: 'required' });
  if (filter.view) throw badInput('A view is made of filters, not of another view', { filter: 'view' });
  if (filter.ids) throw badInput('A view is made of filters, not of a list of tickets', { filter: 'ids' });
  // What the filter may not be used for is refused first (tags, organizations), so existence of
  // ids is never told to someone who may not filter by them.
  const [count] = await countTicketsBy(ctx, [[filter]]);
  await referencesExist(ctx, filter);
  if ((await ctx.em.count(SavedView, { user: owner })) >= MAX_SAVED_VIEWS) throw badInput(`You have ${MAX_SAVED_VIEWS} views already: delete one first`, { name: 'too many' });
  if (await ctx.em.count(SavedView, { user: owner, name: clean })) throw conflict(`You already have a view named ${clean}`, { name: 'taken' });
  // Stored as given (ids, dates as ISO text): a filter naming what one can no longer see just matches less.
  const stored = JSON.parse(JSON.stringify(filter)) as Record<string, unknown>;
  const view = ctx.em.create(SavedView, { user: ctx.em.getReference(User, owner), name: clean, filter: stored, createdAt: ctx.app.now() });
  return { id: view.id, name: view.name, builtIn: false, count };
}

/** A saved filter names people and groups of this tenant that exist (NOT_FOUND otherwise, like any other id). */
async function referencesExist(ctx: RequestContext, f: TicketFilter): Promise<void> {
  for (const [id, what] of [
    [f.assigneeId, 'Assignee'],
    [f.requesterId, 'Requester'],
  ] as const) {
    if (id && !(isUuid(id) && (await ctx.em.count(User, { id })))) throw notFound(what);
  }
  if (f.groupId && !(isUuid(f.groupId) && (await ctx.em.count(TicketGroup, { id: f.groupId })))) throw notFound('Group');
  if (f.organizationId && !(isUuid(f.organizationId) && (await ctx.em.count(Organization, { id: f.organizationId })))) throw notFound('Organization');
}

export async function deleteView(ctx: RequestContext, id: string): Promise<boolean> {
  if (BUILT_IN.some((v) => v.id === id)) throw badInput('Built-in views cannot be deleted', { id: 'built-in' });
  ctx.em.remove(await ownView(ctx, id));
  return true;
}
