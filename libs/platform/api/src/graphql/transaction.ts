import type { ApolloServerPlugin, GraphQLResponse } from '@apollo/server';
import { types } from 'node:util';
import { GraphQLError, visit, type DocumentNode, type GraphQLResolveInfo } from 'graphql';
import { runAfterCommit, type RequestContext } from '../context';
import type { Authenticator, OperationGate, OperationInfo, OperationMeter, RequestGuard } from '../plugin';
import { commitOperation, setTenant } from '../tenancy';
import { AppError, badInput, badRequest, conflict, serviceUnavailable } from '../errors';
import { ForeignKeyConstraintViolationException, UniqueConstraintViolationException } from '@mikro-orm/core';
import { abandonConnection, OUTAGE_RETRY_AFTER_SECONDS, type DatabaseHealth } from '../db/outage';
import { badText } from '../http/input';
import { finalizeAnswer } from './errors.plugin';
import { auditDenials, auditMark, auditRollback } from '../audit';
import { rootFieldNames } from './selection';

/**
 * One transaction per GraphQL operation (DESIGN.md "One request, end to end"): it begins once
 * the operation has parsed and validated, authenticates inside it (so the session lookup runs
 * under RLS), and commits when the response is ready. A failed commit replaces the response: a
 * client never sees data that was not stored.
 */
export function operationTransactionPlugin(
  authenticator: Authenticator,
  guards: RequestGuard[],
  gates: OperationGate[],
  meters: OperationMeter[],
  deadlines: { operationTimeoutMs: number; health: DatabaseHealth; exempt: ReadonlySet<string> },
): ApolloServerPlugin<RequestContext> {
  // What an operation holds (gate places, a deadline timer, a transaction), for Apollo's last-resort
  // path, on which willSendResponse never runs.
  const holding = new WeakMap<RequestContext, () => Promise<void>>();
  return {
    async unexpectedErrorProcessingRequest({ requestContext }) {
      await holding.get(requestContext.contextValue)?.();
    },
    async requestDidStart({ contextValue }) {
      const releases: (() => void)[] = [];
      // G7: the whole operation has a deadline, whatever the database does (see OperationDeadline).
      const deadline = new OperationDeadline(Date.now() + deadlines.operationTimeoutMs);
      holding.set(contextValue, async () => {
        deadline.disarm();
        for (const release of releases.splice(0)) release();
        if (contextValue.em?.isInTransaction()) await contextValue.em.rollback().catch(() => undefined);
      });
      return {
        async didResolveOperation({ contextValue: ctx, operation, document, request, schema }) {
          ctx.operation = operation?.operation;
          if (ctx.http) ctx.http.operationContext = ctx;
          // Subscriptions are not offered; graphql-js would only fail at execution, as a server error.
          if (operation?.operation === 'subscription') throw badRequest('Subscriptions are not supported by this API');
          // Variables were checked at the HTTP edge (http/input.ts); string literals are checked here.
          const wrongText = documentBadText(document);
          if (wrongText) throw badInput(wrongText);
          const info: OperationInfo = {
            type: operation?.operation ?? 'query',
            fields: operation ? rootFieldNames(operation, document) : [],
            request: operation ? { schema, document, operation, variables: request.variables ?? {} } : undefined,
          };
          // Gates first: an operation that must wait does so before it holds a connection.
          for (const gate of gates) {
            const release = await gate.enter(ctx, info);
            if (release) releases.push(release);
          }
          // Operations that do their work in transactions of their own (a restore) are not cut off:
          // the deadline could not stop that work, only misreport it (see OperationTraits.deadlineExempt).
          if (!info.fields.every((f) => deadlines.exempt.has(f))) {
            if (deadline.passed()) throw serviceUnavailable(OUTAGE_RETRY_AFTER_SECONDS);
            deadline.arm(ctx);
          }
          try {
            await ctx.em.begin();
            await authenticator.authenticate(ctx);
          } catch (error) {
            if (ctx.deadlinePassed) throw serviceUnavailable(OUTAGE_RETRY_AFTER_SECONDS);
            if (!deadlines.health.explains(error)) throw error;
            deadlines.health.failed(error);
            throw serviceUnavailable(OUTAGE_RETRY_AFTER_SECONDS);
          }
          // Meters after authentication (their keys name the principal), before the guards.
          for (const meter of meters) await meter.charge(ctx, info);
          for (const guard of guards) await guard.check(ctx, info);
        },
        async willSendResponse({ contextValue: ctx, response }) {
          try {
            await finish(ctx, response, deadline, deadlines.health);
          } finally {
            deadline.disarm();
            for (const release of releases.splice(0)) release();
          }
        },
      };
    },
  };
}

