import { loadConfig, type BulwarkConfig } from '@bulwark/platform-api';
import { randomBytes } from 'node:crypto';

/**
 * Production settings for a server the bench starts in its own process: a random pepper and
 * master key per run, mail to nowhere (the bench hands the server a memory sender), no scheduled
 * backups, and what the scenario adds.
 */
export function benchConfig(databaseUrl: string, dataDir: string, extra: Record<string, string> = {}): BulwarkConfig {
  return loadConfig({
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: '0',
    DATABASE_URL: databaseUrl,
    BULWARK_PASSWORD_PEPPER: randomBytes(32).toString('base64'),
    BULWARK_MASTER_KEY: randomBytes(32).toString('base64'),
    BULWARK_DATA_DIR: dataDir,
    BULWARK_SMTP_URL: 'smtp://127.0.0.1:9',
    BULWARK_PUBLIC_URL: 'http://127.0.0.1',
    BULWARK_BACKUP_SCHEDULER_SECONDS: '0',
    // Production requires the mail domain; a reserved name, since no mail is received here.
    BULWARK_MAIL_DOMAIN: 'mail.bench.invalid',
    ...extra,
  });
}
