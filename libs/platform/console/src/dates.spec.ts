import { describe, expect, it } from '@jest/globals';
import { formatDateTime, fromNow } from './dates';

describe('dates in the reader’s locale and time zone', () => {
  it('says how long ago', () => {
    const now = Date.parse('2026-11-21T10:00:00Z');
    expect(fromNow('2026-11-21T09:57:00Z', now)).toMatch(/3 minutes ago/);
    expect(fromNow('2026-11-22T02:00:00Z', now)).toMatch(/in 16 hours/);
    expect(fromNow('2026-11-20T10:00:00Z', now)).toMatch(/yesterday/);
  });
  it('shows a date and time without seconds or the raw ISO form', () => {
    const shown = formatDateTime('2026-11-21T09:57:31Z');
    expect(shown).not.toMatch(/T09|Z$|:31/);
    expect(shown).toMatch(/2026/);
  });
});
