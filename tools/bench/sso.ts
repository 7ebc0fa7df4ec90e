/**
 * `--scenario sso` (issue 17): how long single sign-on takes from the provider's answer to a
 * session, against a password sign-in, in one run on one server. OIDC: the callback (code
 * exchange at a real provider on loopback, ID token checks, the person, the session); JWT SSO:
 * the JWT's arrival to the session; password: the `login` mutation (bcrypt at the production cost).
 * Samples alternate between the three, so the machine's noise falls on all alike. Only the
 * timed request is measured: the provider's login pages before the callback are not.
 */
import 'reflect-metadata';
import { createLogger, loadConfig, memoryMailSender, startServer, withSystemContext } from '@bulwark/platform-api';
import { createTenant, createUser } from '@bulwark/identity-api';
import { apiPlugins } from '@bulwark/composition-api';
import { SignJWT } from 'jose';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { browse, CookieJar, signInAtProvider, startOidcProvider } from '../../libs/sso/api/src/oidc-provider.fixture';
import { median } from './load';

const PASSWORD = 'seven quiet lanterns over the harbour';
const SECRET = 'the shared secret of the bench workspace, 32+ characters';

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

const ms = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;
const fmt = (n: number) => n.toFixed(1);

export async function runSsoBench(databaseUrl: string, opts: { samples: number }, resultsDir: string, say: (s: string) => void): Promise<string> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bulwark-bench-sso-'));
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const config = loadConfig({
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    DATABASE_URL: databaseUrl,
    BULWARK_PASSWORD_PEPPER: randomBytes(32).toString('base64'),
    BULWARK_MASTER_KEY: randomBytes(32).toString('base64'),
    BULWARK_DATA_DIR: dataDir,
    BULWARK_SMTP_URL: 'smtp://127.0.0.1:9',
    BULWARK_PUBLIC_URL: publicUrl,
    BULWARK_MAIL_DOMAIN: 'mail.bench.invalid',
    BULWARK_BACKUP_SCHEDULER_SECONDS: '0',
    // The provider runs on loopback over HTTP, next to the server.
    BULWARK_SSO_ALLOW_PRIVATE_PROVIDERS: '1',
  });
  const op = await startOidcProvider();
  const server = await startServer(apiPlugins, config, { log: createLogger({}, () => undefined), database: { url: databaseUrl }, mail: memoryMailSender() });
  try {
    const tenantId = randomUUID();
    await withSystemContext(server.orm, server.app, tenantId, 'bench seed', async (ctx) => {
      await createTenant(ctx, { slug: 'bench-sso', name: 'SSO bench', adminEmail: 'owner@sso.bench', adminPassword: PASSWORD });
      await createUser(ctx, { email: 'agent@sso.bench', name: 'Agent', role: 'agent', password: PASSWORD });
      await ctx.em.flush();
    });
    const gql = async (query: string, variables: Record<string, unknown>, token?: string) => {
      const res = await fetch(`${publicUrl}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify({ query, variables }) });
      return (await res.json()) as { data?: Record<string, never>; errors?: unknown[] };
    };
    const LOGIN = `mutation($i: LoginInput!) { login(input: $i) { token } }`;
    const signInWithPassword = (email: string) => gql(LOGIN, { i: { tenant: 'bench-sso', email, password: PASSWORD } });
    const owner = (await signInWithPassword('owner@sso.bench')).data?.login as unknown as { token: string };
    const sudo = (await gql(`mutation($p: String!) { reauthenticate(password: $p) { token } }`, { p: PASSWORD }, owner.token)).data?.reauthenticate as unknown as { token: string };
    const create = async (input: Record<string, unknown>) => {
      const r = await gql(`mutation($i: SsoConnectionInput!) { createSsoConnection(input: $i) { id endpoints { label url } } }`, { i: input }, sudo.token);
      if (!r.data) throw new Error(JSON.stringify(r.errors));
      return (r.data.createSsoConnection as unknown as { endpoints: { label: string; url: string }[] }).endpoints;
    };
    const oidc = await create({ name: 'Provider', kind: 'oidc', enabled: true, defaultRole: 'agent', oidc: { issuer: op.issuer, clientId: 'bench', clientSecret: 'bench client secret' } });
    const at = (e: { label: string; url: string }[], label: RegExp) => e.find((x) => label.test(x.label))!.url;
    op.registerClient({ clientId: 'bench', clientSecret: 'bench client secret', redirectUris: [at(oidc, /Redirect URI/)] });
    op.addAccount('bench-person', { email: 'person@sso.bench', email_verified: true, name: 'Bench Person' });
    const jwt = await create({ name: 'Intranet', kind: 'jwt', enabled: true, defaultRole: 'agent', jwt: { remoteLoginUrl: 'https://intranet.example/sso', sharedSecret: SECRET } });

    const samples: Record<'password' | 'oidc' | 'jwt', number[]> = { password: [], oidc: [], jwt: [] };
    const measure = {
      async password() {
        const start = process.hrtime.bigint();
        const r = await signInWithPassword('agent@sso.bench');
        const took = ms(start);
        if (!r.data?.login) throw new Error(`password sign-in failed: ${JSON.stringify(r.errors)}`);
        return took;
      },
      async oidc() {
        const jar = new CookieJar();
        const callback = await signInAtProvider(jar, at(oidc, /Initiate login/), 'bench-person', at(oidc, /Redirect URI/));
        const start = process.hrtime.bigint();
        const res = await browse(jar, callback);
        const took = ms(start);
        if (!/\/#\/$/.test(res.headers.get('location') ?? '')) throw new Error(`OIDC sign-in failed: ${res.status} ${res.headers.get('location')}`);
        return took;
      },
      async jwt() {
        const token = await new SignJWT({ email: 'jay@sso.bench', external_id: 'crm-1', jti: randomUUID() })
          .setProtectedHeader({ alg: 'HS256' })
          .setIssuedAt()
          .sign(new TextEncoder().encode(SECRET));
        const start = process.hrtime.bigint();
        const res = await fetch(`${at(jwt, /JWT endpoint/)}?jwt=${token}`, { redirect: 'manual' });
        const took = ms(start);
        if (!/\/#\/$/.test(res.headers.get('location') ?? '')) throw new Error(`JWT sign-in failed: ${res.status} ${res.headers.get('location')}`);
        return took;
      },
    };
    say('warming up (5 of each)');
    for (let i = 0; i < 5; i++) for (const k of ['password', 'oidc', 'jwt'] as const) await measure[k]();
    for (let i = 1; i <= opts.samples; i++) {
      for (const k of ['password', 'oidc', 'jwt'] as const) samples[k].push(await measure[k]());
      if (i % 10 === 0) say(`  ${i}/${opts.samples} samples of each`);
    }
    const p50 = (k: keyof typeof samples) => median(samples[k]);
    const p90 = (k: keyof typeof samples) => [...samples[k]].sort((x, y) => x - y)[Math.floor(samples[k].length * 0.9)];
    const ratio = { oidc: p50('oidc') / p50('password'), jwt: p50('jwt') / p50('password') };
    say('');
    for (const k of ['password', 'oidc', 'jwt'] as const) say(`${k.padEnd(8)} median ${fmt(p50(k))} ms, p90 ${fmt(p90(k))} ms`);
    say(`\nHeadline: OIDC callback-to-session at ${ratio.oidc.toFixed(2)}× a password sign-in's latency, JWT SSO at ${ratio.jwt.toFixed(2)}× (medians, ${opts.samples} alternating samples each).`);
    const file = join(resultsDir, `bench-sso-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, JSON.stringify({ scenario: 'sso', options: opts, machine: { cpus: cpus().length, node: process.version, loadavg: loadavg() }, ratio, samples }, null, 2) + '\n');
    return file;
  } finally {
    await server.close();
    await op.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
