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
import { Client } from 'pg';
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
  /**
   * `--scenario search` (issue 20): tickets written as people write them instead of one repeated
   * sentence: bodies of 20-100 words drawn from a help-desk vocabulary (skewed, so some words are
   * everywhere and most are rare), a quarter with formatting (`body_html`), 0-3 tags, a tenth with
   * a copied address, and 1-4 comments each (replies from both sides, some internal notes). Two
   * planted words give searches of a known size: a system name in the body (each of 400 names in
   * 1 ticket in 400) and a reference code in the first reply (each of 20,000 codes in 1 in 20,000).
   * Off for the other scenarios, so their ticket list stays what their figures were measured on.
   */
  content?: { ownerUrl: string };
}

/** What a search scenario looks for: a word matching a few hundred tickets and one matching few. */
export interface SearchWords {
  many: string;
  few: string;
}

export interface Seeded {
  tenantId: string;
  token: string;
  users: number;
  loginEmails: string[];
  /** With `content`: the planted words, and the comments seeded. */
  search?: SearchWords & { comments: number };
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

/** Ticket g's status, priority, channel, requester, assignee and times (both seeds). */
const BY_G = `(array['new','open','pending','solved','closed'])[1 + g % 5],
       (array['low','normal','high','urgent'])[1 + (g * 3) % 4],
       (array['email','web','phone','mobile','api'])[1 + g % 5],
       r.ids[1 + g % array_length(r.ids, 1)],
       case when g % 10 = 0 then null else a.ids[1 + (g * 7) % array_length(a.ids, 1)] end,
       now() - g * interval '1 minute',
       now() - g * interval '1 minute'`;

const INSERT_TICKETS = `
with r as (select array_agg(id order by email) as ids from users where role = 'requester'),
     a as (select array_agg(id order by email) as ids from users where role = 'agent')
insert into tickets (id, tenant_id, subject, body, status, priority, channel, requester_id, assignee_id, created_at, updated_at)
select gen_random_uuid(), bulwark_tenant_id(),
       'Ticket ' || g || ': ' || (${SUBJECTS_SQL})[1 + g % ${SUBJECTS.length}],
       repeat('Details of the request, as the requester wrote them. ', 4),
       ${BY_G}
from generate_series(1, ?) as g, r, a`;

// ------------------------------------------------------------------------ realistic content (search)

/** Words of help-desk mail, most common first (the draw below favours the start of the list). */
const WORDS = (
  'the to and a of is it i we in on for not this that with my our have please can you be from after ' +
  'when are but at again since all any was there again now error working issue problem help thanks ' +
  'access login password account email laptop printer screen network connection server update ' +
  'today yesterday morning still cannot unable could would should need needs new old team office ' +
  'user users customer client invoice billing payment order report reports file files folder share ' +
  'drive backup restore install installed software version window windows browser chrome firefox ' +
  'outlook calendar meeting phone mobile app application page button message messages attachment ' +
  'attached screenshot slow fast down offline online restart restarted reboot rebooted reset ' +
  'locked unlock expired expire license licence subscription renewal contract quote request ' +
  'approve approved approval manager department finance payroll onboarding offboarding starter ' +
  'leaver monday tuesday wednesday thursday friday weekend urgent asap deadline tomorrow week month ' +
  'keyboard mouse monitor dock docking charger battery cable headset camera microphone audio video ' +
  'wifi vpn firewall proxy certificate dns domain address port router switch access-point badge ' +
  'door building floor room desk kitchen parking visitor guest vendor supplier shipment delivery ' +
  'tracking warehouse stock inventory sync synchronise duplicate missing wrong broken crash crashes ' +
  'freezes frozen blank spinning timeout timed refused denied permission permissions role admin ' +
  'group mailbox quota full storage space disk memory cpu export import csv spreadsheet excel pdf ' +
  'scan scanner toner paper jam tray colour black white print queue driver firmware patch security ' +
  'phishing suspicious link spam virus malware quarantine blocked allowlist encryption mfa token ' +
  'code sms authenticator recovery device devices tablet iphone android migration cutover rollout ' +
  'pilot training guide documentation steps reproduce happened happens every time sometimes ' +
  'intermittent colleague colleagues everyone nobody somebody anyone regards kind best cheers'
).split(/\s+/);

/** 400 made-up system names (consonant-vowel syllables, six letters each, so none is another's prefix). */
const SYSTEMS = (() => {
  const syllables = [...'bdfgklmnprstvz'].flatMap((c) => [...'aeiou'].map((v) => c + v)); // 70
  // i -> a distinct number below 70^3 (7919 is prime to 343000), written in syllables.
  return Array.from({ length: 400 }, (_, i) => {
    const k = (i * 7919 + 12345) % 343000;
    return syllables[k % 70] + syllables[Math.floor(k / 70) % 70] + syllables[Math.floor(k / 4900)];
  });
})();

const TAGS = ['vpn', 'billing', 'hardware', 'vip', 'onboarding', 'printer', 'email', 'access', 'security', 'network', 'laptop', 'licence', 'payroll', 'phishing', 'mobile', 'backup', 'office-move', 'escalated', 'waiting-vendor', 'how-to'];

const sqlArray = (xs: readonly string[]) => `array[${xs.map((s) => `'${s.replace(/'/g, "''")}'`).join(', ')}]::text[]`;

