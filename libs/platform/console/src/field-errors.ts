/**
 * The API's BAD_USER_INPUT answer names the inputs it refused (`extensions.fields`), but the note
 * per field is written for programs, not people: a short code ("out of range", "not https"), or,
 * from input validation, class-validator's sentence that starts with the property's name
 * ("webhookUrl must be a URL address"). Shown under its field, a note needs neither: these turn
 * each into a sentence a person can act on, with no internal names.
 */

/** "out of range", "unknown role", "self-lockout": a code, not a sentence. */
const CODE = /^[a-z][a-z -]*$/;

/** `webhookUrl` → "Webhook URL"; `rules.0.cidr` → "Cidr" (the last name in the path). */
export function fieldLabel(path: string): string {
  const last = path
    .split('.')
    .filter((s) => !/^\d+$/.test(s))
    .pop() ?? path;
  const words = last
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .toLowerCase()
    .replace(/\b(url|id|ip|api|sso|saml|oidc|jwt|smtp|cidr)\b/g, (w) => w.toUpperCase());
  return words.charAt(0).toUpperCase() + words.slice(1);
}

const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/**
 * One field's note in words. `message` is the server's sentence for the whole answer, which is
 * what a code stands for ("The webhook URL must be https" for `webhookUrl: 'not https'`).
 */
export function fieldReasonInWords(path: string, reason: string, message: string): string {
  const property = path.split('.').pop() ?? path;
  // class-validator: "subject must be shorter than or equal to 200 characters; subject should not be empty"
  const validator = reason
    .split('; ')
    .map((part) => (part.startsWith(`${property} `) ? part.slice(property.length + 1) : null));
  if (validator.every((p) => p !== null)) return validator.map((p) => capital(validatorWords(p as string))).join('. ');
  if (CODE.test(reason.trim())) return message === 'Invalid input' ? 'This value is not accepted' : message;
  return reason;
}

/** class-validator's English, in ours ("should not be empty" is what a person fills in). */
function validatorWords(s: string): string {
  if (/^should not be empty$/.test(s)) return 'please fill this in';
  const max = /^must be shorter than or equal to (\d+) characters$/.exec(s);
  if (max) return `at most ${max[1]} characters`;
  const min = /^must be longer than or equal to (\d+) characters$/.exec(s);
  if (min) return `at least ${min[1]} characters`;
  if (/^must be an email$/.test(s)) return 'enter an email address, like name@example.com';
  if (/^must be a UUID$/.test(s)) return 'choose one from the list';
  return s;
}

/** Every field's note in words, keyed as the form names its inputs (without the `input.` prefix). */
export function fieldMessagesInWords(fields: Record<string, string> | undefined, message: string): Record<string, string> {
  return Object.fromEntries(Object.entries(fields ?? {}).map(([path, reason]) => [path.replace(/^input\./, ''), fieldReasonInWords(path, reason, message)]));
}

/**
 * The whole answer in one sentence, for a notice: the server's own, and when it is only the
 * generic "Invalid input", which fields and why ("Webhook URL: must be a URL address").
 */
export function errorSentence(message: string, words: Record<string, string>): string {
  const entries = Object.entries(words);
  if (message !== 'Invalid input' || !entries.length) {
    // Notes that are sentences of their own (each bad range of a list) say more than the summary.
    const own = entries.map(([, w]) => w).filter((w) => w !== message && w !== 'This value is not accepted');
    return own.length ? `${message}: ${[...new Set(own)].join('; ')}` : message;
  }
  return `Please check these: ${entries.map(([path, w]) => `${fieldLabel(path)}: ${w.charAt(0).toLowerCase()}${w.slice(1)}`).join('; ')}`;
}

/** `rules.0.cidr` → `{ rules: { 0: { cidr } } }`, the shape of react-hook-form's paths. */
export function nestFieldErrors(flat: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [path, message] of Object.entries(flat)) {
    const keys = path.split('.');
    let at = out;
    for (const k of keys.slice(0, -1)) at = (at[k] ??= {}) as Record<string, unknown>;
    at[keys[keys.length - 1]] = message;
  }
  return out;
}
