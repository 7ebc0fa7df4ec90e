/**
 * A real OpenID Provider for tests (`oidc-provider`, a certified implementation) on loopback,
 * with its development login and consent pages, back-channel logout, and hooks to make it
 * misbehave: its token endpoint's answer can be rewritten (a tampered, expired, re-signed or
 * unsigned ID token), the way a network attacker or a broken provider would. Test-only code.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import Provider, { type AdapterConstructor, type ClientMetadata } from 'oidc-provider';
// @ts-expect-error the library's own memory adapter ships without type declarations
import MemoryAdapterJs from 'oidc-provider/lib/adapters/memory_adapter.js';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

export interface TestOidcProvider {
  issuer: string;
  registerClient(c: { clientId: string; clientSecret: string; redirectUris: string[]; backchannelLogoutUri?: string }): void;
  addAccount(sub: string, claims: Record<string, unknown>): void;
  /** Ends the person's sessions at the provider and sends back-channel logout to every registered client. */
  logout(sub: string): Promise<void>;
  /** Rewrites the next token-endpoint answer's ID token (null: leave answers alone). */
  tamperNextIdToken(fn: ((idToken: string) => Promise<string> | string) | null): void;
  /** Signs claims with the provider's own key (or another), as its ID tokens are signed. */
  sign(claims: Record<string, unknown>, opts?: { key?: 'provider' | 'other'; kid?: string }): Promise<string>;
  close(): Promise<void>;
}

const clients = new Map<string, ClientMetadata>();
const MemoryAdapter = MemoryAdapterJs as AdapterConstructor;

/** The library's memory adapter, with clients registered at run time (a connection's id is known only once it is created). */
class Adapter extends MemoryAdapter {
  constructor(private readonly model: string) {
    super(model);
  }
  override async find(id: string) {
    if (this.model === 'Client') return clients.get(id);
    return super.find(id);
  }
}

export async function startOidcProvider(): Promise<TestOidcProvider> {
  const accounts = new Map<string, Record<string, unknown>>();
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const other = await generateKeyPair('RS256', { extractable: true });
  const kid = `test-${randomUUID().slice(0, 8)}`;
  const jwk: JWK = { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' };
  let tamper: ((idToken: string) => Promise<string> | string) | null = null;
  const backchannelErrors: unknown[] = [];

  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, {
    adapter: Adapter,
    jwks: { keys: [jwk] },
    cookies: { keys: [randomUUID()] },
    features: { devInteractions: { enabled: true }, backchannelLogout: { enabled: true } },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], groups: ['groups'] },
    scopes: ['openid', 'email', 'profile', 'groups', 'offline_access'],
    // The claims of granted scopes go in the ID token too, as most providers do.
    conformIdTokenClaims: false,
    findAccount: async (_ctx, sub) => (accounts.has(sub) ? { accountId: sub, claims: async () => ({ sub, ...accounts.get(sub) }) } : undefined),
    // The library refuses to POST logout tokens to loopback addresses (its SSRF guard); the
    // test's Bulwark is on loopback.
    fetch: (input, init) => globalThis.fetch(input, init),
    pkce: { required: () => true },
    ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600, AuthorizationCode: 60 },
  });
  provider.on('backchannel.error', (_ctx: unknown, err: unknown) => backchannelErrors.push(err));
  const handle = provider.callback();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const fn = tamper;
    if (fn && req.method === 'POST' && req.url?.startsWith('/token')) {
      tamper = null;
      const chunks: Buffer[] = [];
      const end = res.end.bind(res);
      res.write = ((chunk: Buffer | string) => chunks.push(Buffer.from(chunk)) > 0) as typeof res.write;
      res.end = ((chunk?: Buffer | string) => {
        if (chunk) chunks.push(Buffer.from(chunk));
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id_token?: string };
        void Promise.resolve(body.id_token ? fn(body.id_token) : undefined).then((idToken) => {
          const text = JSON.stringify({ ...body, ...(idToken !== undefined ? { id_token: idToken } : {}) });
          res.setHeader('content-length', Buffer.byteLength(text));
          end(text);
        });
        return res;
      }) as typeof res.end;
    }
    void handle(req, res);
  });

  return {
    issuer,
    registerClient(c) {
      clients.set(c.clientId, {
        client_id: c.clientId,
        client_secret: c.clientSecret,
        redirect_uris: c.redirectUris,
        response_types: ['code'],
        grant_types: ['authorization_code'],
        token_endpoint_auth_method: 'client_secret_basic',
        ...(c.backchannelLogoutUri ? { backchannel_logout_uri: c.backchannelLogoutUri, backchannel_logout_session_required: false } : {}),
      });
    },
    addAccount(sub, claims) {
      accounts.set(sub, claims);
    },
    async logout(sub) {
      for (const id of clients.keys()) {
        // The provider's own logout path calls this for each client of the ended session.
        const client = (await provider.Client.find(id)) as unknown as { backchannelLogoutUri?: string; backchannelLogout(sub: string, sid?: string): Promise<void> } | undefined;
        if (client?.backchannelLogoutUri) await client.backchannelLogout(sub);
      }
      if (backchannelErrors.length) throw backchannelErrors[0];
    },
    tamperNextIdToken(fn) {
      tamper = fn;
    },
    async sign(claims, opts = {}) {
      const key: CryptoKey = opts.key === 'other' ? other.privateKey : privateKey;
      return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: opts.kid ?? kid }).sign(key);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A cookie jar per origin, for walking a browser's redirects without a browser. */
