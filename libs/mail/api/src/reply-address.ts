import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import type { BulwarkConfig } from '@bulwark/platform-api';
import { mailConfig } from './mail.config';

/**
 * The reply address of a ticket, `<workspace>+<token>@<domain>`: a reply to it threads onto that
 * ticket even when the mail client drops In-Reply-To. The token is the ticket id (26 base32
 * characters) and an HMAC over the tenant and ticket ids (12 characters, 60 bits), under a key
 * derived from the master key for this purpose alone. Lowercase base32, because mail systems may
 * change the case of a local part; the tenant is in the MAC, so a token made for one workspace
 * never verifies in another even with the same ticket id.
 */
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
const ID_CHARS = 26;
const MAC_CHARS = 12;

export function replyAddress(config: BulwarkConfig, workspace: string, tenantId: string, ticketId: string): string {
  return `${workspace}+${replyToken(config, tenantId, ticketId)}@${mailConfig.of(config).domain}`;
}

export function replyToken(config: BulwarkConfig, tenantId: string, ticketId: string): string {
  const id = Buffer.from(ticketId.replace(/-/g, ''), 'hex');
  if (id.length !== 16) throw new Error('a ticket id is a uuid');
  return base32(id).slice(0, ID_CHARS) + mac(config, tenantId, ticketId);
}

/** The ticket id a token names, or null when it is malformed or was not made for this tenant. */
export function readReplyToken(config: BulwarkConfig, tenantId: string, token: string): string | null {
  const t = token.trim().toLowerCase();
  if (t.length !== ID_CHARS + MAC_CHARS || ![...t].every((c) => ALPHABET.includes(c))) return null;
  const id = unbase32(t.slice(0, ID_CHARS));
  // One spelling per ticket: the last character's two spare bits must be zero.
  if (base32(id) !== t.slice(0, ID_CHARS)) return null;
  const hex = id.toString('hex');
  const ticketId = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  const expected = Buffer.from(mac(config, tenantId, ticketId));
  const given = Buffer.from(t.slice(ID_CHARS));
  return timingSafeEqual(expected, given) ? ticketId : null;
}

function mac(config: BulwarkConfig, tenantId: string, ticketId: string): string {
  const key = Buffer.from(hkdfSync('sha256', config.masterKey, 'bulwark', 'mail-reply', 32));
  const digest = createHmac('sha256', key).update(`${tenantId.toLowerCase()}:${ticketId.toLowerCase()}`).digest();
  return base32(digest).slice(0, MAC_CHARS);
}

function base32(bytes: Buffer): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

function unbase32(text: string): Buffer {
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const c of text) {
    value = (value << 5) | ALPHABET.indexOf(c);
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}
