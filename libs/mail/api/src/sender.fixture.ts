/**
 * A sender's domain for tests, the bench and the browser test: a DKIM key, the DNS records a
 * real domain would publish (DKIM key, DMARC policy, SPF), answered either by a resolver function
 * (in-process servers: AppServices.dns) or by a real DNS server on loopback (a server in another
 * process: BULWARK_DNS_SERVERS), and mail sent over real SMTP, signed with that key.
 */
import { generateKeyPairSync } from 'node:crypto';
import nodemailer from 'nodemailer';
import type { DnsResolver } from '@bulwark/platform-api';

export interface SenderDomain {
  domain: string;
  selector: string;
  privateKey: string;
  /** TXT records by name, each a list of character-strings (as DNS gives them). */
  txt: Map<string, string[][]>;
}

/** 1024-bit RSA by default: its record fits one UDP answer for the loopback DNS server. */
export function senderDomain(domain: string, opts: { selector?: string; bits?: number; dmarc?: string; spf?: string } = {}): SenderDomain {
  const selector = opts.selector ?? 'mail';
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: opts.bits ?? 1024 });
  const p = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
  const key = `v=DKIM1; k=rsa; p=${p}`;
  const txt = new Map<string, string[][]>([
    [`${selector}._domainkey.${domain}`, [key.match(/.{1,250}/g) as string[]]],
    [`_dmarc.${domain}`, [[opts.dmarc ?? 'v=DMARC1; p=reject']]],
    [domain, [[opts.spf ?? 'v=spf1 ip4:127.0.0.1 -all']]],
  ]);
  return { domain, selector, privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), txt };
}

const notFound = (name: string, rrtype: string) => Object.assign(new Error(`queryTxt ENOTFOUND ${name} (${rrtype})`), { code: 'ENOTFOUND' });

/** Answers TXT questions about these domains from their tables; everything else does not exist. */
export function tableResolver(...domains: SenderDomain[]): DnsResolver {
  return async (name, rrtype) => {
    const key = name.toLowerCase().replace(/\.$/, '');
    for (const d of domains) {
      const records = d.txt.get(key);
      if (records && rrtype === 'TXT') return records;
    }
    throw notFound(name, rrtype);
  };
}

/** A DNS server on loopback (UDP) answering the same tables: for servers in another process. */
export async function startDnsServer(...domains: SenderDomain[]): Promise<{ address: string; close(): Promise<void> }> {
  // dns2 has no type declarations; its server API is small and used only here.
  const dns2 = require('dns2') as {
    Packet: { TYPE: Record<string, number>; CLASS: Record<string, number>; createResponseFromRequest(r: unknown): { answers: unknown[]; header: { rcode: number } } };
    createServer(o: { udp: boolean; handle: (req: { questions: { name: string; type: number }[] }, send: (r: unknown) => void) => void }): {
      listen(o: { udp: { port: number; address: string } }): Promise<void>;
      addresses(): { udp: { port: number } };
      close(): Promise<void>;
    };
  };
  const { Packet } = dns2;
  const server = dns2.createServer({
    udp: true,
    handle(request, send) {
      const response = Packet.createResponseFromRequest(request);
      const [q] = request.questions;
      const records = q.type === Packet.TYPE.TXT ? domains.map((d) => d.txt.get(q.name.toLowerCase())).find(Boolean) : undefined;
      if (records) for (const data of records) response.answers.push({ name: q.name, type: Packet.TYPE.TXT, class: Packet.CLASS.IN, ttl: 60, data });
      else response.header.rcode = 3; // NXDOMAIN
      send(response);
    },
  });
  await server.listen({ udp: { port: 0, address: '127.0.0.1' } });
  return { address: `127.0.0.1:${server.addresses().udp.port}`, close: () => server.close() };
}

export interface OutgoingMail {
  from: string;
  to: string | string[];
  cc?: string[];
  subject: string;
  text?: string;
  html?: string;
  messageId?: string;
  inReplyTo?: string;
  references?: string[];
  headers?: Record<string, string>;
}

/** A real SMTP client (nodemailer) for the inbound listener, signing as `signer` when given. */
export function smtpClient(port: number, signer?: SenderDomain, opts: { pool?: boolean; maxConnections?: number } = {}) {
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port,
    secure: false,
    ignoreTLS: true,
    pool: opts.pool ?? false,
    maxConnections: opts.maxConnections,
    name: signer?.domain ?? 'localhost',
    ...(signer ? { dkim: { domainName: signer.domain, keySelector: signer.selector, privateKey: signer.privateKey } } : {}),
  });
  return {
    send: (m: OutgoingMail, envelope?: { from: string; to: string[] }) =>
      transport.sendMail({
        ...m,
        messageId: m.messageId && `<${m.messageId}>`,
        inReplyTo: m.inReplyTo && `<${m.inReplyTo}>`,
        references: m.references?.map((r) => `<${r}>`),
        envelope,
      }),
    close: () => transport.close(),
  };
}