export class CookieJar {
  private readonly jars = new Map<string, Map<string, string>>();
  header(url: string): string {
    return [...(this.jars.get(new URL(url).host) ?? new Map<string, string>())].map(([k, v]) => `${k}=${v}`).join('; ');
  }
  take(url: string, res: Response): void {
    const jar = this.jars.get(new URL(url).host) ?? new Map<string, string>();
    this.jars.set(new URL(url).host, jar);
    for (const c of res.headers.getSetCookie()) {
      const [pair, ...attrs] = c.split(';');
      const i = pair.indexOf('=');
      const expired = attrs.some((a) => /^\s*expires=Thu, 01 Jan 1970/i.test(a)) || attrs.some((a) => /^\s*max-age=0\s*$/i.test(a));
      if (expired) jar.delete(pair.slice(0, i).trim());
      else jar.set(pair.slice(0, i).trim(), pair.slice(i + 1).trim());
    }
  }
  get(url: string, name: string): string | undefined {
    return this.jars.get(new URL(url).host)?.get(name);
  }
}

/** One request as a browser makes it: the jar's cookies in, Set-Cookie kept, no redirect followed. */
export async function browse(jar: CookieJar, url: string, init: { method?: string; form?: Record<string, string> } = {}): Promise<Response> {
  const res = await fetch(url, {
    method: init.method ?? (init.form ? 'POST' : 'GET'),
    redirect: 'manual',
    headers: { cookie: jar.header(url), ...(init.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
    body: init.form ? new URLSearchParams(init.form).toString() : undefined,
  });
  jar.take(url, res);
  return res;
}

/**
 * From Bulwark's start URL through the provider's login and consent pages, as a person would,
 * up to the provider sending the browser back: the callback URL, not yet opened.
 */
export async function signInAtProvider(jar: CookieJar, startUrl: string, login: string, callbackPrefix: string): Promise<string> {
  let url = startUrl;
  for (let step = 0; step < 20; step++) {
    const res = await browse(jar, url);
    const location = res.headers.get('location');
    if (location) {
      const next = new URL(location, url).href;
      if (next.startsWith(callbackPrefix)) return next;
      url = next;
      continue;
    }
    const html = await res.text();
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
    if (res.status !== 200 || !action) throw new Error(`unexpected page at ${url} (${res.status}): ${html.slice(0, 300)}`);
    const prompt = /name="prompt" value="(\w+)"/.exec(html)?.[1];
    const form: Record<string, string> = prompt === 'login' ? { prompt, login, password: 'any password' } : { prompt: prompt ?? 'consent' };
    const posted = await browse(jar, new URL(action.replace(/&amp;/g, '&'), url).href, { form });
    const after = posted.headers.get('location');
    if (!after) throw new Error(`the provider's ${prompt} form answered ${posted.status}`);
    url = new URL(after, url).href;
  }
  throw new Error('too many redirects signing in at the provider');
}
