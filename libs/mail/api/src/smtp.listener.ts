import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { MikroORM } from '@mikro-orm/core';
import { SMTPServer, type SMTPServerAddress, type SMTPServerSession } from 'smtp-server';
import type { AppServices, PluginListener } from '@bulwark/platform-api';
import { tenantIdBySlug } from '@bulwark/identity-api';
import { mailConfig } from './mail.config';
import { noteListener } from './mail.service';
import { prepareMessage, receiveForTenant, type PreparedMessage } from './inbound.service';

type Services = AppServices & { orm: MikroORM };

/** An SMTP answer: the code tells the sending server whether to try again (4xx) or give up (5xx). */
const reply = (responseCode: number, message: string) => Object.assign(new Error(message), { responseCode });

const MAX_RECIPIENTS = 50;
/** Connections one client address may hold at once (the listener allows 100 in all). */
const MAX_CONNECTIONS_PER_ADDRESS = 10;

/**
 * The workspace an envelope recipient names: `<slug>@<domain>` or `<slug>+<anything>@<domain>`
 * (reply addresses), and only at this installation's mail domain. The recipient is the ONLY thing
 * that chooses a tenant (H5): headers of the message never do.
 */
export async function tenantOfRecipient(services: Services, address: string): Promise<string | null> {
  const a = address.trim().toLowerCase();
  const at = a.lastIndexOf('@');
  if (at < 1 || a.slice(at + 1) !== mailConfig.of(services.config).domain) return null;
  const slug = a.slice(0, at).split('+')[0];
  if (!/^[a-z0-9][a-z0-9-]{1,62}$/.test(slug)) return null;
  return tenantIdBySlug({ em: services.orm.em.fork() as never }, slug);
}

/**
 * The inbound SMTP listener (BULWARK_SMTP_LISTEN_PORT). A message is answered 250 only once it
 * is stored for every workspace it is addressed to; anything that fails before that is a 451, so
 * the sending server keeps it and tries again (a redelivery that was in fact stored is then
 * recognised by its Message-ID and filed once).
 */
