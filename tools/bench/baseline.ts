/**
 * The baseline the full stack is compared with: the same GraphQL answer, served by Apollo Server 5
 * over express 5, but with a schema written directly against `graphql` (no type-graphql, no shield,
 * no armor, no helmet), no authentication, no transaction, and ONE raw `pg` statement per request.
 *
 * That statement reads the page (tickets joined twice to users) and the total in the same round
 * trip: the total is an uncorrelated scalar subquery (`(select count(*) ...)`), which PostgreSQL
 * runs once per statement as an InitPlan. `count(*) over ()` was not used: it makes the database
 * join and sort every ticket of the tenant before the LIMIT.
 */
import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import {
  GraphQLEnumType,
  GraphQLID,
  GraphQLInputObjectType,
  GraphQLInt,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  type GraphQLNullableType,
  GraphQLSchema,
  GraphQLString,
} from 'graphql';
import { GraphQLDateTimeISO } from 'graphql-scalars';
import type { Server } from 'node:http';
import { Pool } from 'pg';

/** GraphQL enum with the same names and values as the full stack's (type-graphql) enums. */
const enumOf = (name: string, values: string[]) =>
  new GraphQLEnumType({ name, values: Object.fromEntries(values.map((v) => [v.toUpperCase(), { value: v }])) });

const nn = <T extends GraphQLNullableType>(t: T) => new GraphQLNonNull(t);

const UserSummary = new GraphQLObjectType({
  name: 'UserSummary',
  fields: { id: { type: nn(GraphQLID) }, name: { type: nn(GraphQLString) }, email: { type: nn(GraphQLString) } },
});

const Ticket = new GraphQLObjectType({
  name: 'Ticket',
  fields: {
    id: { type: nn(GraphQLID) },
    subject: { type: nn(GraphQLString) },
    status: { type: nn(enumOf('TicketStatus', ['new', 'open', 'pending', 'solved', 'closed'])) },
    priority: { type: nn(enumOf('TicketPriority', ['low', 'normal', 'high', 'urgent'])) },
    createdAt: { type: nn(GraphQLDateTimeISO) },
    requester: { type: nn(UserSummary) },
    assignee: { type: UserSummary },
  },
});

const TicketPage = new GraphQLObjectType({
  name: 'TicketPage',
  fields: { totalCount: { type: nn(GraphQLInt) }, nodes: { type: nn(new GraphQLList(nn(Ticket))) } },
});

const PageInput = new GraphQLInputObjectType({
  name: 'PageInput',
  fields: { offset: { type: nn(GraphQLInt), defaultValue: 0 }, limit: { type: nn(GraphQLInt), defaultValue: 25 } },
});

interface Row {
  id: string;
  subject: string;
  status: string;
  priority: string;
  created_at: Date;
  r_id: string;
  r_name: string;
  r_email: string;
  a_id: string | null;
  a_name: string | null;
  a_email: string | null;
  total: string;
}

/** The one statement per request. Same order as the full stack: created_at desc, id desc. */
export const BASELINE_SQL = `
select t.id, t.subject, t.status, t.priority, t.created_at,
       r.id as r_id, r.name as r_name, r.email as r_email,
       a.id as a_id, a.name as a_name, a.email as a_email,
       (select count(*) from tickets c where c.tenant_id = $1) as total
from tickets t
join users r on r.tenant_id = t.tenant_id and r.id = t.requester_id
left join users a on a.tenant_id = t.tenant_id and a.id = t.assignee_id
where t.tenant_id = $1
order by t.created_at desc, t.id desc
limit $2 offset $3`;

/**
 * The "round-trip" variant (`/graphql-trx`, main.ts `--trx-baseline`): the same answer with the
 * full stack's statement pattern, still raw `pg` and no framework: BEGIN, a set_config standing in
 * for the session lookup, the page, the count, the people of the page, COMMIT, one after another
 * on one pooled connection. Comparing it with the one-statement baseline shows what the round
 * trips cost on their own; comparing the full stack with it shows the framework's share.
 */
const PAGE_SQL = `
select t.id, t.subject, t.status, t.priority, t.created_at, t.requester_id, t.assignee_id
from tickets t where t.tenant_id = $1
order by t.created_at desc, t.id desc
limit $2 offset $3`;

export interface Baseline {
  url: string;
  /** Same answer with six statements per request (see PAGE_SQL). */
  trxUrl: string;
  /** Statements sent to PostgreSQL so far (for the statements-per-request check). */
  statements(): number;
  close(): Promise<void>;
}

