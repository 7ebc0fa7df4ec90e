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
export const conflict = (message: string) => new AppError('CONFLICT', message);
export const rateLimited = (retryAfterSeconds: number) =>
  new AppError('RATE_LIMITED', 'Too many attempts; try again later', { retryAfter: retryAfterSeconds });
export const reauthRequired = () => new AppError('REAUTH_REQUIRED', 'Confirm your password to continue');

/** Codes that graphql-js and Apollo produce for malformed requests; these are safe to show. */
const requestErrorCodes = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'PERSISTED_QUERY_NOT_FOUND',
]);

export function isClientSafe(code: unknown): boolean {
  return typeof code === 'string' && ((ErrorCodes as readonly string[]).includes(code) || requestErrorCodes.has(code));
}
