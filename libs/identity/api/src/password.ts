import { createHmac } from 'node:crypto';
import { bcryptCompare, bcryptHash } from './hashing-threads';

/**
 * SECURITY.md A4: bcrypt reads only 72 bytes, so the password is first reduced to a fixed-size
 * HMAC-SHA-256 under a server-side pepper (NFC-normalised, so the same typed text always matches).
 * bcrypt runs on hashing threads of its own, at a lower CPU priority, and never blocks the event
 * loop (A8; hashing-threads.ts).
 */
function prehash(pepper: string, password: string): string {
  return createHmac('sha256', pepper).update(password.normalize('NFC'), 'utf8').digest('base64');
}

export async function hashPassword(pepper: string, password: string, cost: number): Promise<string> {
  return bcryptHash(prehash(pepper, password), cost);
}

export async function verifyPassword(pepper: string, password: string, hash: string): Promise<boolean> {
  return bcryptCompare(prehash(pepper, password), hash);
}

/** A7: hashes made with a lower cost are upgraded at the next successful sign-in. */
export function needsRehash(hash: string, cost: number): boolean {
  const m = /^\$2[aby]\$(\d{2})\$/.exec(hash);
  return !m || Number(m[1]) < cost;
}

let dummy: Promise<string> | undefined;
/** A9: unknown users cost a real compare too, so timing does not tell who exists. */
export function dummyHash(pepper: string, cost: number): Promise<string> {
  return (dummy ??= hashPassword(pepper, 'not a real password: timing equaliser', cost));
}
