import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLFormattedError } from 'graphql';
import type { RequestContext } from '../context';
import { isClientSafe } from '../errors';

interface ValidationErrorLike {
  property: string;
  constraints?: Record<string, string>;
  children?: ValidationErrorLike[];
}

function fieldMessages(errors: ValidationErrorLike[], prefix = '', out: Record<string, string> = {}) {
  for (const e of errors) {
    const path = prefix ? `${prefix}.${e.property}` : e.property;
    if (e.constraints) out[path] = Object.values(e.constraints).join('; ');
    if (e.children?.length) fieldMessages(e.children, path, out);
  }
  return out;
}

/**
 * SECURITY.md E4: a client sees typed codes and messages we wrote; anything else becomes
 * INTERNAL_SERVER_ERROR with the request id, and its cause goes to the log with that id.
 */
export function errorMaskingPlugin(): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ contextValue: ctx, errors }) {
          for (const e of errors) {
            if (!isClientSafe(e.extensions?.code)) {
              ctx.log.error('unexpected error', { error: e.originalError ?? e, path: e.path?.join('.') });
            }
          }
        },
        async willSendResponse({ contextValue: ctx, response }) {
          if (response.body.kind !== 'single' || !response.body.singleResult.errors) return;
          response.body.singleResult.errors = response.body.singleResult.errors.map((e): GraphQLFormattedError => {
            const code = e.extensions?.code;
            if (!isClientSafe(code)) {
              return { message: 'Internal server error', path: e.path, extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: ctx.requestId } };
            }
            const validationErrors = e.extensions?.validationErrors as ValidationErrorLike[] | undefined;
            if (validationErrors) {
              return { message: 'Invalid input', path: e.path, locations: e.locations, extensions: { code, fields: fieldMessages(validationErrors) } };
            }
            return e;
          });
        },
      };
    },
  };
}
