/**
 * Plain formatting for the backups screens: a cron expression in words (common forms only; the
 * server computes the actual run times), sizes, durations and hashes.
 */

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAY_NAMES: Record<string, number> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };
const MONTH_NAMES: Record<string, number> = Object.fromEntries(MONTHS.map((m, i) => [m.slice(0, 3).toLowerCase(), i + 1]));

/** A list of words as a sentence: "a", "a and b", "a, b and c". */
const and = (items: string[]) => (items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`);

export const ordinal = (n: number) => {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : ({ 1: 'st', 2: 'nd', 3: 'rd' } as Record<number, string>)[n % 10] ?? 'th';
  return `${n}${suffix}`;
};

const pad = (n: number) => String(n).padStart(2, '0');

/**
 * The values a cron field lists (`1,3,5`, `1-5`, `*\/6`, names), or null when it is something
 * else (L, W, #, out of range). `*` is 'all'.
 */
function values(field: string, min: number, max: number, names: Record<string, number> = {}): number[] | 'all' | null {
  if (field === '*') return 'all';
  const num = (s: string) => {
    const v = /^\d+$/.test(s) ? Number(s) : names[s.toLowerCase()];
    return v !== undefined && v >= min && v <= max ? v : null;
  };
  const out = new Set<number>();
  for (const part of field.split(',')) {
    const m = /^(\*|[a-z0-9]+)(?:-([a-z0-9]+))?(?:\/(\d+))?$/i.exec(part);
    if (!m) return null;
    const step = m[3] ? Number(m[3]) : 1;
    if (step < 1) return null;
    const from = m[1] === '*' ? min : num(m[1]);
    const to = m[2] !== undefined ? num(m[2]) : m[1] === '*' || m[3] ? max : from;
    if (from === null || to === null || to < from) return null;
    for (let v = from; v <= to; v += step) out.add(v);
  }
  return [...out].sort((a, b) => a - b);
}

function dayPart(dom: number[] | 'all', month: number[] | 'all', dow: number[] | 'all'): string | null {
  if (dom === 'all' && month === 'all') {
    if (dow === 'all') return 'every day';
    const days = [...new Set(dow.map((d) => d % 7))].sort((a, b) => a - b);
    if (days.length === 7) return 'every day';
    if (days.join() === '1,2,3,4,5') return 'every weekday (Monday to Friday)';
    if (days.join() === '0,6') return 'every Saturday and Sunday';
    // Monday first, as people read a week.
    return `every ${and([...days.filter((d) => d > 0), ...days.filter((d) => d === 0)].map((d) => DAYS[d]))}`;
  }
  if (dow !== 'all' || dom === 'all') return null; // both restricted means "either", which reads badly
  const days = `the ${and(dom.map(ordinal))}`;
  if (month === 'all') return `on ${days} of every month`;
  if (dom.length === 1) return `every year on ${and(month.map((m) => `${dom[0]} ${MONTHS[m - 1]}`))}`;
  return `on ${days} of ${and(month.map((m) => MONTHS[m - 1]))}`;
}

/**
 * A five-field cron expression in words, e.g. "every day at 02:00" or "every Monday at 03:30";
 * null for forms it does not know (show the expression itself then).
 */
export function describeCron(cron: string): string | null {
  const f = cron.trim().split(/\s+/);
  if (f.length !== 5) return null;
  const minute = values(f[0], 0, 59);
  const hour = values(f[1], 0, 23);
  const dom = values(f[2], 1, 31);
  const month = values(f[3], 1, 12, MONTH_NAMES);
  const dow = values(f[4], 0, 7, DAY_NAMES);
  if (!minute || minute === 'all' || minute.length !== 1 || !hour || !dom || !month || !dow) return null;
  const m = minute[0];
  const days = dayPart(dom, month, dow);
  if (!days) return null;
  if (hour === 'all' || hour.length === 24) {
    const hourly = m === 0 ? 'every hour, on the hour' : `every hour at minute ${m}`;
    return days === 'every day' ? hourly : `${days}, ${hourly}`;
  }
  if (hour.length > 6) {
    // A regular step through the day ("*/2"): say the step rather than list a dozen times.
    const step = hour[1] - hour[0];
    if (!hour.every((h, i) => h === hour[0] + i * step) || hour[hour.length - 1] + step < 24) return null;
    const every = `every ${step} hours from ${pad(hour[0])}:${pad(m)}`;
    return days === 'every day' ? every : `${days}, ${every}`;
  }
  return `${days} at ${and(hour.map((h) => `${pad(h)}:${pad(m)}`))}`;
}

/** "Every day at 02:00", or the expression itself when it is not a common form. */
export const cronInWords = (cron: string) => {
  const d = describeCron(cron);
  return d ? d[0].toUpperCase() + d.slice(1) : `Custom schedule: ${cron.trim()}`;
};

const UNITS = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];

/** 4720 → "4.6 KiB" (binary units, as storage tools report them). */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return '—';
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  if (u === 0) return `${v} ${v === 1 ? 'byte' : 'bytes'}`;
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${UNITS[u]}`;
}

/** 0.078 → "78 ms", 12.34 → "12.3 s", 125 → "2 min 5 s", 3720 → "1 h 2 min". */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return '—';
  if (seconds < 1) return `${Math.max(1, Math.round(seconds * 1000))} ms`;
  if (seconds < 60) return `${seconds < 10 ? seconds.toFixed(1) : Math.round(seconds)} s`;
  const s = Math.round(seconds);
  if (s < 3600) return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''}`;
  const min = Math.round(s / 60);
  return `${Math.floor(min / 60)} h${min % 60 ? ` ${min % 60} min` : ''}`;
}

/** The first 12 hex digits: enough to tell files apart at a glance (the full hash is on hover). */
export const shortHash = (sha256: string) => `${sha256.slice(0, 12)}…`;

/** "ticket_comments" → "Ticket comments". */
export const tableLabel = (table: string) => {
  const words = table.replace(/_/g, ' ');
  return words[0].toUpperCase() + words.slice(1);
};

/** A GPG fingerprint in groups of four, as `gpg --fingerprint` prints it. */
export const groupFingerprint = (fp: string) => fp.replace(/\s+/g, '').toUpperCase().replace(/(.{4})(?=.)/g, '$1 ');
