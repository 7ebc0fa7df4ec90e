import {
  getArgumentValues,
  Kind,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLResolveInfo,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';

/**
 * Whether the client asked for `field` directly under the current field, so a resolver can skip
 * work nobody reads (a total count). Fragments are followed; anything unclear counts as asked.
 */
export function selectsField(info: GraphQLResolveInfo, field: string): boolean {
  const visit = (set: SelectionSetNode | undefined): boolean =>
    !!set?.selections.some((s) => {
      if (s.kind === 'Field') return s.name.value === field;
      if (s.kind === 'InlineFragment') return visit(s.selectionSet);
      const fragment = info.fragments[s.name.value];
      return fragment ? visit(fragment.selectionSet) : true;
    });
  return info.fieldNodes.some((n) => visit(n.selectionSet));
}

/**
 * The root fields an operation runs, fragments (named and inline) expanded, one entry per field
 * as written (aliases repeat a name). The gates judge these (runs alone, hashes a password, the
 * deadline): a field hidden in a fragment must count like one written out.
 */
export function rootFieldNames(operation: OperationDefinitionNode, document: DocumentNode): string[] {
  return rootFieldNodes(operation, document).map((n) => n.name.value);
}

/**
 * What each root field was called with, variables substituted: what an audit of reads records
 * (vendor support). A value that does not coerce is left out; validation has refused it already.
 */
export function rootFieldArguments(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  document: DocumentNode,
  variables: Record<string, unknown> | undefined,
): { field: string; args: Record<string, unknown> }[] {
  const type = operation.operation === 'mutation' ? schema.getMutationType() : schema.getQueryType();
  return rootFieldNodes(operation, document).map((node) => {
    const def = type?.getFields()[node.name.value];
    let args: Record<string, unknown> = {};
    try {
      if (def) args = getArgumentValues(def, node, variables ?? {});
    } catch {
      args = {};
    }
    return { field: node.name.value, args };
  });
}

function rootFieldNodes(operation: OperationDefinitionNode, document: DocumentNode): FieldNode[] {
  const fragments = new Map(
    document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]),
  );
  const names: FieldNode[] = [];
  const visit = (set: SelectionSetNode, seen: ReadonlySet<string>) => {
    for (const s of set.selections) {
      if (s.kind === Kind.FIELD) names.push(s);
      else if (s.kind === Kind.INLINE_FRAGMENT) visit(s.selectionSet, seen);
      else if (!seen.has(s.name.value)) {
        // An unknown fragment fails validation before this runs; a cycle too, but stay finite.
        const fragment = fragments.get(s.name.value);
        if (fragment) visit(fragment.selectionSet, new Set(seen).add(s.name.value));
      }
    }
  };
  visit(operation.selectionSet, new Set());
  return names;
}
