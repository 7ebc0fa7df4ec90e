import type { GraphQLSchema } from 'graphql';
import { isObjectType } from 'graphql';
import { middleware } from 'graphql-middleware';
import { allow, deny, shield } from 'graphql-shield';
import type { IRules } from 'graphql-shield';
import { AppError, forbidden } from '../errors';

const ROOT_TYPES = new Set(['Query', 'Mutation', 'Subscription']);

export type RuleTree = Record<string, Record<string, unknown>>;

/** The rule that governs Type.field: field rule, else the type's '*' rule, else deny. */
export function effectiveRule(tree: RuleTree, type: string, field: string): unknown {
  return tree[type]?.[field] ?? tree[type]?.['*'] ?? deny;
}

/**
 * graphql-shield, deny by default, but without its per-field wrapper where the rule is a plain
 * allow on a non-root type. Root fields are always wrapped and must each name a rule (root '*'
 * rules are refused), so every new query or mutation is unreachable until a rule allows it.
 */
export function shieldMiddleware(tree: RuleTree) {
  for (const root of ROOT_TYPES) {
    if (tree[root]?.['*']) throw new Error(`${root} may not have a '*' rule: every root field names its own rule`);
  }
  const generator = shield(tree as IRules, {
    fallbackRule: deny,
    allowExternalErrors: true,
    // Resolver errors pass through (they are masked later); a failed rule becomes FORBIDDEN.
    fallbackError: (err: unknown) => (err instanceof AppError ? err : forbidden()),
    debug: false,
  });
  return middleware((schema: GraphQLSchema) => {
    const full = generator.generate(schema) as Record<string, Record<string, unknown>>;
    for (const [typeName, fields] of Object.entries(full)) {
      const type = schema.getType(typeName);
      if (!isObjectType(type) || ROOT_TYPES.has(typeName)) continue;
      for (const field of Object.keys(fields)) {
        if (effectiveRule(tree, typeName, field) === allow) delete fields[field];
      }
      if (!Object.keys(fields).length) delete full[typeName];
    }
    return full;
  });
}

/** `Type.field → rule name` for every field of every object type: the reviewed permission surface. */
export function ruleSurface(schema: GraphQLSchema, tree: RuleTree): Record<string, string> {
  const out: Record<string, string> = {};
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.keys(type.getFields())) {
      const r = effectiveRule(tree, type.name, field) as { name?: string };
      out[`${type.name}.${field}`] = r === allow ? 'allow' : r === deny ? 'deny' : (r.name ?? 'unnamed');
    }
  }
  return out;
}
