import { cron, crontab, every, type Schedule } from '../../../src/beat';

/** The next `count` fire times after `from`, as ISO strings. */
function nextTimes(schedule: Schedule, from: string, count: number): string[] {
  const times: string[] = [];
  let at = new Date(from);
  for (let i = 0; i < count; i++) {
    at = schedule.next(at);
    times.push(at.toISOString());
  }
  return times;
}

describe('cron(): standard cron semantics', () => {
  it('fires on a day matching EITHER day-of-month or day-of-week when both are restricted (Vixie cron)', () => {
    expect(nextTimes(cron('0 0 1 * mon'), '2026-05-01T00:00:00Z', 3)).toEqual([
      '2026-05-04T00:00:00.000Z', // Monday
      '2026-05-11T00:00:00.000Z',
      '2026-05-18T00:00:00.000Z',
    ]);
    expect(nextTimes(cron('0 0 1 * mon'), '2026-05-25T12:00:00Z', 2)).toEqual(['2026-06-01T00:00:00.000Z', '2026-06-08T00:00:00.000Z']);
  });

  it('returns the first fire time strictly after the given instant', () => {
    expect(cron('0 3 * * *').next(new Date('2026-01-10T03:00:00Z')).toISOString()).toBe('2026-01-11T03:00:00.000Z');
    expect(cron('0 3 * * *').next(new Date('2026-01-10T02:59:59.999Z')).toISOString()).toBe('2026-01-10T03:00:00.000Z');
    expect(cron('0 3 * * *').next(new Date('2026-01-10T03:00:00.500Z')).toISOString()).toBe('2026-01-11T03:00:00.000Z');
  });

  it('takes 6 fields with seconds first', () => {
    expect(nextTimes(cron('*/20 * * * * *'), '2026-01-10T03:00:05Z', 3)).toEqual([
      '2026-01-10T03:00:20.000Z',
      '2026-01-10T03:00:40.000Z',
      '2026-01-10T03:01:00.000Z',
    ]);
  });

  it('reads the fields in the given IANA zone (UTC by default)', () => {
    const berlin = cron('0 3 * * *', { timezone: 'Europe/Berlin' });
    expect(berlin.timezone).toBe('Europe/Berlin');
    expect(berlin.next(new Date('2026-01-10T00:00:00Z')).toISOString()).toBe('2026-01-10T02:00:00.000Z'); // CET, UTC+1
    expect(berlin.next(new Date('2026-07-10T00:00:00Z')).toISOString()).toBe('2026-07-10T01:00:00.000Z'); // CEST, UTC+2
    expect(cron('0 3 * * *').timezone).toBe('UTC');
  });

  it('handles month ends and leap days', () => {
    expect(nextTimes(cron('0 0 31 * *'), '2026-04-01T00:00:00Z', 2)).toEqual(['2026-05-31T00:00:00.000Z', '2026-07-31T00:00:00.000Z']);
    expect(nextTimes(cron('0 12 29 2 *'), '2026-01-01T00:00:00Z', 2)).toEqual(['2028-02-29T12:00:00.000Z', '2032-02-29T12:00:00.000Z']);
  });
});

describe('daylight saving time (Europe/Berlin: 2026-03-29 02:00 → 03:00, 2026-10-25 03:00 → 02:00)', () => {
  const zone = { timezone: 'Europe/Berlin' };

  it('spring forward: a local time that does not exist fires once, right after the jump; no day is skipped', () => {
    expect(nextTimes(cron('30 2 * * *', zone), '2026-03-27T12:00:00Z', 4)).toEqual([
      '2026-03-28T01:30:00.000Z', // 02:30 CET
      '2026-03-29T01:00:00.000Z', // 02:30 does not exist: 03:00 CEST, right after the jump
      '2026-03-30T00:30:00.000Z', // 02:30 CEST
      '2026-03-31T00:30:00.000Z',
    ]);
  });

  it('fall back: a local time that occurs twice fires once, at its first occurrence; no day is doubled', () => {
    expect(nextTimes(cron('30 2 * * *', zone), '2026-10-24T12:00:00Z', 3)).toEqual([
      '2026-10-25T00:30:00.000Z', // 02:30 CEST (the first 02:30)
      '2026-10-26T01:30:00.000Z', // 02:30 CET the next day; not the second 02:30 on the 25th
      '2026-10-27T01:30:00.000Z',
    ]);
  });

  it('a fixed list of hours is fixed-time too (Vixie cron), so it fires after the gap instead of skipping', () => {
    expect(nextTimes(cron('30 2,14 * * *', zone), '2026-03-28T12:00:00Z', 3)).toEqual([
      '2026-03-28T13:30:00.000Z',
      '2026-03-29T01:00:00.000Z',
      '2026-03-29T12:30:00.000Z',
    ]);
  });

  it('an interval schedule runs in real time: through the repeated hour, never doubling a real instant', () => {
    const times = nextTimes(cron('*/30 * * * *', zone), '2026-10-24T23:45:00Z', 6);
    expect(times).toEqual([
      '2026-10-25T00:00:00.000Z', // 02:00 CEST
      '2026-10-25T00:30:00.000Z', // 02:30 CEST
      '2026-10-25T01:00:00.000Z', // 02:00 CET (the hour again, an hour later in real time)
      '2026-10-25T01:30:00.000Z', // 02:30 CET
      '2026-10-25T02:00:00.000Z', // 03:00 CET
      '2026-10-25T02:30:00.000Z',
    ]);
  });

  it('crontab() follows the same rules', () => {
    expect(crontab({ minute: 30, hour: 2 }, zone).next(new Date('2026-03-28T12:00:00Z')).toISOString()).toBe('2026-03-29T01:00:00.000Z');
  });
});

