import { REPLY_ABOVE } from './templates';

/**
 * The new text of a reply, without the history mail clients quote under it: a comment should say
 * what the person wrote now, not repeat the whole thread. Cuts at the first of
 * - an attribution line, "On <date>, <someone> wrote:" (also wrapped over two lines, and the
 *   French, German, Spanish, Italian, Dutch and Portuguese forms);
 * - Outlook's "-----Original Message-----", or its header block ("From:" followed by "Sent:" or
 *   "Date:" and "To:" or "Subject:" within a few lines), with the rule line above it if any;
 * - a signature separator ("-- " on its own line);
 * - the line our own mail puts above what it quotes (REPLY_ABOVE in templates.ts), quoted or not;
 * and drops every remaining line quoted with ">". When nothing would be left (a message that
 * is all quote), the text is kept as it came rather than filing an empty comment.
 */
const ATTRIBUTION = /^(on|le|am|el|il|op|em)\b.{0,300}\b(wrote|a écrit|schrieb|escribió|ha scritto|schreef|escreveu)\s?:\s*$/i;
/** German puts the verb before the name: "Am 07.12.2026 um 10:00 schrieb Acme <a@b>:". */
const ATTRIBUTION_DE = /^am\s.{0,200}\sschrieb\s.{0,300}:\s*$/i;
const ORIGINAL = /^\s*-{2,}\s*(original message|ursprüngliche nachricht|message d'origine|mensaje original|messaggio originale)\s*-{2,}\s*$/i;
const HEADER = /^\s*\*?(from|von|de|da|van)\s*:\*?\s/i;
const HEADER_NEXT = /^\s*\*?(sent|date|to|subject|gesendet|datum|an|betreff|envoyé|à|objet|enviado|para|asunto|cc)\s*:\*?/i;
const RULE = /^\s*_{10,}\s*$/;

export function trimQuoted(text: string): string {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  let end = lines.length;
  for (let i = 0; i < lines.length && end === lines.length; i++) {
    const line = lines[i];
    const joined = i + 1 < lines.length ? `${line} ${lines[i + 1]}` : line;
    if (ATTRIBUTION.test(line.trim()) || ATTRIBUTION_DE.test(line.trim()) || (/^(on|le|am|el|il|op|em)\b/i.test(line.trim()) && ATTRIBUTION.test(joined.trim()))) end = i;
    else if (ORIGINAL.test(line) || line === '-- ' || line === '--' || line.includes(REPLY_ABOVE)) end = i;
    else if (HEADER.test(line) && lines.slice(i + 1, i + 5).filter((l) => HEADER_NEXT.test(l)).length >= 2) end = i > 0 && RULE.test(lines[i - 1]) ? i - 1 : i;
  }
  const kept = lines.slice(0, end).filter((l) => !/^\s*>/.test(l));
  const result = kept.join('\n').replace(/\s+$/, '').replace(/^\s*\n/, '');
  return result.trim() ? result : text.trim();
}
