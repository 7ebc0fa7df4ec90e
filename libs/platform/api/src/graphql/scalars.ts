import { GraphQLError, GraphQLScalarType } from 'graphql';
// eslint-disable-next-line no-restricted-imports -- the one place that wraps it
import { GraphQLDateTimeISO as UnboundedDateTime } from 'graphql-scalars';

/**
 * graphql-scalars' DateTimeISO, bounded to the years 1 to 9999. It accepts year 0000, which
 * PostgreSQL has not (no year 0): such a date in a filter failed the query, a 500 (E9). Same name
 * and format, so the API does not change; every feature's types use this one.
 */
export const GraphQLDateTimeISO = new GraphQLScalarType<Date, string>({
  ...UnboundedDateTime.toConfig(),
  parseValue: (value) => storable(UnboundedDateTime.parseValue(value)),
  parseLiteral: (ast, variables) => storable(UnboundedDateTime.parseLiteral(ast, variables)),
});

function storable(date: Date): Date {
  const year = date.getUTCFullYear();
  if (year < 1 || year > 9999) throw new GraphQLError('Give a date between the years 1 and 9999', { extensions: { code: 'BAD_USER_INPUT' } });
  return date;
}
