import { existsSync } from 'node:fs';
import { defineConfig, int, type Env } from '@bulwark/platform-api';

const MIB = 1024 * 1024;

/**
 * The mail feature's settings (README "Settings"). Every workspace's address is
 * `<workspace slug>@<domain>`, so the domain is the one thing a production installation must
 * choose: a default there would hand out addresses nobody receives mail for.
 */
export const mailConfig = defineConfig('mail', (env, kernel) => {
  const production = kernel.env === 'production';
  const domain = (env.BULWARK_MAIL_DOMAIN ?? '').trim().toLowerCase() || (production ? '' : 'mail.localhost');
  if (!domain) throw new Error('BULWARK_MAIL_DOMAIN is required in production: the domain of every workspace’s mail address');
  if (!/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(domain)) {
    throw new Error(`BULWARK_MAIL_DOMAIN is a domain name such as mail.example.com, got "${domain}"`);
  }
  const listenPort = optionalPort(env, 'BULWARK_SMTP_LISTEN_PORT');
  const tlsKeyFile = optionalFile(env, 'BULWARK_SMTP_TLS_KEY_FILE');
  const tlsCertFile = optionalFile(env, 'BULWARK_SMTP_TLS_CERT_FILE');
  if (!!tlsKeyFile !== !!tlsCertFile) throw new Error('BULWARK_SMTP_TLS_KEY_FILE and BULWARK_SMTP_TLS_CERT_FILE go together');
  // Mail carries people's words and credentials' reset links; in production it never crosses the
  // network in the clear when the sender offers STARTTLS.
  if (production && listenPort !== undefined && !tlsKeyFile) {
    throw new Error('BULWARK_SMTP_LISTEN_PORT needs BULWARK_SMTP_TLS_KEY_FILE and BULWARK_SMTP_TLS_CERT_FILE in production (STARTTLS)');
  }
  return {
    /** The domain of every workspace's address, `<slug>@<domain>`, and of our own Message-IDs. */
    domain,
    /** The inbound SMTP listener's port; undefined: no listener. 0: any free port (tests). */
    listenPort,
    /** Interface of the listener: loopback unless told, like the HTTP server. */
    listenHost: (env.BULWARK_SMTP_LISTEN_HOST ?? '').trim() || '127.0.0.1',
    /** STARTTLS key and certificate (PEM files); both or neither. */
    tlsKeyFile,
    tlsCertFile,
    /** The largest message accepted, by SMTP (552) and by the HTTP endpoint (413). */
    maxBytes: int(env, 'BULWARK_MAIL_MAX_BYTES', 10 * MIB, 1024, 100 * MIB),
    /**
     * Messages a workspace's held-mail queue keeps at most: unverified mail is the one kind anyone
     * can send, so it may not fill the database. Past it, senders are told to try later.
     */
    heldMax: int(env, 'BULWARK_MAIL_HELD_MAX', 1000, 1, 1_000_000),
  };
});

export type MailConfig = ReturnType<typeof mailConfig.of>;

function optionalPort(env: Env, name: string): number | undefined {
  const v = (env[name] ?? '').trim();
  if (v === '') return undefined;
  return int(env, name, 0, 0, 65535);
}

function optionalFile(env: Env, name: string): string | undefined {
  const v = (env[name] ?? '').trim();
  if (v === '') return undefined;
  if (!existsSync(v)) throw new Error(`${name} names a file that does not exist: ${v}`);
  return v;
}
