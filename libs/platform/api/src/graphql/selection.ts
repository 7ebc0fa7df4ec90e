import type { GraphQLResolveInfo, SelectionSetNode } from 'graphql';

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
