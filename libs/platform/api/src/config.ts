import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * The kernel's settings. A feature's own settings are a section it declares (defineConfig, below)
 * beside its code. Each is documented in README.md ("Settings"). Values come from the environment
 * only; nothing here is tenant data (tenant settings live in the database and are steered from the
 * console).
 */
export interface BulwarkConfig {
  env: 'development' | 'test' | 'production';
  port: number;
  /** Interface to listen on: loopback unless production (or set HOST=0.0.0.0 behind a proxy). */
  host: string;
  /** PostgreSQL URL; when unset the server runs an embedded PostgreSQL in `dataDir`. */
  databaseUrl?: string;
  dataDir: string;
  /** HMAC key mixed into every password before bcrypt (SECURITY.md A4). */
  passwordPepper: string;
  bcryptCost: number;
  /** Exact number of proxy hops in front of the server (never `true`: SECURITY.md D10). */
  trustProxyHops: number;
  corsOrigins: string[];
  /** Secure, `__Host-` cookies. Only plain-HTTP development may turn this off. */
  secureCookies: boolean;
  introspection: boolean;
  bodyLimit: string;
  statementTimeoutMs: number;
  /** One log line per HTTP request (off for `npm start` in development, where a person reads the terminal). */
  logRequests: boolean;
  /** Deadline of a whole GraphQL operation; past it the operation is rolled back and answered 503 (G7). */
  operationTimeoutMs: number;
  /** Deadline for opening a database connection, and for waiting for one from the pool. */
  dbConnectTimeoutMs: number;
  requestTimeoutMs: number;
  /** Folder of the built console; served at / when present. */
  consoleDir?: string;
  /** Where people reach the console; links in mail point here. */
  publicUrl: string;
  /** SMTP server for outgoing mail; unset outside production: mail goes to `<dataDir>/outbox`. */
  smtpUrl?: string;
  mailFrom: string;
  /**
   * DNS servers (`ip` or `ip:port`) for what checks other domains' records (inbound mail's SPF,
   * DKIM and DMARC); unset: the system's resolver.
   */
  dnsServers?: string[];
  /** Platform master key: seals stored secrets (webhook signing secrets; backup keys later). */
  masterKey: string;
  /** Whether this API process works on queued jobs (backups); off when `cli worker` processes do. */
  worker: boolean;
  /** The master key before a rotation: still unwraps what was written under it (backups, webhook secrets). */
  masterKeyPrevious?: string;
  /** The variables these settings were read from; features read their own sections there (defineConfig). */
  source: Readonly<Env>;
}

export type Env = Record<string, string | undefined>;

export function onOff(env: Env, name: string, fallback: boolean): boolean {
  const v = env[name];
  if (v === undefined || v === '') return fallback;
  if (v === 'on' || v === 'off') return v === 'on';
  throw new Error(`${name} is "on" or "off", got "${v}"`);
}

export function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new Error(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
  }
  return n;
}

/**
 * Secrets a development or test install needs but nobody configured: generated once and kept
 * (0600) in the data folder, so restarts keep sessions and passwords valid. Production must set
 * them explicitly; `loadConfig` refuses to start otherwise.
 */
export function localSecret(dataDir: string, name: string): string {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, 'secrets.json');
  const secrets: Record<string, string> = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  if (!secrets[name]) {
    secrets[name] = randomBytes(32).toString('base64url');
    writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  return secrets[name];
}

function sizeSetting(env: Env, name: string, fallback: string): string {
  const raw = env[name] || fallback;
  if (!/^\d+(\.\d+)?\s*(b|kb|mb)$/i.test(raw)) throw new Error(`${name} must be a size like 100kb or 1mb, got "${raw}"`);
  return raw;
}

