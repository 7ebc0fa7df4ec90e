import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * Every setting the server reads, in one place. Each is documented in README.md ("Settings").
 * Values come from the environment only; nothing here is tenant data (tenant settings live in the
 * database and are steered from the console).
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
  /** Password hashes (bcrypt) computed at once; the rest queue without holding a DB connection. */
  hashConcurrency: number;
  /** Nice value of the password-hashing threads (0 normal … 19 only idle CPU; Linux). */
  hashNice: number;
  /** Folder of the built console; served at / when present. */
  consoleDir?: string;
  /** Where people reach the console; links in mail point here. */
  publicUrl: string;
  /** SMTP server for outgoing mail; unset outside production: mail goes to `<dataDir>/outbox`. */
  smtpUrl?: string;
  mailFrom: string;
  /** Platform master key: seals stored secrets (webhook signing secrets; backup keys later). */
  masterKey: string;
  /** Where local backups are stored (the default storage target), and S3 uploads are spooled. */
  backupDir: string;
  /** How often each API process looks for due backup schedules; 0 turns scheduling off here. */
  backupSchedulerSeconds: number;
  /** Whether this API process works on queued jobs (backups); off when `cli worker` processes do. */
  worker: boolean;
  /** Backups go to the local directory, or to S3-compatible object storage. */
  backupStorage: 'local' | 's3';
  backupS3?: {
    endpoint?: string;
    region: string;
    bucket: string;
    prefix: string;
    accessKeyId?: string;
    secretAccessKey?: string;
    forcePathStyle: boolean;
  };
  /** The master key before a rotation: still unwraps what was written under it (backups). */
  masterKeyPrevious?: string;
  /** Where every tenant's security alerts are also sent, for the operators (signed like tenant webhooks). */
  operatorWebhookUrl?: string;
  operatorWebhookSecret?: string;
  /** How often the audit retention job runs; 0 turns it off (run `audit prune` from the CLI instead). */
  auditPruneIntervalMinutes: number;
  /** First retry delay of webhook deliveries (then ×4 each time, 4 attempts). */
  webhookRetryBaseMs: number;
}

type Env = Record<string, string | undefined>;

function onOff(env: Env, name: string, fallback: boolean): boolean {
  const v = env[name];
  if (v === undefined || v === '') return fallback;
  if (v === 'on' || v === 'off') return v === 'on';
  throw new Error(`${name} is "on" or "off", got "${v}"`);
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
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
  if (env.BULWARK_OPERATOR_WEBHOOK_URL && (env.BULWARK_OPERATOR_WEBHOOK_SECRET ?? '').length < 32) {
    throw new Error('BULWARK_OPERATOR_WEBHOOK_SECRET must be set (32+ characters) when BULWARK_OPERATOR_WEBHOOK_URL is');
  }

  const backupStorage = (env.BULWARK_BACKUP_STORAGE || 'local') as 'local' | 's3';
  if (backupStorage !== 'local' && backupStorage !== 's3') throw new Error(`BULWARK_BACKUP_STORAGE is "local" or "s3", got "${backupStorage}"`);
  if (backupStorage === 's3' && !env.BULWARK_BACKUP_S3_BUCKET) throw new Error('BULWARK_BACKUP_S3_BUCKET must be set when BULWARK_BACKUP_STORAGE=s3');
  if ((env.BULWARK_BACKUP_S3_PREFIX ?? '').startsWith('/')) throw new Error('BULWARK_BACKUP_S3_PREFIX is relative (no leading /)');

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
    // One core stays free for everything else: sign-in bursts must not starve reads (A8).
    hashConcurrency: int(env, 'BULWARK_HASH_CONCURRENCY', Math.max(1, availableParallelism() - 1), 1, 64),
    // Hashing yields the CPU to reads and to garbage collection (A8; identity's hashing-threads.ts).
    hashNice: int(env, 'BULWARK_HASH_NICE', 10, 0, 19),
    consoleDir: env.BULWARK_CONSOLE_DIR || undefined,
    publicUrl: (env.BULWARK_PUBLIC_URL || `http://localhost:${env.PORT || 4000}`).replace(/\/$/, ''),
    smtpUrl: env.BULWARK_SMTP_URL || undefined,
    mailFrom: env.BULWARK_MAIL_FROM || 'Bulwark <no-reply@bulwark.invalid>',
    masterKey,
    masterKeyPrevious: env.BULWARK_MASTER_KEY_PREVIOUS || undefined,
    backupDir: resolve(env.BULWARK_BACKUP_DIR || join(dataDir, 'backups')),
    backupStorage,
    backupSchedulerSeconds: int(env, 'BULWARK_BACKUP_SCHEDULER_SECONDS', 30, 0, 3600),
    worker: onOff(env, 'BULWARK_WORKER', true),
    backupS3:
      backupStorage === 's3'
        ? {
            endpoint: env.BULWARK_BACKUP_S3_ENDPOINT || undefined,
            region: env.BULWARK_BACKUP_S3_REGION || 'us-east-1',
            bucket: env.BULWARK_BACKUP_S3_BUCKET as string,
            prefix: env.BULWARK_BACKUP_S3_PREFIX ?? 'bulwark/',
            accessKeyId: env.BULWARK_BACKUP_S3_ACCESS_KEY_ID || undefined,
            secretAccessKey: env.BULWARK_BACKUP_S3_SECRET_ACCESS_KEY || undefined,
            forcePathStyle: env.BULWARK_BACKUP_S3_PATH_STYLE === '1',
          }
        : undefined,
    operatorWebhookUrl: env.BULWARK_OPERATOR_WEBHOOK_URL || undefined,
    operatorWebhookSecret: env.BULWARK_OPERATOR_WEBHOOK_SECRET || undefined,
    auditPruneIntervalMinutes: int(env, 'BULWARK_AUDIT_PRUNE_INTERVAL_MINUTES', 60, 0, 10080),
    webhookRetryBaseMs: int(env, 'BULWARK_WEBHOOK_RETRY_BASE_MS', 1000, 1, 600000),
  };
}