/** A seeded generator (xorshift32): the same words every run. */
function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

/** A sentence of `n` words of the vocabulary, skewed towards its start (common words are everywhere). */
function sentence(random: () => number, n: number): string {
  const words: string[] = [];
  for (let i = 0; i < n; i++) words.push(WORDS[Math.floor(random() ** 2.5 * WORDS.length)]);
  const text = words.join(' ');
  return text.charAt(0).toUpperCase() + text.slice(1) + '.';
}

const systemOf = (g: number) => SYSTEMS[(g * 7919) % SYSTEMS.length];
const codeOf = (g: number) => `kx${String((g * 104729) % 20000).padStart(5, '0')}`;

/** Tickets `from`..`to` (g = 1 is the newest): bodies, and the comments of each, made here and sent as JSON. */
function contentSlice(random: () => number, from: number, to: number) {
  const tickets: { g: number; body: string }[] = [];
  const comments: { g: number; c: number; body: string }[] = [];
  for (let g = from; g <= to; g++) {
    tickets.push({ g, body: `${sentence(random, 20 + ((g * 37) % 81))} Affected system: ${systemOf(g)}. ${sentence(random, 5 + (g % 20))}` });
    for (let c = 1; c <= 1 + (g % 4); c++) {
      const extra = c === 1 ? ` Reference ${codeOf(g)}.` : c === 2 ? ` Checked ${systemOf(g)} again.` : '';
      comments.push({ g, c, body: sentence(random, 10 + ((g * 13 + c) % 41)) + extra });
    }
  }
  return { tickets, comments };
}

const CONTENT_SLICE = 2000;

const INSERT_CONTENT_TICKETS = `
with r as (select array_agg(id order by email) as ids from users where role = 'requester'),
     a as (select array_agg(id order by email) as ids from users where role = 'agent')
insert into tickets (id, tenant_id, number, subject, body, body_html, tags, cc_emails, status, priority, channel, requester_id, assignee_id, created_at, updated_at)
select gen_random_uuid(), bulwark_tenant_id(), $2::int + g,
       'Ticket ' || g || ': ' || (${SUBJECTS_SQL})[1 + g % ${SUBJECTS.length}],
       b.body,
       case when g % 4 = 0 then '<p>' || replace(b.body, '. ', '.</p><p>') || '</p>' end,
       case g % 4 when 0 then '{}'::text[]
                  when 1 then array[(${sqlArray(TAGS)})[1 + g % ${TAGS.length}]]
                  when 2 then array[(${sqlArray(TAGS)})[1 + g % ${TAGS.length}], (${sqlArray(TAGS)})[1 + (g / 7 + 3) % ${TAGS.length}]]
                  else array[(${sqlArray(TAGS)})[1 + g % ${TAGS.length}], (${sqlArray(TAGS)})[1 + (g / 7 + 3) % ${TAGS.length}], 'escalated'] end,
       case when g % 10 = 0 then array['manager' || (g % 50) || '@bench.test'] else '{}'::text[] end,
       ${BY_G}
from json_to_recordset($1::json) as b(g int, body text), r, a`;

