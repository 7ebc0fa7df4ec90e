import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import type { GraphQLSchema } from 'graphql';
import type { RequestContext } from '../context';
import type { Authenticator, OperationGate, OperationMeter, RequestGuard } from '../plugin';
import type { Logger } from '../logger';
import { DatabaseHealth } from '../db/outage';
import { apolloErrorFormatter, errorMaskingPlugin, MAX_ERRORS } from './errors.plugin';
import { operationTransactionPlugin } from './transaction';

/** Limits of SECURITY.md E2. Values are not revealed in errors (`exposeLimits: false`). */
export const GRAPHQL_LIMITS = { depth: 10, aliases: 15, directives: 5, cost: 5000, tokens: 3000 } as const;

export function createApollo(
  schema: GraphQLSchema,
  opts: {
    introspection: boolean;
    authenticator: Authenticator;
    guards?: RequestGuard[];
    gates?: OperationGate[];
    meters?: OperationMeter[];
    log: Logger;
    /** G7: an operation's deadline (default 10 s), the root fields it does not apply to, and where outages are noted. */
    operationTimeoutMs?: number;
    deadlineExempt?: ReadonlySet<string>;
    health?: DatabaseHealth;
  },
) {
  const health = opts.health ?? new DatabaseHealth(opts.log);
  // Each refusal says which limit, never its value (E2).
  const armor = new ApolloArmor({
    maxDepth: { n: GRAPHQL_LIMITS.depth, exposeLimits: false, ignoreIntrospection: true, errorMessage: 'The query is nested too deeply: ask for fewer levels of fields' },
    // No allow-list: the default lets `__typename` aliases through (STACK.md).
    maxAliases: { n: GRAPHQL_LIMITS.aliases, allowList: [], exposeLimits: false, errorMessage: 'The query uses too many aliases: split it into several requests' },
    maxDirectives: { n: GRAPHQL_LIMITS.directives, exposeLimits: false, errorMessage: 'The query uses too many directives' },
    costLimit: {
      maxCost: GRAPHQL_LIMITS.cost,
      exposeLimits: false,
      ignoreIntrospection: true,
      errorMessage: 'The query is too costly: ask for fewer items per page or fewer nested fields',
    },
    // Armor's token limit turns syntax errors into HTTP 500; Apollo's parseOptions.maxTokens is used instead.
    maxTokens: { enabled: false },
    blockFieldSuggestion: { enabled: true },
  });
  const protection = armor.protect();
  // Every setting explicit rather than derived from NODE_ENV (STACK.md).
  return new ApolloServer<RequestContext>({
    schema,
    introspection: opts.introspection,
    includeStacktraceInErrorResponses: false,
    allowBatchedHttpRequests: false,
    csrfPrevention: true,
    hideSchemaDetailsFromClientErrors: true,
    // The process owns shutdown (HTTP, Apollo, pool, embedded postgres, in that order); Apollo's
    // own handler would stop it alone and re-raise the signal.
    stopOnTerminationSignals: false,
    parseOptions: { maxTokens: GRAPHQL_LIMITS.tokens },
    validationRules: protection.validationRules,
    // graphql-js stops validating after this many errors (E9: no amplification by error lists).
    validationOptions: { maxErrors: MAX_ERRORS },
    // Automatic persisted queries are a client-fillable cache this API has no use for.
    persistedQueries: false,
    formatError: apolloErrorFormatter(health),
    // Apollo's own messages as structured lines (F6). Its last-resort error message quotes the
    // error, which may quote SQL and values: the error itself is logged with the request id by
    // errorMaskingPlugin, so only the message's first words are kept here.
    logger: {
      debug: (m) => opts.log.debug(String(m)),
      info: (m) => opts.log.info(String(m)),
      warn: (m) => opts.log.warn(String(m)),
      error: (m) => opts.log.error(String(m).split(':')[0]),
    },
    plugins: [
      ...protection.plugins,
      operationTransactionPlugin(opts.authenticator, opts.guards ?? [], opts.gates ?? [], opts.meters ?? [], { operationTimeoutMs: opts.operationTimeoutMs ?? 10_000, health, exempt: opts.deadlineExempt ?? new Set() }),
      errorMaskingPlugin(health),
      ApolloServerPluginLandingPageDisabled(),
      // No cache hints are used (responses are no-store); the plugin costs a little on every field.
      ApolloServerPluginCacheControlDisabled(),
    ],
  });
}
