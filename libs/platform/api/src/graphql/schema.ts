import { GraphQLDateTimeISO } from './scalars';
import type { GraphQLSchema } from 'graphql';
import { applyMiddleware } from 'graphql-middleware';
import { buildSchema, registerEnumType, type NonEmptyArray } from 'type-graphql';
import type { ComposedApi } from '../plugin';
import { permissionEnumName } from '../permissions';
import { mutationSavepoint } from './transaction';
import { shieldMiddleware } from './shield';

/**
 * The GraphQL enum of every permission in the catalog. Its values are filled from the plugin list
 * when the schema is built (type-graphql reads the object then), so features can refer to it in
 * their types without knowing each other.
 */
export const PermissionEnum: Record<string, string> = {};
registerEnumType(PermissionEnum, { name: 'Permission', description: 'A permission from the catalog' });

export async function buildApiSchema(api: ComposedApi): Promise<GraphQLSchema> {
  for (const key of Object.keys(PermissionEnum)) delete PermissionEnum[key];
  for (const d of api.catalog.definitions) PermissionEnum[permissionEnumName(d.key)] = d.key;
  const schema = await buildSchema({
    resolvers: api.resolvers as unknown as NonEmptyArray<() => unknown>,
    // SECURITY.md E6: unknown input properties are refused, not silently dropped.
    validate: { forbidUnknownValues: true, whitelist: true, forbidNonWhitelisted: true },
    emitSchemaFile: false,
    // A Date field without a scalar named is ours too, not type-graphql's unbounded default.
    scalarsMap: [{ type: Date, scalar: GraphQLDateTimeISO }],
  });
  // Shield is outermost, so a denied mutation never opens a savepoint.
  return applyMiddleware(schema, shieldMiddleware(api.rules), { Mutation: mutationSavepoint as never });
}
