/**
 * The benchmark tenant: one owner, `agents` agents, `requesters` requesters, a session for the
 * first agent (its bearer token is what the load generator sends), and `tickets` tickets spread so
 * that every page of 50 names many distinct people (50 requesters in a row, 10 assignees, one
 * ticket in ten unassigned).
 */
import type { BulwarkServer } from '@bulwark/platform-api';
import { withSystemContext } from '@bulwark/platform-api';
import { createTenant, createUser, hashPassword, newSessionToken, Session, type User } from '@bulwark/identity-api';
import { randomBytes, randomUUID } from 'node:crypto';
import { DEMO_SUBJECTS as SUBJECTS } from '../../libs/tickets/api/src/demo.seed';

export interface SeedOptions {
  tickets: number;
  requesters: number;
  agents: number;
  progress: (msg: string) => void;
  /**
   * `--scenario login-load`: this many more agents (`login01@bench.test`, ...) who sign in with
   * `password`, hashed like any real account: the server's pepper and its bcrypt cost (12), so
   * each sign-in costs one full-cost compare and needs no rehash. Created after the tickets, so
   * the ticket seed (and the ticket list) stays the same.
   */
  login?: { users: number; password: string };
}

export interface Seeded {
  tenantId: string;
  token: string;
  users: number;
  loginEmails: string[];
}


/*
 * One INSERT ... SELECT generate_series, run as the server's runtime role inside the system
 * context's transaction: the tenant is set there (set_config), so RLS (forced on tickets) accepts
 * exactly these rows, and `bulwark_tenant_id()` fills tenant_id. People come from the users table,
 * which RLS also limits to this tenant. Ticket g is created g minutes ago, so the newest-first
 * order is g = 1, 2, 3, ... and consecutive tickets have consecutive requesters.
 */
// Constants only, quoted for SQL (knex would expand an array binding into a list, not an array).
const SUBJECTS_SQL = `array[${SUBJECTS.map((s) => `'${s.replace(/'/g, "''")}'`).join(', ')}]`;

const INSERT_TICKETS = `
with r as (select array_agg(id order by email) as ids from users where role = 'requester'),
     a as (select array_agg(id order by email) as ids from users where role = 'agent')
insert into tickets (id, tenant_id, subject, body, status, priority, channel, requester_id, assignee_id, created_at, updated_at)
select gen_random_uuid(), bulwark_tenant_id(),
       'Ticket ' || g || ': ' || (${SUBJECTS_SQL})[1 + g % ${SUBJECTS.length}],
       repeat('Details of the request, as the requester wrote them. ', 4),
       (array['new','open','pending','solved','closed'])[1 + g % 5],
       (array['low','normal','high','urgent'])[1 + (g * 3) % 4],
       (array['email','web','phone','mobile','api'])[1 + g % 5],
       r.ids[1 + g % array_length(r.ids, 1)],
       case when g % 10 = 0 then null else a.ids[1 + (g * 7) % array_length(a.ids, 1)] end,
       now() - g * interval '1 minute',
       now() - g * interval '1 minute'
from generate_series(1, ?) as g, r, a`;

export async function seedBenchTenant(server: BulwarkServer, opts: SeedOptions): Promise<Seeded> {
  const { orm, app } = server;
  const tenantId = randomUUID();
  // Nobody signs in with a password here; a cheap bcrypt cost keeps seeding fast.
  const passwordHash = await hashPassword(app.config.passwordPepper, randomBytes(16).toString('base64'), 4);
  return withSystemContext(orm, app, tenantId, 'benchmark seed', async (ctx) => {
    opts.progress(`seeding tenant "bench" with ${opts.agents} agents and ${opts.requesters} requesters`);
    await createTenant(ctx, { slug: 'bench', name: 'Benchmark tenant', adminEmail: 'owner@bench.test', adminPasswordHash: passwordHash });
    const agents: User[] = [];
    for (let i = 0; i < opts.agents; i++) {
      const n = String(i + 1).padStart(2, '0');
      agents.push(await createUser(ctx, { email: `agent${n}@bench.test`, name: `Agent ${n}`, role: 'agent', passwordHash }));
    }
    for (let i = 0; i < opts.requesters; i++) {
      const n = String(i + 1).padStart(3, '0');
      await createUser(ctx, { email: `requester${n}@bench.test`, name: `Requester ${n}`, role: 'requester', passwordHash });
    }
    // The bearer token of the first agent (agents see every ticket), as testing.ts's personas do.
    const { token, hash } = newSessionToken(tenantId);
    const now = ctx.app.now();
    ctx.em.create(Session, { user: agents[0], tokenHash: hash, createdAt: now, lastSeenAt: now, expiresAt: new Date(now.getTime() + 12 * 3600_000) });
    await ctx.em.flush();

    opts.progress(`seeding ${opts.tickets} tickets`);
    await ctx.em
      .getConnection()
      .execute(INSERT_TICKETS, [opts.tickets], 'run', ctx.em.getTransactionContext());

    const loginEmails: string[] = [];
    if (opts.login?.users) {
      const { passwordPepper, bcryptCost } = app.config;
      opts.progress(`seeding ${opts.login.users} sign-in users (bcrypt cost ${bcryptCost}, the server's pepper)`);
      // One hash each, made the way the server makes them (identity's hashPassword).
      const hashes = await Promise.all(
        Array.from({ length: opts.login.users }, () => hashPassword(passwordPepper, opts.login!.password, bcryptCost)),
      );
      for (let i = 0; i < hashes.length; i++) {
        const n = String(i + 1).padStart(2, '0');
        const email = `login${n}@bench.test`;
        await createUser(ctx, { email, name: `Login ${n}`, role: 'agent', passwordHash: hashes[i] });
        loginEmails.push(email);
      }
      await ctx.em.flush();
    }
    return { tenantId, token, users: 1 + opts.agents + opts.requesters + loginEmails.length, loginEmails };
  });
}