/**
 * `databaseUrl` is the owner's (the DATABASE_URL user). RLS on tickets and users is FORCED, so a
 * non-superuser owner sees only the tenant in `app.tenant_id`: each connection sets it once at
 * start-up (a libpq `options` parameter, no extra statement). A superuser bypasses RLS anyway;
 * the explicit `tenant_id = $1` keeps the answer to that one tenant either way. The pool serves
 * only this benchmark tenant, so a session-level setting cannot leak to anyone.
 */
export async function startBaseline(databaseUrl: string, tenantId: string, poolMax = 10): Promise<Baseline> {
  if (!/^[0-9a-f-]{36}$/.test(tenantId)) throw new Error('tenant id must be a uuid');
  const pool = new Pool({ connectionString: databaseUrl, max: poolMax, options: `-c app.tenant_id=${tenantId}` });
  let statements = 0;

  const sixStatements = async (limit: number, offset: number) => {
    const client = await pool.connect();
    const q = <R extends object>(sql: string, params: unknown[] = []) => {
      statements++;
      return client.query<R>(sql, params);
    };
    try {
      await q('begin');
      await q(`select set_config('app.tenant_id', $1, true)`, [tenantId]);
      const page = await q<{ id: string; subject: string; status: string; priority: string; created_at: Date; requester_id: string; assignee_id: string | null }>(
        PAGE_SQL,
        [tenantId, limit, offset],
      );
      const count = await q<{ n: string }>('select count(*) as n from tickets where tenant_id = $1', [tenantId]);
      const ids = [...new Set(page.rows.flatMap((r) => (r.assignee_id ? [r.requester_id, r.assignee_id] : [r.requester_id])))];
      const users = await q<{ id: string; name: string; email: string }>(
        'select id, name, email from users where tenant_id = $1 and id = any($2::uuid[])',
        [tenantId, ids],
      );
      await q('commit');
      const byId = new Map(users.rows.map((u) => [u.id, u]));
      return {
        totalCount: Number(count.rows[0].n),
        nodes: page.rows.map((r) => ({
          id: r.id,
          subject: r.subject,
          status: r.status,
          priority: r.priority,
          createdAt: r.created_at,
          requester: byId.get(r.requester_id),
          assignee: r.assignee_id ? byId.get(r.assignee_id) : null,
        })),
      };
    } catch (e) {
      await client.query('rollback').catch(() => undefined);
      throw e;
    } finally {
      client.release();
    }
  };

  const schema = new GraphQLSchema({
    query: new GraphQLObjectType({
      name: 'Query',
      fields: {
        tickets: {
          type: nn(TicketPage),
          args: { page: { type: PageInput } },
          resolve: async (_root, args: { page?: { limit: number; offset: number } }, ctx: { trx: boolean }) => {
            const limit = Math.min(100, Math.max(1, args.page?.limit ?? 25));
            const offset = Math.max(0, args.page?.offset ?? 0);
            if (ctx.trx) return sixStatements(limit, offset);
            statements++;
            const { rows } = await pool.query<Row>(BASELINE_SQL, [tenantId, limit, offset]);
            return {
              // With an empty page there is no row to carry the total; offset 0 means there are no tickets.
              totalCount: rows.length ? Number(rows[0].total) : 0,
              nodes: rows.map((r) => ({
                id: r.id,
                subject: r.subject,
                status: r.status,
                priority: r.priority,
                createdAt: r.created_at,
                requester: { id: r.r_id, name: r.r_name, email: r.r_email },
                assignee: r.a_id ? { id: r.a_id, name: r.a_name, email: r.a_email } : null,
              })),
            };
          },
        },
      },
    }),
  });

  const apollo = new ApolloServer<{ trx: boolean }>({
    schema,
    introspection: false,
    includeStacktraceInErrorResponses: false,
    allowBatchedHttpRequests: false,
    csrfPrevention: true,
  });
  await apollo.start();
  const app = express();
  app.disable('x-powered-by');
  app.post('/graphql', express.json({ limit: '100kb' }), expressMiddleware(apollo, { context: async () => ({ trx: false }) }));
  app.post('/graphql-trx', express.json({ limit: '100kb' }), expressMiddleware(apollo, { context: async () => ({ trx: true }) }));
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s)).once('error', reject);
  });
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    trxUrl: `http://127.0.0.1:${port}/graphql-trx`,
    statements: () => statements,
    async close() {
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeIdleConnections();
      await closed;
      await apollo.stop();
      await pool.end();
    },
  };
}