function dnsServers(value: string | undefined): string[] | undefined {
  const list = (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (!list.length) return undefined;
  for (const s of list) {
    if (!/^(\d{1,3}(\.\d{1,3}){3}(:\d{1,5})?|\[[0-9a-f:]+\](:\d{1,5})?|[0-9a-f:]+)$/i.test(s)) {
      throw new Error(`BULWARK_DNS_SERVERS is a comma-separated list of addresses such as 10.0.0.2 or 127.0.0.1:5353, got "${s}"`);
    }
  }
  return list;
}

export function loadConfig(env: Env = process.env): BulwarkConfig {
  const nodeEnv = env.NODE_ENV === 'production' ? 'production' : env.NODE_ENV === 'test' ? 'test' : 'development';
  const production = nodeEnv === 'production';
  const dataDir = resolve(env.BULWARK_DATA_DIR || '.data');
  const databaseUrl = env.DATABASE_URL || undefined;

  let passwordPepper = env.BULWARK_PASSWORD_PEPPER;
  if (!passwordPepper) {
    if (production) throw new Error('BULWARK_PASSWORD_PEPPER must be set in production (32+ random bytes, base64)');
    passwordPepper = localSecret(dataDir, 'passwordPepper');
  }
  if (passwordPepper.length < 32) throw new Error('BULWARK_PASSWORD_PEPPER must be at least 32 characters');

  if (production && !env.BULWARK_SMTP_URL) throw new Error('BULWARK_SMTP_URL must be set in production (password resets and invitations are mailed)');
  if (production && !env.BULWARK_PUBLIC_URL) throw new Error('BULWARK_PUBLIC_URL must be set in production (links in mail point there)');

  let masterKey = env.BULWARK_MASTER_KEY;
  if (!masterKey) {
    if (production) throw new Error('BULWARK_MASTER_KEY must be set in production (32+ random bytes, base64): it seals stored secrets');
    masterKey = localSecret(dataDir, 'masterKey');
  }
  if (masterKey.length < 32) throw new Error('BULWARK_MASTER_KEY must be at least 32 characters');

  const secureCookies = env.BULWARK_INSECURE_COOKIES === '1' ? false : production || env.BULWARK_SECURE_COOKIES === '1';
  if (production && !secureCookies) throw new Error('BULWARK_INSECURE_COOKIES is refused in production (SECURITY.md B3)');

  return {
    env: nodeEnv,
    port: int(env, 'PORT', 4000, 0, 65535),
    host: env.HOST || (production ? '0.0.0.0' : '127.0.0.1'),
    databaseUrl,
    dataDir,
    passwordPepper,
    bcryptCost: 12,
    trustProxyHops: int(env, 'BULWARK_TRUST_PROXY_HOPS', 0, 0, 10),
    corsOrigins: (env.BULWARK_CORS_ORIGINS ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    secureCookies,
    introspection: !production,
    bodyLimit: sizeSetting(env, 'BULWARK_BODY_LIMIT', '100kb'),
    statementTimeoutMs: int(env, 'BULWARK_STATEMENT_TIMEOUT_MS', 5000, 100, 600000),
    logRequests: onOff(env, 'BULWARK_LOG_REQUESTS', nodeEnv !== 'development'),
    operationTimeoutMs: int(env, 'BULWARK_OPERATION_TIMEOUT_MS', 10000, 500, 600000),
    dbConnectTimeoutMs: int(env, 'BULWARK_DB_CONNECT_TIMEOUT_MS', 3000, 100, 60000),
    requestTimeoutMs: int(env, 'BULWARK_REQUEST_TIMEOUT_MS', 30000, 1000, 600000),
    consoleDir: env.BULWARK_CONSOLE_DIR || undefined,
    publicUrl: (env.BULWARK_PUBLIC_URL || `http://localhost:${env.PORT || 4000}`).replace(/\/$/, ''),
    smtpUrl: env.BULWARK_SMTP_URL || undefined,
    mailFrom: env.BULWARK_MAIL_FROM || 'Bulwark <no-reply@bulwark.invalid>',
    dnsServers: dnsServers(env.BULWARK_DNS_SERVERS),
    masterKey,
    masterKeyPrevious: env.BULWARK_MASTER_KEY_PREVIOUS || undefined,
    worker: onOff(env, 'BULWARK_WORKER', true),
    source: Object.freeze({ ...env }),
  };
}

/**
 * A feature's own settings (ApiPlugin.config): read from the same variables as the kernel's, once
 * per configuration, and checked when the server, a worker or the CLI starts, so a bad value stops
 * it with a sentence before anything runs. Declared, and documented, beside the feature's code.
 */
export interface ConfigSection<T> {
  name: string;
  of(config: BulwarkConfig): T;
}

export function defineConfig<T>(name: string, read: (env: Env, kernel: BulwarkConfig) => T): ConfigSection<T> {
  const read_ = new WeakMap<BulwarkConfig, T>();
  return {
    name,
    of(config) {
      if (!read_.has(config)) read_.set(config, read(config.source, config));
      return read_.get(config) as T;
    },
  };
}