describe("crontab(): Celery's semantics", () => {
  it('requires every given field to match, day-of-month AND day-of-week (Celery 5.2)', () => {
    expect(nextTimes(crontab({ minute: 0, hour: 0, dayOfMonth: 1, dayOfWeek: 1 }), '2026-05-01T00:00:00Z', 3)).toEqual([
      '2026-06-01T00:00:00.000Z',
      '2027-02-01T00:00:00.000Z',
      '2027-03-01T00:00:00.000Z',
    ]);
  });

  it('takes numbers, cron field strings, names and lists; day 0 and sun are Sunday', () => {
    expect(nextTimes(crontab({ minute: '30', hour: 7, dayOfWeek: 'mon-fri' }), '2026-05-01T08:00:00Z', 3)).toEqual([
      '2026-05-04T07:30:00.000Z', // Friday 08:00 → Monday
      '2026-05-05T07:30:00.000Z',
      '2026-05-06T07:30:00.000Z',
    ]);
    expect(crontab({ minute: 0, hour: 0, dayOfWeek: 0 }).next(new Date('2026-05-01T00:00:00Z')).toISOString()).toBe(
      '2026-05-03T00:00:00.000Z',
    );
    expect(crontab({ minute: 0, hour: 0, dayOfWeek: 'sun' }).next(new Date('2026-05-01T00:00:00Z')).toISOString()).toBe(
      '2026-05-03T00:00:00.000Z',
    );
    expect(nextTimes(crontab({ minute: [0, 30], hour: 12 }), '2026-05-01T00:00:00Z', 2)).toEqual([
      '2026-05-01T12:00:00.000Z',
      '2026-05-01T12:30:00.000Z',
    ]);
    expect(crontab({ minute: '*/15' }).next(new Date('2026-05-01T00:07:00Z')).toISOString()).toBe('2026-05-01T00:15:00.000Z');
  });

  it('differs from cron() exactly where the day rule differs', () => {
    const from = new Date('2026-05-01T00:00:00Z');
    expect(cron('0 0 1 * 1').next(from).toISOString()).toBe('2026-05-04T00:00:00.000Z');
    expect(crontab({ minute: 0, hour: 0, dayOfMonth: 1, dayOfWeek: 1 }).next(from).toISOString()).toBe('2026-06-01T00:00:00.000Z');
  });
});

describe('every()', () => {
  it('fires on slots aligned to the Unix epoch, strictly after the given instant', () => {
    expect(nextTimes(every(10), '2026-05-01T00:00:03Z', 3)).toEqual([
      '2026-05-01T00:00:10.000Z',
      '2026-05-01T00:00:20.000Z',
      '2026-05-01T00:00:30.000Z',
    ]);
    expect(every(10).next(new Date('2026-05-01T00:00:10Z')).toISOString()).toBe('2026-05-01T00:00:20.000Z');
    expect(every(3600).next(new Date('2026-05-01T00:30:00Z')).toISOString()).toBe('2026-05-01T01:00:00.000Z');
  });
});

describe('mistakes, each with a message that says what to write', () => {
  it.each([
    [() => cron('61 * * * *'), /cron\("61 \* \* \* \*"\)/],
    [() => cron('* * *'), /expected 5 fields .* found 3/],
    [() => cron(''), /must be a cron string/],
    [() => cron('0 3 * * *', { timezone: 'Europe/Berln' }), /unknown time zone "Europe\/Berln".*IANA/],
    [() => every(0), /every\(seconds\): seconds must be a number ≥ 1, found 0/],
    [() => every(Number.NaN), /found NaN/],
    [() => crontab({ minutes: 5 } as never), /unknown field 'minutes'.*minute, hour, dayOfWeek/],
    [() => crontab({ hour: 'seven' }), /crontab/],
    [() => crontab({ minute: -1 }), /minute must be a whole number ≥ 0, found -1/],
    [() => crontab({ minute: '1 2' }), /one cron field/],
  ])('%#', (make, message) => {
    expect(make).toThrow(expect.objectContaining({ code: 'INVALID_SCHEDULE', message: expect.stringMatching(message) }));
  });
});
