import { GraphQLError } from 'graphql';

/**
 * The error codes a client can see (DESIGN.md "Errors"). Anything else is masked to
 * INTERNAL_SERVER_ERROR with the request id; the cause goes to the log only.
 */
export const ErrorCodes = [
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'BAD_USER_INPUT',
  'RATE_LIMITED',
  'LOCKDOWN',
  'REAUTH_REQUIRED',
  'CONFLICT',
  'SERVICE_UNAVAILABLE',
  /** The request cannot be run as sent (an operation kind this server does not offer). */
  'BAD_REQUEST',
] as const;
export type ErrorCode = (typeof ErrorCodes)[number];

export class AppError extends GraphQLError {
  /**
   * Keep what the failing mutation wrote (a failed sign-in still counts towards lockout): the
   * mutation's savepoint is released instead of rolled back. Not sent to clients.
   */
  keepChanges = false;

  constructor(
    readonly code: ErrorCode,
    message: string,
    extra: Record<string, unknown> = {},
  ) {
    super(message, { extensions: { ...extra, code } });
  }

  keepingChanges(): this {
    this.keepChanges = true;
    return this;
  }
}

export const unauthenticated = () => new AppError('UNAUTHENTICATED', 'Sign in first');
export const forbidden = () => new AppError('FORBIDDEN', 'Not allowed');
/** "Not found" and "not yours" answer the same (SECURITY.md D2). */
export const notFound = (what: string) => new AppError('NOT_FOUND', `${what} not found`);
export const badInput = (message: string, fields: Record<string, string> = {}) =>
  new AppError('BAD_USER_INPUT', message, { fields });
/** `fields`: the inputs that clash (a name or domain taken), for a form to show the message on. */
export const conflict = (message: string, fields?: Record<string, string>) => new AppError('CONFLICT', message, fields ? { fields } : {});
/** The database cannot be reached in time (G7): try again shortly. */
export const serviceUnavailable = (retryAfterSeconds: number, extra: { outcome?: 'unknown' } = {}) =>
  new AppError(
    'SERVICE_UNAVAILABLE',
    extra.outcome === 'unknown'
      ? 'The service became unavailable while saving: the change may or may not have been saved, so check before trying again'
      : 'The service is briefly unavailable; try again shortly',
    { retryAfter: retryAfterSeconds, ...extra },
  );
export const rateLimited = (retryAfterSeconds: number) =>
  new AppError('RATE_LIMITED', 'Too many attempts; try again later', { retryAfter: retryAfterSeconds });
export const reauthRequired = () => new AppError('REAUTH_REQUIRED', 'Confirm your password to continue');
export const badRequest = (message: string) => new AppError('BAD_REQUEST', message);

/** Codes that graphql-js and Apollo produce for malformed requests; these are safe to show. */
const requestErrorCodes = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'PERSISTED_QUERY_NOT_FOUND',
]);

export function isClientSafe(code: unknown): boolean {
  return typeof code === 'string' && ((ErrorCodes as readonly string[]).includes(code) || requestErrorCodes.has(code));
}

/**
 * graphql-js reports a field argument it cannot coerce (`tickets(first: null)` where `first` is
 * non-null with a default), and variables with more errors than it lists, as a GraphQLError with no
 * code and no cause. It is the client's mistake, so it gets BAD_USER_INPUT rather than being masked
 * as a server error.
 */
const ARGUMENT_ERROR = /^(Argument "[^"]+" (of non-null type|of required type|has invalid value)|Too many errors processing variables)/;

/** The code an error is answered with: its own, BAD_USER_INPUT for argument coercion, else none. */
export function codeOf(error: { message: string; extensions?: Record<string, unknown>; originalError?: unknown }): string | undefined {
  const code = error.extensions?.code;
  if (typeof code === 'string' && code !== 'INTERNAL_SERVER_ERROR') return code;
  // graphql-js's own error (wrapped once with its location), not one a resolver threw.
  const cause = error.originalError;
  const fromGraphqlJs = !cause || (cause instanceof GraphQLError && !cause.originalError);
  if (fromGraphqlJs && ARGUMENT_ERROR.test(error.message)) return 'BAD_USER_INPUT';
  return typeof code === 'string' ? code : undefined;
}

/** Refusals: the operation was understood and said no. Answered 200 like any executed operation. */
const REFUSALS = new Set(['UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND', 'LOCKDOWN', 'REAUTH_REQUIRED', 'CONFLICT']);

/**
 * The HTTP status of an answer (E4, E9): each kind of answer always has the same one, whichever part
 * of the server produced it. An answer whose operation ran (it has `data`) is 200. One that stopped
 * before: a refusal is 200 too, exactly as when a shield rule refuses inside execution; a request
 * the server cannot run as sent is 400; the database being unreachable is 503; anything else is a
 * server error. Too many requests (`RATE_LIMITED`) is always 429, the database being away 503.
 * `explicit` is a 4xx another layer already chose (405 for a GET mutation).
 */
export function httpStatusOf(codes: readonly (string | undefined)[], executed: boolean, explicit?: number): number {
  if (codes.includes('SERVICE_UNAVAILABLE')) return 503;
  // H4: too many requests is 429 (with Retry-After) whoever refused: a rate limit, the sign-in
  // throttle, a full hashing queue. Clients and proxies back off on the status, not on a code.
  if (codes.includes('RATE_LIMITED')) return 429;
  if (executed) return 200;
  if (explicit && explicit >= 400 && explicit < 500) return explicit;
  const first = codes[0];
  if (first && REFUSALS.has(first)) return 200;
  if (first === 'PERSISTED_QUERY_NOT_SUPPORTED' || first === 'PERSISTED_QUERY_NOT_FOUND') return 200; // Apollo's protocol
  if (first && isClientSafe(first)) return 400;
  return 500;
}
