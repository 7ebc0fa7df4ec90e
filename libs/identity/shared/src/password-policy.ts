/**
 * The password rules, one implementation for both sides: the server enforces them when a
 * password is set (SECURITY.md A1, A2, A3, A5) and the console's strength meter shows the same
 * verdict while typing. No composition rules (A3): length, the common/breached list and context
 * words decide.
 */
export const PASSWORD_MAX = 128;
export const PASSWORD_MIN_DEFAULT = 12;

export interface PasswordRules {
  minLength: number;
  /** Words a password may not contain: tenant name and slug, product name, email local part. */
  contextWords: string[];
  /** The common-password list (lower-case); loaded by the caller so the browser can fetch it lazily. */
  isCommon: (lowerCased: string) => boolean;
}

export type PasswordProblem = 'tooShort' | 'tooLong' | 'common' | 'contextWord';

export interface PasswordVerdict {
  ok: boolean;
  problems: PasswordProblem[];
  /** A human sentence per problem, for forms and API errors. */
  messages: string[];
  /** 0..4 for a meter: 0 refused, then by length beyond the minimum. */
  score: 0 | 1 | 2 | 3 | 4;
}

/** Length in characters as people count them (code points of the NFC form), not UTF-16 units. */
export const passwordLength = (p: string) => [...p.normalize('NFC')].length;

export function contextWordsFor(...sources: (string | null | undefined)[]): string[] {
  const words = new Set<string>(['bulwark']);
  for (const s of sources) {
    if (!s) continue;
    const local = s.includes('@') ? s.slice(0, s.indexOf('@')) : s;
    for (const w of local.toLowerCase().split(/[^\p{L}\p{N}]+/u)) if (w.length >= 4) words.add(w);
  }
  return [...words];
}

export function checkPassword(password: string, rules: PasswordRules): PasswordVerdict {
  const problems: PasswordProblem[] = [];
  const messages: string[] = [];
  const length = passwordLength(password);
  if (length < rules.minLength) {
    problems.push('tooShort');
    messages.push(`Use at least ${rules.minLength} characters`);
  }
  if (length > PASSWORD_MAX) {
    problems.push('tooLong');
    messages.push(`Use at most ${PASSWORD_MAX} characters`);
  }
  const lower = password.normalize('NFC').toLowerCase();
  const squeezed = lower.replace(/\s+/g, '');
  if (rules.isCommon(lower) || rules.isCommon(squeezed)) {
    problems.push('common');
    messages.push('This password is too common: it appears in lists of breached passwords');
  }
  const word = rules.contextWords.find((w) => squeezed.includes(w.toLowerCase()));
  if (word) {
    problems.push('contextWord');
    messages.push(`Do not use "${word}" in your password`);
  }
  const ok = problems.length === 0;
  const score = !ok ? 0 : length >= rules.minLength + 12 ? 4 : length >= rules.minLength + 6 ? 3 : length >= rules.minLength + 2 ? 2 : 1;
  return { ok, problems, messages, score: score as PasswordVerdict['score'] };
}
