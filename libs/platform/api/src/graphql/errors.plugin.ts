import type { ApolloServerPlugin, GraphQLResponse } from '@apollo/server';
import type { GraphQLFormattedError } from 'graphql';
import type { RequestContext } from '../context';
import { codeOf, httpStatusOf, isClientSafe, serviceUnavailable } from '../errors';
import { OUTAGE_RETRY_AFTER_SECONDS, type DatabaseHealth } from '../db/outage';

interface ValidationErrorLike {
  property: string;
  constraints?: Record<string, string>;
  children?: ValidationErrorLike[];
}

/** The most errors one answer carries (E9): an error list must not amplify a client's work. */
export const MAX_ERRORS = 5;

function fieldMessages(errors: ValidationErrorLike[], prefix = '', out: Record<string, string> = {}) {
  for (const e of errors) {
    const path = prefix ? `${prefix}.${e.property}` : e.property;
    if (e.constraints) out[path] = Object.values(e.constraints).join('; ');
    if (e.children?.length) fieldMessages(e.children, path, out);
  }
  return out;
}

/** One error as the client sees it: our codes and words, anything else masked with the request id. */
function present(e: GraphQLFormattedError, requestId: string): GraphQLFormattedError {
  const code = codeOf(e);
  if (!isClientSafe(code)) {
    return { message: 'Internal server error', path: e.path, extensions: { code: 'INTERNAL_SERVER_ERROR', requestId } };
  }
  const validationErrors = e.extensions?.validationErrors as ValidationErrorLike[] | undefined;
  if (validationErrors) {
    return { message: 'Invalid input', path: e.path, locations: e.locations, extensions: { code, fields: fieldMessages(validationErrors) } };
  }
  // graphql-armor words its limit refusals as syntax errors; they are not.
  const message = code === 'GRAPHQL_VALIDATION_FAILED' ? e.message.replace(/^Syntax Error: /, '') : e.message;
  return { ...e, message, extensions: { ...e.extensions, code } };
}

/**
 * Puts an answer in its final form: errors presented and bounded, and the HTTP status (and
 * Retry-After) its kind always has. A refusal before execution (a request guard) gets
 * `data: null`, so it reads exactly like the same refusal by a shield rule.
 */
export function finalizeAnswer(response: GraphQLResponse, requestId: string): void {
  if (response.body?.kind !== 'single') return;
  const result = response.body.singleResult;
  if (!result.errors) return;
  const errors = result.errors.slice(0, MAX_ERRORS).map((e) => present(e, requestId));
  const codes = errors.map((e) => e.extensions?.code as string | undefined);
  // Apollo's answer to a request that never reached execution has no `data` key at all.
  const executed = 'data' in result;
  const status = httpStatusOf(codes, executed, response.http.status);
  response.body.singleResult = executed || status !== 200 ? { ...result, errors } : { ...result, data: null, errors };
  response.http.status = status;
  const retryAfter = errors.map((e) => e.extensions?.retryAfter).find((v): v is number => typeof v === 'number');
  if (retryAfter !== undefined && (codes.includes('RATE_LIMITED') || codes.includes('SERVICE_UNAVAILABLE'))) {
    response.http.headers.set('retry-after', String(Math.max(1, Math.ceil(retryAfter))));
  }
}

/**
 * SECURITY.md E4: a client sees typed codes and messages we wrote; anything else becomes
 * INTERNAL_SERVER_ERROR with the request id, and its cause goes to the log with that id.
 */
export function errorMaskingPlugin(health: DatabaseHealth): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ contextValue: ctx, errors }) {
          // Past its deadline the operation's connection was abandoned on purpose; finish() answers.
          if (ctx.deadlinePassed) return;
          for (const e of errors) {
            if (isClientSafe(codeOf(e))) continue;
            // An outage is logged once, not once per request that meets it (G7); what else fails
            // while it lasts is its consequence (a statement on a connection that just died).
            if (health.explains(e)) health.failed(e.originalError ?? e);
            else if (health.down) ctx.log.warn('error during a database outage', { kind: (e.originalError ?? e).name, path: e.path?.join('.') });
            else ctx.log.error('unexpected error', { error: e.originalError ?? e, path: e.path?.join('.') });
          }
        },
        async willSendResponse({ contextValue: ctx, response }) {
          finalizeAnswer(response, ctx.requestId);
        },
      };
    },
    // Apollo's last resort (a hook or the pipeline itself threw): logged here with the request id
    // (the transaction plugin cleans up after it).
    async unexpectedErrorProcessingRequest({ requestContext, error }) {
      const ctx = requestContext.contextValue;
      ctx.log.error('unexpected error processing the request', { error });
    },
  };
}

/**
 * Every error Apollo formats, in the pipeline and outside it (context creation): the database
 * being unreachable becomes SERVICE_UNAVAILABLE (503 with Retry-After), anything else unknown is
 * masked. Runs before willSendResponse, which adds the request id.
 */
export function apolloErrorFormatter(health: DatabaseHealth) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const code = codeOf({ ...formatted, originalError: (error as { originalError?: unknown })?.originalError });
    if (isClientSafe(code)) return formatted;
    if (health.explains(error)) {
      const e = serviceUnavailable(OUTAGE_RETRY_AFTER_SECONDS);
      return { message: e.message, path: formatted.path, extensions: e.extensions };
    }
    return { message: 'Internal server error', path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
  };
}
