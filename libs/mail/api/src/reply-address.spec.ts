import { loadConfig } from '@bulwark/platform-api';
import { randomUUID } from 'node:crypto';
import { readReplyToken, replyAddress, replyToken } from './reply-address';

const config = loadConfig({ BULWARK_DATA_DIR: '/nonexistent', BULWARK_MASTER_KEY: 'k'.repeat(40), BULWARK_PASSWORD_PEPPER: 'p'.repeat(40), BULWARK_MAIL_DOMAIN: 'mail.example.test' });
const other = loadConfig({ BULWARK_DATA_DIR: '/nonexistent', BULWARK_MASTER_KEY: 'x'.repeat(40), BULWARK_PASSWORD_PEPPER: 'p'.repeat(40) });
const tenantA = randomUUID();
const tenantB = randomUUID();
const ticket = randomUUID();

describe('reply addresses', () => {
  it('name the workspace and the domain, and their token reads back to the ticket', () => {
    const address = replyAddress(config, 'acme', tenantA, ticket);
    const m = /^acme\+([a-z2-7]{38})@mail\.example\.test$/.exec(address);
    expect(m).not.toBeNull();
    expect(readReplyToken(config, tenantA, m![1])).toBe(ticket);
  });

  it('survive a mail system that changes the case of the local part', () => {
    expect(readReplyToken(config, tenantA, replyToken(config, tenantA, ticket).toUpperCase())).toBe(ticket);
  });

  it('H5: a token made for one tenant never verifies in another', () => {
    expect(readReplyToken(config, tenantB, replyToken(config, tenantA, ticket))).toBeNull();
  });

  it('refuse an edited ticket part, an edited signature, another master key and junk', () => {
    const token = replyToken(config, tenantA, ticket);
    const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === 'a' ? 'b' : 'a') + s.slice(i + 1);
    expect(readReplyToken(config, tenantA, flip(token, 3))).toBeNull();
    expect(readReplyToken(config, tenantA, flip(token, 30))).toBeNull();
    // The last id character carries two spare bits: a second spelling of the same id is refused too.
    const spare = token.slice(0, 25) + 'abcdefghijklmnopqrstuvwxyz234567'[('abcdefghijklmnopqrstuvwxyz234567'.indexOf(token[25]) ^ 1)] + token.slice(26);
    expect(readReplyToken(config, tenantA, spare)).toBeNull();
    expect(readReplyToken(other, tenantA, token)).toBeNull();
    for (const junk of ['', 'x', token.slice(1), `${token}a`, '0'.repeat(38), `${token.slice(0, 37)}!`]) expect(readReplyToken(config, tenantA, junk)).toBeNull();
  });
});