/**
 * An operation's deadline. When it passes, the operation's connection is abandoned (every
 * statement still waiting on it fails at once) and finish() rolls back and answers 503: an
 * operation is never committed after its answer. A COMMIT already sent when the deadline passes
 * cannot be called back; its answer then says the outcome is unknown.
 */
class OperationDeadline {
  expired = false;
  /** COMMIT is on its way; if it fails (or the deadline abandons it), it may or may not have applied. */
  committing = false;
  readonly startedAt = Date.now();
  private timer?: NodeJS.Timeout;

  constructor(private readonly at: number) {}

  passed(): boolean {
    return Date.now() >= this.at;
  }

  arm(ctx: RequestContext): void {
    this.timer = setTimeout(() => {
      this.expired = true;
      ctx.deadlinePassed = true;
      void abandonConnection(ctx.em);
    }, Math.max(0, this.at - Date.now()));
    this.timer.unref();
  }

  disarm(): void {
    clearTimeout(this.timer);
  }
}

function documentBadText(document: DocumentNode): string | null {
  let found: string | null = null;
  visit(document, {
    StringValue(node) {
      found ??= badText(node.value);
    },
  });
  return found;
}

/**
 * Commits the operation. A failed commit replaces the response: 503 when the database could not
 * be reached in time (the operation's deadline included), else a masked server error.
 */
async function finish(ctx: RequestContext, response: GraphQLResponse, deadline: OperationDeadline, health: DatabaseHealth): Promise<void> {
  if (!ctx.em?.isInTransaction()) return;
  try {
    if (response.body.kind === 'single' && response.body.singleResult.errors) auditDenials(ctx, response.body.singleResult.errors);
    if (deadline.expired) throw new Error('operation deadline passed');
    await commitOperation(ctx, () => {
      if (deadline.expired) throw new Error('operation deadline passed');
      deadline.committing = true;
    });
    deadline.committing = false;
    health.ok(deadline.startedAt);
    for (const set of ctx.http?.pendingCookies.splice(0) ?? []) set();
    // Not awaited: the response does not wait for mail; errors are logged by runAfterCommit.
    void runAfterCommit(ctx);
  } catch (error) {
    // Past its deadline, what failed is the abandoned connection: the operation was too slow,
    // whether or not the database is away (other operations' own errors tell that).
    const unavailable = deadline.expired || health.explains(error);
    if (deadline.expired) ctx.log.warn('operation passed its deadline: rolled back, answered 503', { operation: ctx.operation, inDoubt: deadline.committing });
    else if (unavailable) health.failed(error);
    else ctx.log.error('commit failed', { error });
    // An abandoned connection fails this at once; otherwise it ends the transaction cleanly.
    await ctx.em.rollback().catch(() => undefined);
    if (response.body.kind === 'single') {
      // No `data`: nothing of this operation stands (unless a COMMIT in doubt did), and the answer
      // is a server error: 503 with Retry-After when the database is the cause, else 500.
      const answer = unavailable
        ? serviceUnavailable(OUTAGE_RETRY_AFTER_SECONDS, deadline.committing ? { outcome: 'unknown' } : {})
        : new GraphQLError('Internal server error', { extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: ctx.requestId } });
      response.body.singleResult = { errors: [answer.toJSON()] };
      finalizeAnswer(response, ctx.requestId);
    }
  }
}

let savepointSeq = 0;

/**
 * Each mutation field runs in a savepoint and is flushed before the next one starts, so a failing
 * field leaves nothing behind while the fields before it stay committed (GraphQL runs mutation
 * fields one after another). Services therefore never flush or commit themselves.
 */
