/**
 * SECURITY.md E9, from the schema: a seeded, bounded fuzz over every root field, anonymous and
 * signed in as each kind of person and as an API token. Arguments are made from the schema's own
 * types, well-formed and not (wrong types, nulls, missing and unknown input fields, NUL, lone
 * surrogates, huge and negative numbers, long strings), sent as variables and as literals.
 * Whatever the answer, it is never a 5xx and no client input produces an error-level log line.
 * A new root field is fuzzed without anyone remembering to add it.
 *
 * FUZZ_SEED and FUZZ_ROUNDS (requests per root field and caller) change the run; a failure
 * prints the seed and the request that broke, so it can be replayed.
 */
import { buildApiSchema, composeApi } from '@bulwark/platform-api';
import { startTestServer, type TestServer } from '@bulwark/platform-api/testing';
import { createPersonas, PERSONA_PASSWORD, type TenantPersonas } from '@bulwark/identity-api/testing';
import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLOutputType,
  type GraphQLSchema,
} from 'graphql';
import { apiPlugins } from '@bulwark/composition-api';

jest.setTimeout(300_000);

const SEED = Number(process.env.FUZZ_SEED ?? 20261207);
const ROUNDS = Number(process.env.FUZZ_ROUNDS ?? 6);

/** mulberry32: small, seeded, good enough to pick test values. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let t: TestServer;
let schema: GraphQLSchema;
let tenants: TenantPersonas[] = [];
let apiToken = '';

beforeAll(async () => {
  // The fuzz is about answers, not budgets: budgets out of its reach (the limiter still counts
  // every request; refusing is limits.spec's), so no root field is left unfuzzed behind a 429.
  const unlimited = '1000000000';
  t = await startTestServer(apiPlugins, {
    BULWARK_RATE_LIMIT_USER_MAX: unlimited,
    BULWARK_RATE_LIMIT_TOKEN_MAX: unlimited,
    BULWARK_RATE_LIMIT_TENANT_MAX: unlimited,
    BULWARK_RATE_LIMIT_USER_PER_MINUTE: unlimited,
    BULWARK_RATE_LIMIT_TOKEN_PER_MINUTE: unlimited,
    BULWARK_RATE_LIMIT_TENANT_PER_MINUTE: unlimited,
    BULWARK_RATE_LIMIT_ANONYMOUS_PER_MINUTE: unlimited,
  });
  schema = await buildApiSchema(composeApi(apiPlugins));
});
afterAll(() => t?.close());

class Fuzzer {
  constructor(
    private readonly rand: () => number,
    private readonly ids: string[],
  ) {}

  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.rand() * xs.length)];
  }

  chance(p: number) {
    return this.rand() < p;
  }

  private text(): string {
    return this.pick([
      '',
      'a',
      'ordinary words',
      'x'.repeat(300),
      'y'.repeat(5000),
      'nul\u0000inside',
      'lone\ud800surrogate',
      'emoji 😀 and ünïcödé',
      '<script>alert(1)</script>',
      "' or 1=1 --",
      '%',
      '_',
      '\\',
      'agent@fuzz.test',
      '203.0.113.0/24',
      '2026-12-07T10:00:00.000Z',
      '0 3 * * *',
      '-----BEGIN PGP PUBLIC KEY BLOCK-----',
      this.pick(this.ids),
    ]);
  }

  /** A value for `type`; mostly well-formed, sometimes not. */
  value(type: GraphQLInputType, depth = 0): unknown {
    if (isNonNullType(type)) return this.chance(0.03) ? null : this.value(type.ofType, depth);
    if (this.chance(0.08)) return null;
    if (isListType(type)) {
      if (this.chance(0.05)) return this.value(type.ofType, depth + 1); // a single value where a list goes
      const n = this.chance(0.03) ? 200 : Math.floor(this.rand() * 3);
      return Array.from({ length: n }, () => this.value(type.ofType, depth + 1));
    }
    if (this.chance(0.04)) return this.wrongKind();
    if (isEnumType(type)) return this.chance(0.9) ? this.pick(type.getValues()).name : 'NOT_A_VALUE';
    if (isInputObjectType(type)) {
      if (depth > 4) return {};
      const out: Record<string, unknown> = {};
      for (const f of Object.values(type.getFields())) {
        const required = isNonNullType(f.type) && f.defaultValue === undefined;
        if (required ? this.chance(0.97) : this.chance(0.5)) out[f.name] = this.value(f.type, depth + 1);
      }
      if (this.chance(0.05)) out.unknownField = 'surprise';
      return out;
    }
    if (isScalarType(type)) return this.scalar(type.name);
    return null;
  }

  private wrongKind(): unknown {
    return this.pick([{ nested: { deeper: [1, 2, 3] } }, [1, 'two'], true, 12.5, 'a string', -1]);
  }

  private scalar(name: string): unknown {
    switch (name) {
      case 'ID':
        return this.pick([...this.ids, '00000000-0000-0000-0000-000000000000', 'not-an-id', '', '1', "'; drop table tickets; --"]);
      case 'Int':
        return this.pick([0, 1, -1, 2, 5, 20, 50, 100, 1000, 2147483647, -2147483648, 90, 365]);
      case 'Float':
        return this.pick([0, 1.5, -1, 1e308, -1e308, 3.14]);
      case 'Boolean':
        return this.chance(0.5);
      case 'String':
        return this.text();
      default:
        // Custom scalars (dates, JSON, ...): a plausible string, a number or an object.
        return this.pick([this.text(), '2026-12-07T10:00:00.000Z', 'not a date', 0, { a: 1 }, []]);
    }
  }
}

