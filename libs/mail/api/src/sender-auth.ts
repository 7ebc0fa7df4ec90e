import { authenticate } from 'mailauth';
import type { DnsResolver } from '@bulwark/platform-api';
import type { MailAuthentication } from './mail.entities';

/** Where a message came from, as the connection saw it (the HTTP endpoint's caller may say it). */
export interface Envelope {
  /** The connecting client's address, for SPF. */
  ip?: string;
  /** The name it gave in HELO/EHLO. */
  helo?: string;
  /** MAIL FROM, the envelope sender (SPF checks its domain). */
  sender?: string;
}

/**
 * SPF, DKIM, DMARC and ARC as mailauth checks them, summarized. The sender counts as
 * authenticated (H5) only when the From: domain is vouched for by an aligned check:
 * - DMARC published and passing: an SPF or DKIM pass aligned with From: as the domain's own
 *   policy says (relaxed or strict);
 * - no DMARC record: the same alignment still decides, relaxed (a DKIM signature of the From:
 *   domain or its parent, or SPF passing for an envelope sender in the From: domain or its
 *   parent). A domain without DMARC asks receivers for nothing, but a signature by that domain
 *   still proves the message came from it; an unsigned message from it proves nothing.
 * Anything else (fail, temperror, several From: addresses) is not authenticated. ARC is recorded,
 * not trusted: a forwarder's seal would only count for forwarders an installation chose to trust.
 */
export async function checkSender(raw: Buffer, envelope: Envelope, dns: DnsResolver, mta: string): Promise<MailAuthentication> {
  const result = await authenticate(raw, {
    ip: envelope.ip || undefined,
    helo: envelope.helo || undefined,
    sender: envelope.sender || undefined,
    mta,
    resolver: dns as never,
    disableBimi: true,
  });
  const from = result.dkim.headerFrom ?? [];
  const domain = from.length === 1 ? (from[0].split('@').pop() ?? '').toLowerCase() : undefined;
  const dkimPasses = result.dkim.results.filter((r) => r.status.result === 'pass');
  const spf = result.spf ? result.spf : undefined;
  const dmarc = result.dmarc ? result.dmarc : undefined;
  let authenticated = false;
  // A signature with a body length (l=) covers only the first bytes: text added after them is
  // nobody's. It vouches for nothing unless it covers the whole body.
  const whole = (r: (typeof dkimPasses)[number]) => !(r.status as { underSized?: number }).underSized;
  if (domain && dmarc) {
    const spfAligned = spf?.status.result === 'pass' && related(spf.domain, domain);
    if (dmarc.status.result === 'pass') {
      const partial = dkimPasses.some((r) => !!r.status.aligned && !whole(r));
      authenticated = !partial || spfAligned || dkimPasses.some((r) => !!r.status.aligned && whole(r));
    } else if (dmarc.status.result === 'none') {
      authenticated = dkimPasses.some((r) => !!r.status.aligned && whole(r)) || spfAligned;
    }
  }
  return {
    domain,
    // The one From: address the checks were about: the sender filed must be this one (a group in
    // From: can show mail programs another address than the one authenticated).
    address: from.length === 1 ? from[0].toLowerCase() : undefined,
    spf: spf?.status.result ?? 'none',
    dkim: dkimPasses.length ? `pass (${dkimPasses.map((r) => r.signingDomain).join(', ')})` : (result.dkim.results[0]?.status.result ?? 'none'),
    dmarc: dmarc ? dmarc.status.result : 'none',
    arc: result.arc ? result.arc.status.result : 'none',
    authenticated,
  };
}

/** One domain is the other or under it (a stricter reading of relaxed alignment, for domains without DMARC). */
function related(a: string | undefined, b: string): boolean {
  const x = (a ?? '').toLowerCase();
  if (!x.includes('.')) return false;
  return x === b || x.endsWith(`.${b}`) || b.endsWith(`.${x}`);
}

/** Why a message is not authenticated, in words for the person who reviews it. */
export function whyUnverified(auth: MailAuthentication): string {
  if (!auth.domain) return 'The message does not name exactly one sender in From:, so it cannot be verified.';
  if (auth.hidden) return `The From: header shows another address than the one ${auth.domain} vouched for (${auth.address ?? 'unknown'}): someone may be posing as a person you know.`;
  if (auth.dmarc === 'fail') return `The sender's domain ${auth.domain} did not vouch for this message: DMARC failed (SPF ${auth.spf}, DKIM ${auth.dkim}). The From: address may be forged.`;
  if (auth.dmarc === 'temperror' || auth.dmarc === 'permerror') return `The records of ${auth.domain} could not be read (DMARC ${auth.dmarc}), so the sender could not be verified.`;
  return `Nothing ties this message to ${auth.domain}: no DKIM signature of that domain and no SPF pass for it (SPF ${auth.spf}, DKIM ${auth.dkim}). The From: address may be forged.`;
}
