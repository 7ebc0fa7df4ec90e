import { loadConfig } from '@bulwark/platform-api';
import { mailConfig } from './mail.config';

const base = { BULWARK_DATA_DIR: '/nonexistent', BULWARK_MASTER_KEY: 'k'.repeat(40), BULWARK_PASSWORD_PEPPER: 'p'.repeat(40) };
const read = (env: Record<string, string>) => mailConfig.of(loadConfig({ NODE_ENV: 'test', ...base, ...env }));

describe('mail settings', () => {
  it('default to mail.localhost, no listener, loopback, 10 MiB and 1000 held messages outside production', () => {
    expect(read({})).toEqual({ domain: 'mail.localhost', listenPort: undefined, listenHost: '127.0.0.1', tlsKeyFile: undefined, tlsCertFile: undefined, maxBytes: 10 * 1024 * 1024, heldMax: 1000 });
  });

  it('take port 0 for an ephemeral listener, and lowercase the domain', () => {
    expect(read({ BULWARK_SMTP_LISTEN_PORT: '0', BULWARK_MAIL_DOMAIN: 'Mail.Example.COM' })).toMatchObject({ listenPort: 0, domain: 'mail.example.com' });
  });

  it('refuse a bad domain, port or size, and half a TLS pair, with a sentence', () => {
    expect(() => read({ BULWARK_MAIL_DOMAIN: 'not a domain' })).toThrow(/BULWARK_MAIL_DOMAIN/);
    expect(() => read({ BULWARK_SMTP_LISTEN_PORT: '70000' })).toThrow(/BULWARK_SMTP_LISTEN_PORT/);
    expect(() => read({ BULWARK_MAIL_MAX_BYTES: '10' })).toThrow(/BULWARK_MAIL_MAX_BYTES/);
    expect(() => read({ BULWARK_SMTP_TLS_KEY_FILE: __filename })).toThrow(/go together/);
    expect(() => read({ BULWARK_SMTP_TLS_KEY_FILE: '/nonexistent/key.pem', BULWARK_SMTP_TLS_CERT_FILE: __filename })).toThrow(/does not exist/);
  });

  it('in production, need the domain, and STARTTLS files for a listener', () => {
    const prod = (env: Record<string, string>) => mailConfig.of(loadConfig({ NODE_ENV: 'production', BULWARK_PUBLIC_URL: 'https://desk.example.com', BULWARK_SMTP_URL: 'smtp://relay.example.com', ...base, ...env }));
    expect(() => prod({})).toThrow(/BULWARK_MAIL_DOMAIN is required in production/);
    expect(() => prod({ BULWARK_MAIL_DOMAIN: 'mail.example.com', BULWARK_SMTP_LISTEN_PORT: '25' })).toThrow(/STARTTLS/);
    expect(prod({ BULWARK_MAIL_DOMAIN: 'mail.example.com', BULWARK_SMTP_LISTEN_PORT: '25', BULWARK_SMTP_TLS_KEY_FILE: __filename, BULWARK_SMTP_TLS_CERT_FILE: __filename })).toMatchObject({ listenPort: 25 });
  });
});