export async function mutationSavepoint(
  resolve: (root: unknown, args: unknown, ctx: RequestContext, info: GraphQLResolveInfo) => Promise<unknown>,
  root: unknown,
  args: unknown,
  ctx: RequestContext,
  info: GraphQLResolveInfo,
): Promise<unknown> {
  const conn = ctx.em.getConnection();
  const trx = ctx.em.getTransactionContext();
  const name = `bw_m${++savepointSeq}`;
  const queued = ctx.afterCommit?.length ?? 0; // after-commit work of earlier fields stays
  const cookies = ctx.http?.pendingCookies.length ?? 0; // and so do their cookies
  const audited = auditMark(ctx);
  // The connection can die right here too (the database killed): its error, made in another
  // realm under Jest, goes through localError like the field's own, or shield would hand it to
  // graphql-js as the field's value (a "null" id, logged as an unexpected error: outage.e2e).
  await conn.execute(`savepoint ${name}`, [], 'run', trx).catch((e: unknown) => {
    throw localError(e);
  });
  try {
    const result = await resolve(root, args, ctx, info);
    // graphql-shield hands a resolver's error back as its value; one made in another realm would
    // then read as the field's data (see localError), so it is thrown here as the failure it is.
    if (types.isNativeError(result)) throw result;
    await ctx.em.flush(); // changes of audited entities are captured here, written before commit
    await conn.execute(`release savepoint ${name}`, [], 'run', trx);
    return result;
  } catch (error) {
    // Cleaning up can fail too (the connection died): then that error is the field's.
    const failure = await undoField(ctx, error, { name, queued, cookies, audited }).then(
      () => error,
      (next: unknown) => next,
    );
    throw localError(raced(ctx, failure));
  }
}

/**
 * Services check every id they are given and every name that must be unique, so a key refusing a
 * change means another operation changed the same records meanwhile: a foreign key, that what it
 * refers to was removed (a group deleted while a ticket is put in it); a unique key, that the same
 * thing was just made (two "new requester" tickets for one address, two views of one name). The
 * client's answer is a conflict to retry, not a server error. Logged, in case it is not a race.
 */
function raced(ctx: RequestContext, error: unknown): unknown {
  const removed = error instanceof ForeignKeyConstraintViolationException;
  if (!removed && !(error instanceof UniqueConstraintViolationException)) return error;
  const constraint = (error as { constraint?: string }).constraint;
  ctx.log.warn(removed ? 'a change referred to a record removed meanwhile' : 'a change made what another made meanwhile', { operation: ctx.operation, constraint });
  return conflict(
    removed
      ? 'Something this change refers to was removed in the meantime: reload and try again'
      : 'Someone else just made the same change: reload and try again',
  );
}

/** Ends a failed mutation field's savepoint: kept (a failed sign-in's counter) or rolled back. */
async function undoField(ctx: RequestContext, error: unknown, mark: { name: string; queued: number; cookies: number; audited: ReturnType<typeof auditMark> }) {
  const conn = ctx.em.getConnection();
  const trx = ctx.em.getTransactionContext();
  ctx.afterCommit?.splice(mark.queued); // a failing field's own after-commit work is dropped
  ctx.http?.pendingCookies.splice(mark.cookies);
  if (error instanceof AppError && error.keepChanges) {
    await ctx.em.flush(); // a failed sign-in keeps its counter and its event
    await conn.execute(`release savepoint ${mark.name}`, [], 'run', trx);
    return;
  }
  await conn.execute(`rollback to savepoint ${mark.name}`, [], 'run', trx);
  // The rollback also undid a tenant the field entered (sign-in): set it again, so the events
  // that outlive the field (failed attempts) are written where ctx says they belong.
  if (ctx.tenantId) await setTenant(ctx.em, ctx.tenantId);
  auditRollback(ctx, mark.audited);
  ctx.em.clear(); // forget entities changed by the failed field; the database forgot them too
}

/**
 * An error graphql-js and graphql-shield recognise (they test `instanceof Error`). An error made
 * in another realm fails that test: Node's own socket errors inside Jest's module sandbox. Shield
 * then hands it to graphql-js as if it were the field's value, which reads as null fields.
 */
function localError(error: unknown): unknown {
  if (error instanceof Error || !types.isNativeError(error)) return error;
  return Object.assign(new Error(error.message, { cause: error }), { code: (error as { code?: unknown }).code });
}
