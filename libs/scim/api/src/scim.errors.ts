import { AppError } from '@bulwark/platform-api';

export const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

/** RFC 7644 §3.12's `scimType` values this server answers with. */
export type ScimType = 'invalidFilter' | 'invalidSyntax' | 'invalidPath' | 'invalidValue' | 'noTarget' | 'uniqueness' | 'mutability' | 'tooMany';

/** A refusal in SCIM's terms: an HTTP status, a `scimType` where one fits, a sentence. */
export class ScimError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly scimType?: ScimType,
  ) {
    super(detail);
  }

  get body() {
    return { schemas: [ERROR_SCHEMA], status: String(this.status), ...(this.scimType ? { scimType: this.scimType } : {}), detail: this.detail };
  }
}

export const invalidValue = (detail: string) => new ScimError(400, detail, 'invalidValue');
export const invalidSyntax = (detail: string) => new ScimError(400, detail, 'invalidSyntax');
export const invalidFilter = (detail: string) => new ScimError(400, detail, 'invalidFilter');
export const invalidPath = (detail: string) => new ScimError(400, detail, 'invalidPath');
export const noTarget = (detail: string) => new ScimError(400, detail, 'noTarget');
export const uniqueness = (detail: string) => new ScimError(409, detail, 'uniqueness');
export const notFound = (what: 'User' | 'Group' | 'Resource') => new ScimError(404, `${what} not found`);
export const forbidden = (detail: string) => new ScimError(403, detail);

/**
 * A refusal from the features SCIM calls (tickets' groups, identity) in SCIM's terms. "Not found"
 * and "not yours" are one answer (D2): another tenant's id is a 404 like an unknown one.
 */
export function fromAppError(e: AppError): ScimError | null {
  switch (e.code) {
    case 'NOT_FOUND':
      return new ScimError(404, e.message);
    case 'BAD_USER_INPUT':
      return invalidValue(e.message);
    case 'CONFLICT':
      return uniqueness(e.message);
    case 'FORBIDDEN':
    case 'LOCKDOWN':
      return new ScimError(403, e.message);
    case 'UNAUTHENTICATED':
      return new ScimError(401, e.message);
    case 'RATE_LIMITED':
      return new ScimError(429, e.message);
    default:
      return null;
  }
}
