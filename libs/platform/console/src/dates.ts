/*
 * Dates as the person reading them expects: in their browser's language and time zone (the
 * `undefined` locale and no `timeZone` option), the same way on every page. The API sends UTC
 * ISO strings; nothing here shows them raw.
 */

const full = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const day = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });

/** "7 Dec 2026, 16:33" (or "Dec 7, 2026, 4:33 PM", as the reader's locale writes it). */
export const formatDateTime = (iso: string | Date) => full.format(new Date(iso));
/** "7 Dec 2026". */
export const formatDate = (iso: string | Date) => day.format(new Date(iso));

// Words, not a format: in the console's language (English), or a German browser would read
// "last active vor 14 Sekunden". Dates and times themselves keep the reader's format above.
const relative = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
const STEPS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['second', 60],
  ['minute', 60],
  ['hour', 24],
  ['day', 30],
  ['month', 12],
  ['year', Infinity],
];

/** "3 minutes ago", "in 5 hours", "yesterday". */
export function fromNow(iso: string | Date, now = Date.now()): string {
  let v = (new Date(iso).getTime() - now) / 1000;
  for (const [unit, size] of STEPS) {
    if (Math.abs(v) < size) return relative.format(Math.round(v), unit);
    v /= size;
  }
  return relative.format(Math.round(v), 'year');
}