/**
 * 1-4 comments a ticket, by its g (the ticket whose subject starts "Ticket g:", found by its
 * number): the requester's replies and the agent's, the agent's second one an internal note on
 * two tickets in three.
 */
const INSERT_CONTENT_COMMENTS = `
with a as (select array_agg(id order by email) as ids from users where role = 'agent')
insert into ticket_comments (id, tenant_id, ticket_id, author_id, body, public, created_at)
select gen_random_uuid(), bulwark_tenant_id(), t.id,
       case when x.c % 2 = 1 then t.requester_id else coalesce(t.assignee_id, a.ids[1]) end,
       x.body,
       not (x.c = 4 or (x.c = 2 and x.g % 3 <> 0)),
       t.created_at + x.c * interval '5 minutes'
from json_to_recordset($1::json) as x(g int, c int, body text)
join tickets t on t.tenant_id = bulwark_tenant_id() and t.number = $2::int + x.g, a`;

export async function seedBenchTenant(server: BulwarkServer, opts: SeedOptions): Promise<Seeded> {
  const { orm, app } = server;
  const tenantId = randomUUID();
  // Nobody signs in with a password here; a cheap bcrypt cost keeps seeding fast.
  const passwordHash = await hashPassword(app.config.passwordPepper, randomBytes(16).toString('base64'), 4);
  const seeded = await withSystemContext(orm, app, tenantId, 'benchmark seed', async (ctx): Promise<Seeded> => {
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

    if (!opts.content) {
      opts.progress(`seeding ${opts.tickets} tickets`);
      await ctx.em.getConnection().execute(INSERT_TICKETS, [opts.tickets], 'run', ctx.em.getTransactionContext());
    }

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
  if (opts.content) seeded.search = await seedContent(opts.content.ownerUrl, tenantId, opts.tickets, opts.progress);
  return seeded;
}

/**
 * The search scenario's tickets and comments, over the database owner's connection (the server's
 * pool gives every statement 6 s, and a slice that has to fold the GIN indexes' pending lists
 * can take longer on a busy machine), inside the tenant (`bulwark_enter_tenant`, as the migration
 * does), in slices of 2,000 tickets so no statement is huge. One transaction.
 */
async function seedContent(ownerUrl: string, tenantId: string, count: number, progress: (msg: string) => void): Promise<Seeded['search']> {
  progress(`seeding ${count} tickets with bodies, tags and 1-4 comments each`);
  const db = new Client({ connectionString: ownerUrl });
  await db.connect();
  try {
    await db.query('begin');
    await db.query('select bulwark_enter_tenant($1)', [tenantId]);
    const random = prng(2020);
    const last = Number((await db.query<{ last: number | null }>(`select max(number) as last from tickets where tenant_id = bulwark_tenant_id()`)).rows[0].last ?? 1000);
    for (let from = 1; from <= count; from += CONTENT_SLICE) {
      const to = Math.min(count, from + CONTENT_SLICE - 1);
      const { tickets, comments } = contentSlice(random, from, to);
      // Ticket g is number last + g (1000 before the tenant's first). Named here rather than left to
      // the trigger: its counter row would be updated once per ticket inside one transaction, and
      // each update walks the row's growing chain of versions (quadratic: minutes at 100,000).
      await db.query(INSERT_CONTENT_TICKETS, [JSON.stringify(tickets), last]);
      await db.query(INSERT_CONTENT_COMMENTS, [JSON.stringify(comments), last]);
      if (to % 20000 === 0 || to === count) progress(`  ${to} tickets`);
    }
    // The counter goes on from the last number, as the trigger would have left it.
    await db.query(
      `insert into ticket_counters (tenant_id, last_number) values (bulwark_tenant_id(), $1)
       on conflict (tenant_id) do update set last_number = excluded.last_number`,
      [last + count],
    );
    const comments = Number((await db.query<{ n: string }>(`select count(*) as n from ticket_comments where tenant_id = bulwark_tenant_id()`)).rows[0].n);
    await db.query('commit');
    // The newest ticket's (g = 1) system, and the code in its first reply.
    return { many: systemOf(1), few: codeOf(1), comments };
  } catch (e) {
    await db.query('rollback').catch(() => undefined);
    throw e;
  } finally {
    await db.end();
  }
}
