import {
  getNamedType,
  isLeafType,
  isListType,
  isNonNullType,
  Kind,
  SchemaMetaFieldDef,
  TypeMetaFieldDef,
  valueFromASTUntyped,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type DocumentNode,
  type SelectionSetNode,
} from 'graphql';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '@bulwark/platform-api';

/**
 * graphql-armor's cost model (the E2 cost limit uses it): a scalar field costs 1, an object field 2
 * plus what is selected under it. Armor does not know how many items a list returns; this does, so
 * a 100-ticket page costs about four times a 25-ticket one. A list is multiplied by the page size
 * its field asks for (`first`, `limit`, or `page: { limit }`, the names this API uses: paging.ts,
 * audit's `first`, backups' `limit`), else by the argument's default, else by the default page
 * size: a list without paging (roles) is charged as a default page, which it rarely exceeds.
 * `__typename` is free; introspection is charged like any other query (its lists as default pages).
 */
export const SCALAR_COST = 1;
export const OBJECT_COST = 2;
const SIZE_ARGUMENTS = ['first', 'limit'] as const;

export function operationCost(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, variables: Readonly<Record<string, unknown>>): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const root = operation.operation === 'mutation' ? schema.getMutationType() : operation.operation === 'subscription' ? schema.getSubscriptionType() : schema.getQueryType();
  if (!root) return 1;
  const vars = variables as Record<string, unknown>;

  /** `pending`: a page size asked for by an ancestor (tickets(page:) → TicketPage.items), for the first list below. */
  const selectionCost = (set: SelectionSetNode, type: GraphQLNamedType, pending: number | null, seen: ReadonlySet<string>): number => {
    let total = 0;
    for (const s of set.selections) {
      if (s.kind === Kind.FIELD) total += fieldCost(s, type, pending, seen);
      else if (s.kind === Kind.INLINE_FRAGMENT) {
        const on = s.typeCondition ? schema.getType(s.typeCondition.name.value) : type;
        total += on ? selectionCost(s.selectionSet, on, pending, seen) : 0;
      } else if (!seen.has(s.name.value)) {
        const f = fragments.get(s.name.value);
        const on = f && schema.getType(f.typeCondition.name.value);
        if (f && on) total += selectionCost(f.selectionSet, on, pending, new Set(seen).add(s.name.value));
      }
    }
    return total;
  };

  const fieldCost = (node: FieldNode, parent: GraphQLNamedType, pending: number | null, seen: ReadonlySet<string>): number => {
    if (node.name.value === '__typename') return 0;
    // Introspection's root fields are not among the root type's fields; graphql-js keeps them apart.
    const meta = node.name.value === '__schema' ? SchemaMetaFieldDef : node.name.value === '__type' ? TypeMetaFieldDef : undefined;
    const def = meta ?? ('getFields' in parent ? (parent.getFields() as Record<string, GraphQLField<unknown, unknown>>)[node.name.value] : undefined);
    // A field the schema lacks failed validation before this runs.
    if (!def) return SCALAR_COST;
    const named = getNamedType(def.type);
    if (isLeafType(named)) return SCALAR_COST;
    const asked = pageSizeOf(node, def, vars) ?? pending;
    const inner = OBJECT_COST + (node.selectionSet ? selectionCost(node.selectionSet, named, isList(def.type) ? null : asked, seen) : 0);
    return isList(def.type) ? inner * (asked ?? DEFAULT_PAGE_SIZE) : inner;
  };

  return Math.max(1, selectionCost(operation.selectionSet, root, null, new Set()));
}

function isList(type: GraphQLOutputType): boolean {
  return isListType(isNonNullType(type) ? type.ofType : type);
}

/** The page size a field's arguments ask for (capped at the API's maximum), or its default; null if it has no paging. */
function pageSizeOf(node: FieldNode, def: GraphQLField<unknown, unknown>, variables: Record<string, unknown>): number | null {
  const given = new Map((node.arguments ?? []).map((a) => [a.name.value, valueFromASTUntyped(a.value, variables)]));
  for (const name of SIZE_ARGUMENTS) {
    const arg = def.args.find((a) => a.name === name);
    if (!arg) continue;
    return size(given.has(name) ? given.get(name) : arg.defaultValue);
  }
  if (def.args.some((a) => a.name === 'page')) {
    const page = given.get('page') as { limit?: unknown } | null | undefined;
    return size(page?.limit ?? DEFAULT_PAGE_SIZE);
  }
  return null;
}

function size(v: unknown): number {
  const n = typeof v === 'number' && Number.isFinite(v) ? Math.trunc(v) : DEFAULT_PAGE_SIZE;
  // Every list serves at most MAX_PAGE_SIZE items whatever it is asked (E2: paging.ts, and the
  // `first`/`limit` lists clamp to it), so asking for more costs no more than what comes back.
  return Math.min(Math.max(n, 1), MAX_PAGE_SIZE);
}
