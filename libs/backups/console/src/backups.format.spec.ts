import { describe, expect, it } from '@jest/globals';
import { cronInWords, describeCron, formatBytes, formatDuration, groupFingerprint, ordinal, shortHash, tableLabel } from './backups.format';

describe('describeCron', () => {
  it.each([
    ['0 2 * * *', 'every day at 02:00'],
    ['30 3 * * 1', 'every Monday at 03:30'],
    ['30 3 * * MON', 'every Monday at 03:30'],
    ['0 4 * * 0', 'every Sunday at 04:00'],
    ['0 4 * * 7', 'every Sunday at 04:00'],
    ['15 1 * * 1-5', 'every weekday (Monday to Friday) at 01:15'],
    ['15 1 * * mon-fri', 'every weekday (Monday to Friday) at 01:15'],
    ['0 9 * * 6,0', 'every Saturday and Sunday at 09:00'],
    ['0 22 * * 1,3,5', 'every Monday, Wednesday and Friday at 22:00'],
    ['0 22 * * 0,1', 'every Monday and Sunday at 22:00'],
    ['0 2,14 * * *', 'every day at 02:00 and 14:00'],
    ['0 */6 * * *', 'every day at 00:00, 06:00, 12:00 and 18:00'],
    ['0 * * * *', 'every hour, on the hour'],
    ['10 */2 * * *', 'every 2 hours from 00:10'],
    ['0 1-23/2 * * 6', 'every Saturday, every 2 hours from 01:00'],
    ['20 * * * *', 'every hour at minute 20'],
    ['0 * * * 1-5', 'every weekday (Monday to Friday), every hour, on the hour'],
    ['0 3 1 * *', 'on the 1st of every month at 03:00'],
    ['0 3 1,15 * *', 'on the 1st and 15th of every month at 03:00'],
    ['0 3 1 1 *', 'every year on 1 January at 03:00'],
    ['0 3 1 jan,jul *', 'every year on 1 January and 1 July at 03:00'],
    ['0 3 1,2 1 *', 'on the 1st and 2nd of January at 03:00'],
    ['  0   2 * * * ', 'every day at 02:00'],
  ])('%s → %s', (cron, words) => expect(describeCron(cron)).toBe(words));

  it.each(['*/5 * * * *', '0 2 * *', '0 2 * * * *', '0 2 L * *', '0 2 1 * 1', '0 0,1,2,3,4,5,9 * * *', '0 2 * * 9', 'nonsense cron', '0 25 * * *', '0-30 2 * * *'])(
    'leaves %s to the expression itself',
    (cron) => expect(describeCron(cron)).toBeNull(),
  );

  it('capitalises, or falls back to the raw expression', () => {
    expect(cronInWords('0 2 * * *')).toBe('Every day at 02:00');
    expect(cronInWords('0 2 L * *')).toBe('Custom schedule: 0 2 L * *');
  });
});

describe('formatting', () => {
  it('reads sizes in binary units', () => {
    expect(formatBytes(null)).toBe('—');
    expect(formatBytes(1)).toBe('1 byte');
    expect(formatBytes(900)).toBe('900 bytes');
    expect(formatBytes(4720)).toBe('4.6 KiB');
    expect(formatBytes(50 * 1024 * 1024)).toBe('50 MiB');
    expect(formatBytes(3.25 * 1024 ** 3)).toBe('3.3 GiB');
  });
  it('reads durations', () => {
    expect(formatDuration(null)).toBe('—');
    expect(formatDuration(0.078)).toBe('78 ms');
    expect(formatDuration(0)).toBe('1 ms');
    expect(formatDuration(4.25)).toBe('4.3 s');
    expect(formatDuration(42.4)).toBe('42 s');
    expect(formatDuration(125)).toBe('2 min 5 s');
    expect(formatDuration(120)).toBe('2 min');
    expect(formatDuration(3720)).toBe('1 h 2 min');
  });
  it('shortens hashes, labels tables, groups fingerprints, counts ordinals', () => {
    expect(shortHash('028f26a9a797a94c582bfe847e226a786fbab72def59447c193325625103f5b0')).toBe('028f26a9a797…');
    expect(tableLabel('ticket_comments')).toBe('Ticket comments');
    expect(groupFingerprint('abcd1234abcd1234')).toBe('ABCD 1234 ABCD 1234');
    expect([1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 31].map(ordinal).join(' ')).toBe('1st 2nd 3rd 4th 11th 12th 13th 21st 22nd 23rd 31st');
  });
});