/** A selection for an output type: __typename and a few fields that take no required arguments. */
function selection(type: GraphQLOutputType, depth = 0): string {
  const named = getNamedType(type);
  if (isLeafType(named)) return '';
  if (!isObjectType(named) || depth > 1) return '{ __typename }';
  const fields = Object.values(named.getFields()).filter((f) => !f.args.some((a) => isNonNullType(a.type) && a.defaultValue === undefined));
  const parts = fields.slice(0, 4).map((f) => `${f.name} ${selection(f.type, depth + 1)}`.trim());
  return `{ __typename ${parts.join(' ')} }`;
}

function literal(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return `[${value.map(literal).join(', ')}]`;
  if (typeof value === 'object') return `{ ${Object.entries(value).map(([k, v]) => `${k}: ${literal(v)}`).join(', ')} }`;
  if (typeof value === 'string') return JSON.stringify(value);
  return String(value);
}

function request(f: Fuzzer, kind: 'query' | 'mutation', field: GraphQLField<unknown, unknown>): { query: string; variables?: Record<string, unknown> } {
  const args = field.args.filter((a: GraphQLArgument) => (isNonNullType(a.type) && a.defaultValue === undefined) || f.chance(0.5));
  const values = args.map((a) => [a, f.value(a.type)] as const);
  const sel = selection(field.type);
  if (f.chance(0.25)) {
    const list = values.map(([a, v]) => `${a.name}: ${literal(v)}`).join(', ');
    return { query: `${kind} { ${field.name}${list ? `(${list})` : ''} ${sel} }` };
  }
  const defs = values.map(([a]) => `$${a.name}: ${String(a.type)}`).join(', ');
  const use = values.map(([a]) => `${a.name}: $${a.name}`).join(', ');
  return {
    query: `${kind}${defs ? `(${defs})` : ''} { ${field.name}${use ? `(${use})` : ''} ${sel} }`,
    variables: Object.fromEntries(values.map(([a, v]) => [a.name, v])),
  };
}

async function send(body: object, token?: string) {
  const res = await fetch(`${t.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  await res.arrayBuffer();
  return res.status;
}

it(`E9 answers no fuzzed request over any root field with a 5xx or an error-level log line (seed ${SEED})`, async () => {
  const rand = prng(SEED);
  const roots = [
    ['query', schema.getQueryType()!],
    ['mutation', schema.getMutationType()!],
  ] as const;
  const fields = roots.flatMap(([kind, type]) => Object.values(type.getFields()).map((field) => ({ kind, field })));
  expect(fields.length).toBeGreaterThan(50);
  const failures: string[] = [];
  const statuses = new Map<number, number>();
  let sent = 0;
  for (const [i, { kind, field }] of fields.entries()) {
    // A fresh tenant every few fields: a fuzzed sign-out or role change must not blind the rest.
    if (i % 8 === 0) {
      const a = await createPersonas(t, `fuzz${i}`);
      tenants = [a];
      // A token needs a fresh re-authentication (B8); the admin's session rotates with it.
      const sudo = await t.gql<{ reauthenticate: { token: string } }>(`mutation($p: String!) { reauthenticate(password: $p) { token } }`, { p: PERSONA_PASSWORD }, { token: a.admin.token });
      a.admin.token = sudo.data!.reauthenticate.token;
      const made = await t.gql<{ createApiToken: { token: string } }>(
        `mutation($i: ApiTokenInput!) { createApiToken(input: $i) { token } }`,
        { i: { name: 'fuzz', permissions: ['TICKETS_READ', 'TICKETS_CREATE', 'USERS_READ'] } },
        { token: a.admin.token },
      );
      apiToken = made.data?.createApiToken.token ?? '';
      expect(apiToken).toMatch(/^bwt_/);
    }
    const a = tenants[0];
    const ids = [a.tenantId, a.agent.id, a.requester.id, a.admin.id];
    const callers = [undefined, a.owner.token, a.admin.token, a.agent.token, a.lightAgent.token, a.requester.token, apiToken || undefined];
    const f = new Fuzzer(rand, ids);
    const mark = t.logs().length;
    for (let round = 0; round < ROUNDS; round++) {
      for (const caller of callers) {
        const body = request(f, kind, field);
        const status = await send(body, caller);
        sent++;
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        if (status >= 500) failures.push(`${status} ${JSON.stringify(body).slice(0, 400)}`);
      }
    }
    const errors = t.logs().slice(mark).filter((l) => l.includes('"level":"error"'));
    for (const e of errors) failures.push(`error log after ${field.name}: ${e.slice(0, 400)}`);
  }
  process.stdout.write(`fuzz seed ${SEED}: ${sent} requests over ${fields.length} root fields; statuses ${JSON.stringify(Object.fromEntries(statuses))}\n`);
  expect(failures.slice(0, 10)).toEqual([]);
});
