import { errorSentence, fieldMessagesInWords, nestFieldErrors } from './field-errors';

/**
 * The console's one way to the API: POST /graphql with the session cookie (never a token in
 * browser storage). Errors keep their code so the auth provider can tell "signed out" apart.
 */
export class GraphQLRequestError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly status: number,
    readonly fields?: Record<string, string>,
    /** The server's own sentence, without the field details `message` appends. */
    readonly serverMessage: string = message,
    /** Why, when the code alone does not say (`sso_required` on a password sign-in). */
    readonly reason?: string,
  ) {
    super(message);
    // react-admin's forms show `body.errors` under their inputs and `root.serverError` as the
    // notice (a refused save through the data provider): each field's note in words, on its field.
    if ((code === 'BAD_USER_INPUT' || code === 'CONFLICT') && fields && Object.keys(fields).length) {
      this.body = { errors: { ...nestFieldErrors(this.fieldMessages), root: { serverError: this.summary } } };
    }
  }

  /** Set for refused fields only: react-admin reads it (an own `body` with `errors`). */
  readonly body?: { errors: Record<string, unknown> };

  /**
   * The notice beside a form whose fields show their own notes: the server's sentence, or for bare
   * input validation ("Invalid input") a pointer to the notes. Without fields, `message`.
   */
  get summary(): string {
    if (!this.fields || !Object.keys(this.fields).length) return this.message;
    return this.serverMessage === 'Invalid input' ? 'Some fields need a change: see the notes under them.' : this.serverMessage;
  }

  /** Each refused field's note in words, keyed as forms name their inputs (field-errors.ts). */
  get fieldMessages(): Record<string, string> {
    return fieldMessagesInWords(this.fields, this.serverMessage);
  }
}

export async function gql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const res = await fetch('/graphql', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  let body: { data?: T; errors?: { message: string; extensions?: { code?: string; fields?: Record<string, string>; reason?: string; requestId?: string } }[] };
  try {
    body = await res.json();
  } catch {
    throw new GraphQLRequestError(`Bulwark could not be reached (the server answered ${res.status}). Try again in a moment.`, undefined, res.status);
  }
  if (body.errors?.length) {
    const [e] = body.errors;
    // The server masks its own faults as "Internal server error"; said for a person, with the
    // reference an administrator finds in the log.
    if (e.extensions?.code === 'INTERNAL_SERVER_ERROR') {
      const ref = e.extensions.requestId ? ` (reference ${e.extensions.requestId})` : '';
      throw new GraphQLRequestError(`Something went wrong on our side. Try again in a moment${ref}.`, e.extensions.code, res.status);
    }
    const fields = e.extensions?.fields;
    const reason = typeof e.extensions?.reason === 'string' ? e.extensions.reason : undefined;
    // A notice shows `message`: the server's sentence, and the fields' notes in words (never their codes).
    throw new GraphQLRequestError(errorSentence(e.message, fieldMessagesInWords(fields, e.message)), e.extensions?.code, e.extensions?.code === 'UNAUTHENTICATED' ? 401 : res.status, fields, e.message, reason);
  }
  return body.data as T;
}
