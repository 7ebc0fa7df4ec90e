import { checkPassword, contextWordsFor, type PasswordRules } from './password-policy';

const common = new Set(['password', 'qwertyuiop123', 'correcthorsebatterystaple']);
const rules = (over: Partial<PasswordRules> = {}): PasswordRules => ({
  minLength: 12,
  contextWords: contextWordsFor('Acme Widgets', 'acme', 'jane.doe@acme.test'),
  isCommon: (p) => common.has(p),
  ...over,
});

describe('password policy', () => {
  it('A1 refuses 11 characters and accepts 12', () => {
    expect(checkPassword('a'.repeat(5) + 'b'.repeat(6), rules()).problems).toEqual(['tooShort']);
    expect(checkPassword('a'.repeat(5) + 'b'.repeat(7), rules()).ok).toBe(true);
    expect(checkPassword('x'.repeat(15), rules({ minLength: 16 })).problems).toEqual(['tooShort']);
  });

  it('A2 accepts 128 characters with spaces and Unicode, refuses 129', () => {
    const p = 'ü'.repeat(121) + ' 💡 😀 x';
    expect([...p].length).toBe(127);
    expect(checkPassword(p + 'y', rules()).ok).toBe(true);
    expect(checkPassword(p + 'yz', rules()).problems).toEqual(['tooLong']);
  });

  it('A3 has no composition rules: a long lowercase passphrase passes', () => {
    expect(checkPassword('sunlit meadow under quiet rain', rules()).ok).toBe(true);
  });

  it('A5 refuses common passwords, with or without spaces and in any case', () => {
    expect(checkPassword('Correct Horse Battery Staple', rules()).problems).toContain('common');
    expect(checkPassword('QWERTYUIOP123', rules()).problems).toContain('common');
  });

  it('A5 refuses context words: tenant name, product name, email local part', () => {
    for (const p of ['widgets are my life', 'my bulwark password', 'jane doe forever and ever', 'acme acme acme acme']) {
      expect(checkPassword(p, rules()).problems).toContain('contextWord');
    }
  });

  it('scores accepted passwords by length for the meter', () => {
    expect(checkPassword('short', rules()).score).toBe(0);
    expect(checkPassword('twelve chars', rules()).score).toBe(1);
    expect(checkPassword('a considerably longer passphrase', rules()).score).toBe(4);
  });
});
