import { createPublicKey } from 'node:crypto';
import type { DkimKey } from '@bulwark/platform-api';

export interface DkimRecord {
  domain: string;
  selector: string;
  /** The DNS name to publish the TXT record at. */
  name: string;
  /** The TXT record's value. */
  value: string;
  algorithm: 'rsa' | 'ed25519';
}

/**
 * The DNS record that lets receivers verify our outbound mail's DKIM signature (issue 19 §3):
 * derived from the configured private key, so what the console shows always matches what signs.
 */
export function dkimRecord(key: DkimKey): DkimRecord {
  const pub = createPublicKey(key.privateKey);
  const type = pub.asymmetricKeyType;
  if (type !== 'rsa' && type !== 'ed25519') throw new Error(`DKIM keys are RSA or Ed25519, not ${type}`);
  const der = pub.export({ type: 'spki', format: 'der' });
  // RFC 8463: an Ed25519 record carries the raw 32-byte key, the last bytes of its SPKI form.
  const p = (type === 'ed25519' ? der.subarray(der.length - 32) : der).toString('base64');
  return { domain: key.domainName, selector: key.keySelector, name: `${key.keySelector}._domainkey.${key.domainName}`, value: `v=DKIM1; k=${type}; p=${p}`, algorithm: type };
}