export async function startSmtpListener(services: Services): Promise<PluginListener | null> {
  const cfg = mailConfig.of(services.config);
  if (cfg.listenPort === undefined) return null;
  const log = services.log.child({ listener: 'smtp' });
  const perAddress = new Map<string, number>();
  const counted = new WeakSet<SMTPServerSession>();
  const tenantsOf = new WeakMap<SMTPServerSession, Map<string, string>>();
  const tls = cfg.tlsKeyFile && cfg.tlsCertFile ? { key: readFileSync(cfg.tlsKeyFile), cert: readFileSync(cfg.tlsCertFile) } : null;
  const server = new SMTPServer({
    name: cfg.domain,
    banner: 'Bulwark help desk inbound mail',
    size: cfg.maxBytes,
    // Nobody signs in here: this is the receiving end for the workspaces' addresses (an MX).
    authOptional: true,
    disabledCommands: tls ? ['AUTH'] : ['AUTH', 'STARTTLS'],
    ...(tls ?? {}),
    // A reverse lookup per connection would cost a DNS round trip and tell us nothing we use.
    disableReverseLookup: true,
    logger: false,
    maxClients: 100,
    onConnect(session: SMTPServerSession, callback: (err?: Error | null) => void) {
      // One address may not take the listener's every connection (and the API process's memory).
      const ip = session.remoteAddress;
      if ((perAddress.get(ip) ?? 0) >= MAX_CONNECTIONS_PER_ADDRESS) return callback(reply(421, '4.7.0 Too many connections from your address: try again later'));
      perAddress.set(ip, (perAddress.get(ip) ?? 0) + 1);
      counted.add(session);
      callback();
    },
    onClose(session: SMTPServerSession) {
      if (!counted.delete(session)) return; // refused at connect: never counted
      const n = (perAddress.get(session.remoteAddress) ?? 1) - 1;
      if (n > 0) perAddress.set(session.remoteAddress, n);
      else perAddress.delete(session.remoteAddress);
    },
    socketTimeout: 60_000,
    closeTimeout: 5_000,
    onRcptTo(address: SMTPServerAddress, session: SMTPServerSession, callback: (err?: Error | null) => void) {
      if (session.envelope.rcptTo.length >= MAX_RECIPIENTS) return callback(reply(452, '4.5.3 Too many recipients in one message: send the rest in another'));
      tenantOfRecipient(services, address.address).then(
        (tenantId) => {
          // Kept for the message's delivery: the recipient was looked up once, here.
          if (tenantId) {
            const known = tenantsOf.get(session) ?? new Map<string, string>();
            tenantsOf.set(session, known.set(address.address, tenantId));
          }
          callback(tenantId ? null : reply(550, `5.1.1 <${address.address.slice(0, 200)}>: no such help desk address here`));
        },
        (error: unknown) => {
          log.warn('a recipient could not be looked up', { error });
          callback(reply(451, '4.3.0 Temporary failure: try again later'));
        },
      );
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      // Past the limit smtp-server only flags the stream and keeps reading it to the end: stop
      // keeping what arrives, so an oversized message costs no memory before its 552.
      stream.on('data', (c: Buffer) => void (stream.sizeExceeded ? (chunks.length = 0) : chunks.push(c)));
      stream.on('error', (error) => callback(error));
      stream.on('end', () => {
        if (stream.sizeExceeded) return callback(reply(552, `5.3.4 Message larger than this help desk accepts (${cfg.maxBytes} bytes)`));
        deliver(services, Buffer.concat(chunks), session, tenantsOf.get(session) ?? new Map()).then(
          () => callback(null, 'Message accepted'),
          (error: Error & { responseCode?: number }) => {
            if (!error.responseCode) log.error('inbound mail could not be stored: the sender will retry', { error });
            callback(error.responseCode ? error : reply(451, '4.3.0 Temporary failure storing the message: try again later'));
          },
        );
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(cfg.listenPort, cfg.listenHost, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // A listener keeps running through a client's bad behaviour; log it and go on.
  server.on('error', (error) => log.warn('SMTP listener error', { error }));
  const bound = (server.server.address() as AddressInfo).port;
  noteListener(services.config, { host: cfg.listenHost, port: bound, tls: !!tls });
  log.info('inbound SMTP listening', { host: cfg.listenHost, port: bound, tls: !!tls });
  return {
    name: 'smtp',
    address: { host: cfg.listenHost, port: bound },
    close: () =>
      new Promise<void>((resolve) => {
        noteListener(services.config, null);
        server.close(() => resolve());
      }),
  };
}

/** Reads the message once, then files it for each workspace among its recipients, each on its own. */
async function deliver(services: Services, raw: Buffer, session: SMTPServerSession, tenants: ReadonlyMap<string, string>): Promise<void> {
  const byTenant = new Map<string, string[]>();
  for (const r of session.envelope.rcptTo) {
    const tenantId = tenants.get(r.address);
    if (!tenantId) continue;
    byTenant.set(tenantId, [...(byTenant.get(tenantId) ?? []), r.address.toLowerCase()]);
  }
  let message: PreparedMessage;
  try {
    message = await prepareMessage(
      services,
      raw,
      {
        ip: session.remoteAddress.replace(/^::ffff:/, ''),
        helo: session.hostNameAppearsAs || undefined,
        // The null reverse path (MAIL FROM:<>) marks a bounce: '' is kept as such.
        sender: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
      },
      'smtp',
    );
  } catch {
    throw reply(554, '5.6.0 The message could not be read as email');
  }
  const request = { requestId: randomUUID(), ip: session.remoteAddress.replace(/^::ffff:/, ''), userAgent: `smtp:${(session.hostNameAppearsAs || '').slice(0, 100)}` };
  for (const [tenantId, recipients] of byTenant) await receiveForTenant(services, tenantId, message, recipients, request);
}
