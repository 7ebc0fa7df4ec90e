import { convert } from 'html-to-text';
import sanitizeHtml from 'sanitize-html';

/**
 * Formatting people may store (E8): text structure, emphasis, lists, quotes, code and links. No
 * script, style, event handler, image, frame or form survives, and links keep only web and mail
 * schemes (no `javascript:`), open in a new tab without the opener and pass no ranking.
 */
export const RICH_TEXT_HTML: sanitizeHtml.IOptions = {
  allowedTags: ['p', 'br', 'div', 'span', 'strong', 'b', 'em', 'i', 'u', 's', 'a', 'ul', 'ol', 'li', 'blockquote', 'pre', 'code', 'h1', 'h2', 'h3', 'hr', 'table', 'thead', 'tbody', 'tr', 'th', 'td'],
  allowedAttributes: { a: ['href', 'title'] },
  allowedSchemes: ['https', 'http', 'mailto'],
  disallowedTagsMode: 'discard',
  // Deeper nesting is flattened: no one writes 50 levels, and thousands overflow the stack of
  // what reads the HTML next (the plain-text conversion), a 5xx for a 20 KB body (E9).
  nestingLimit: 50,
  transformTags: { a: sanitizeHtml.simpleTransform('a', { rel: 'noopener noreferrer nofollow', target: '_blank' }) },
};
// The transform adds these two after the check; they are ours, so they are allowed on output.
const STORED: sanitizeHtml.IOptions = { ...RICH_TEXT_HTML, allowedAttributes: { a: ['href', 'title', 'rel', 'target'] } };

/** Sanitized HTML (maintained sanitizer, allowlist above), or null when nothing readable is left. */
export function sanitizeRichText(html: string): string {
  return sanitizeHtml(html, STORED).trim();
}

/** The plain text of (sanitized) HTML: paragraphs and line breaks kept, links as "text [url]". */
export function richTextToPlain(html: string): string {
  return convert(html, {
    wordwrap: false,
    selectors: [
      { selector: 'a', options: { hideLinkHrefIfSameAsText: true } },
      { selector: 'h1', options: { uppercase: false } },
      { selector: 'h2', options: { uppercase: false } },
      { selector: 'h3', options: { uppercase: false } },
      { selector: 'table', format: 'dataTable' },
    ],
  }).trim();
}

/**
 * Whether a person would see nothing: only spaces and invisible characters (zero-width spaces,
 * joiners, direction marks: Unicode's "format" characters), which `trim()` keeps.
 */
export function isBlank(text: string): boolean {
  return /^[\s\p{Cf}]*$/u.test(text);
}

/** A body as stored: plain `body` always, and sanitized `bodyHtml` when it was written as HTML. */
export interface RichBody {
  body: string;
  bodyHtml: string | null;
}

/**
 * What an input's `body` (plain text) or `htmlBody` (formatted) becomes when stored; exactly one
 * of them is given. Null when the HTML held nothing but what the sanitizer removed.
 */
export function richBody(input: { body?: string | null; htmlBody?: string | null }): RichBody | null {
  if (input.htmlBody != null) {
    const bodyHtml = sanitizeRichText(input.htmlBody);
    const body = richTextToPlain(bodyHtml);
    return isBlank(body) ? null : { body, bodyHtml };
  }
  const body = input.body ?? '';
  return isBlank(body) ? null : { body, bodyHtml: null };
}
