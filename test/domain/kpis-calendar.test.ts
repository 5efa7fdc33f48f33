/**
 * The store-local calendar of the KPIs: local dates, the UTC hours a local day spans (DST days,
 * half- and quarter-hour offsets), ISO weeks, months and quarters.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addDays,
  daysOfPeriod,
  granularityOf,
  isLocalDate,
  localDate,
  periodOf,
  periodsBetween,
  periodsOf,
  utcHourOf,
  utcHoursOfLocalDay,
} from '../../functions/domain/kpis.ts';

/** `from`..`to` UTC hours, both included, as `yyyy-mm-ddThh`. */
function hoursFrom(from: string, to: string): string[] {
  const hours: string[] = [];
  for (let ms = Date.parse(`${from}:00:00Z`); ms <= Date.parse(`${to}:00:00Z`); ms += 3_600_000) {
    hours.push(new Date(ms).toISOString().slice(0, 13));
  }
  return hours;
}

describe('localDate', () => {
  it('is the date on the store’s wall clock', () => {
    expect(localDate('2026-11-28T07:59:59.999Z', 'America/Los_Angeles')).toBe('2026-11-27');
    expect(localDate('2026-11-28T08:00:00.000Z', 'America/Los_Angeles')).toBe('2026-11-28');
    expect(localDate('2026-07-01T06:59:59.999Z', 'America/Los_Angeles')).toBe('2026-06-30');
    expect(localDate('2026-07-01T07:00:00.000Z', 'America/Los_Angeles')).toBe('2026-07-01');
    expect(localDate('2026-11-28T23:59:59.999Z', 'UTC')).toBe('2026-11-28');
    expect(localDate('2026-11-28T18:29:59.999Z', 'Asia/Kolkata')).toBe('2026-11-28');
    expect(localDate('2026-11-28T18:30:00.000Z', 'Asia/Kolkata')).toBe('2026-11-29');
    expect(localDate('2026-11-28T18:14:59.999Z', 'Asia/Kathmandu')).toBe('2026-11-28');
    expect(localDate('2026-11-28T18:15:00.000Z', 'Asia/Kathmandu')).toBe('2026-11-29');
  });

  it('reads any RFC 3339 offset', () => {
    expect(localDate('2026-11-28T01:30:00+02:00', 'UTC')).toBe('2026-11-27');
  });

  it('rejects what is not a timestamp, and unknown zones', () => {
    expect(() => localDate('yesterday', 'UTC')).toThrow(RangeError);
    expect(() => localDate('2026-11-28T00:00:00Z', 'Mars/Olympus')).toThrow(RangeError);
  });

  it('agrees with a fresh formatter at every minute around midnights and DST changes', () => {
    const zones = ['America/Los_Angeles', 'Asia/Kathmandu', 'Australia/Lord_Howe', 'Europe/London'];
    const starts = [
      '2026-03-08T06:00:00Z',
      '2026-11-01T06:00:00Z',
      '2026-04-04T12:00:00Z',
      '2026-10-03T13:00:00Z',
    ];
    for (const timeZone of zones) {
      const reference = new Intl.DateTimeFormat('en-CA', { timeZone, dateStyle: 'short' });
      for (const start of starts) {
        for (let minute = 0; minute < 4 * 60; minute += 1) {
          const at = new Date(Date.parse(start) + minute * 60_000).toISOString();
          expect(localDate(at, timeZone), `${at} in ${timeZone}`).toBe(reference.format(new Date(at)));
        }
      }
    }
  });
});

describe('utcHoursOfLocalDay', () => {
  it('is the 24 hours of the date in UTC', () => {
    expect(utcHoursOfLocalDay('2026-11-28', 'UTC')).toEqual(hoursFrom('2026-11-28T00', '2026-11-28T23'));
  });

  it('is shifted by the offset in Los Angeles, and has 23 hours on 2026-03-08 and 25 on 2026-11-01', () => {
    expect(utcHoursOfLocalDay('2026-11-28', 'America/Los_Angeles')).toEqual(
      hoursFrom('2026-11-28T08', '2026-11-29T07'),
    );
    const springForward = utcHoursOfLocalDay('2026-03-08', 'America/Los_Angeles');
    expect(springForward).toHaveLength(23);
    expect(springForward).toEqual(hoursFrom('2026-03-08T08', '2026-03-09T06'));
    const fallBack = utcHoursOfLocalDay('2026-11-01', 'America/Los_Angeles');
    expect(fallBack).toHaveLength(25);
    expect(fallBack).toEqual(hoursFrom('2026-11-01T07', '2026-11-02T07'));
  });

  it('includes the hours shared with the neighbouring days for :30 and :45 offsets', () => {
    expect(utcHoursOfLocalDay('2026-11-28', 'Asia/Kolkata')).toEqual(
      hoursFrom('2026-11-27T18', '2026-11-28T18'),
    );
    expect(utcHoursOfLocalDay('2026-11-28', 'Asia/Kathmandu')).toEqual(
      hoursFrom('2026-11-27T18', '2026-11-28T18'),
    );
    // Lord Howe moves its clocks by 30 minutes: +11:00 until 2026-04-05 02:00, then +10:30.
    expect(utcHoursOfLocalDay('2026-04-05', 'Australia/Lord_Howe')).toEqual(
      hoursFrom('2026-04-04T13', '2026-04-05T13'),
    );
  });

  it('holds the hour of every instant of the day, and only hours that overlap it', () => {
    const zones = ['UTC', 'America/Los_Angeles', 'Asia/Kolkata', 'Asia/Kathmandu', 'Pacific/Kiritimati'];
    fc.assert(
      fc.property(
        fc.constantFrom(...zones),
        fc.integer({ min: Date.parse('2026-01-01T00:00:00Z'), max: Date.parse('2027-12-31T00:00:00Z') }),
        (timeZone, ms) => {
          const at = new Date(ms).toISOString();
          const date = localDate(at, timeZone);
          const hours = utcHoursOfLocalDay(date, timeZone);
          expect(hours).toContain(utcHourOf(at));
          expect(hours.length).toBeGreaterThanOrEqual(23);
          expect(hours.length).toBeLessThanOrEqual(26);
          for (const hour of [hours[0], hours.at(-1)]) {
            const start = Date.parse(`${hour}:00:00Z`);
            const minutes = Array.from({ length: 60 }, (_, minute) => start + minute * 60_000);
            expect(
              minutes.some((minute) => localDate(new Date(minute).toISOString(), timeZone) === date),
            ).toBe(true);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('rejects dates that do not exist', () => {
    expect(() => utcHoursOfLocalDay('2026-02-30', 'UTC')).toThrow(RangeError);
    expect(() => utcHoursOfLocalDay('2026-11-28T00', 'UTC')).toThrow(RangeError);
  });
});

describe('periods', () => {
  it('names the day, ISO week, month and quarter of a date', () => {
    expect(periodsOf('2026-11-28')).toEqual({
      day: '2026-11-28',
      week: '2026-W48',
      month: '2026-11',
      quarter: '2026-Q4',
    });
    expect(periodsOf('2026-03-31')).toMatchObject({ month: '2026-03', quarter: '2026-Q1' });
    expect(periodsOf('2026-04-01')).toMatchObject({ month: '2026-04', quarter: '2026-Q2' });
  });

  it('puts each date in the ISO week of its Thursday', () => {
    const weeks: [string, string][] = [
      ['2026-12-31', '2026-W53'], // Thursday: 2026 has 53 weeks
      ['2027-01-01', '2026-W53'], // Friday of 2026's last week
      ['2027-01-03', '2026-W53'], // Sunday
      ['2027-01-04', '2027-W01'], // Monday
      ['2026-01-01', '2026-W01'], // Thursday
      ['2025-12-29', '2026-W01'], // Monday of that week, still in 2025
      ['2024-12-30', '2025-W01'],
      ['2021-01-03', '2020-W53'],
      ['2026-01-05', '2026-W02'],
    ];
    for (const [date, week] of weeks) expect(periodOf(date, 'week'), date).toBe(week);
  });

  it('lists the dates of each kind of period', () => {
    expect(daysOfPeriod('2026-11-28')).toEqual(['2026-11-28']);
    expect(daysOfPeriod('2026-W53')).toEqual([
      '2026-12-28',
      '2026-12-29',
      '2026-12-30',
      '2026-12-31',
      '2027-01-01',
      '2027-01-02',
      '2027-01-03',
    ]);
    expect(daysOfPeriod('2027-W01')[0]).toBe('2027-01-04');
    expect(daysOfPeriod('2026-02')).toHaveLength(28);
    expect(daysOfPeriod('2028-02')).toHaveLength(29);
    const quarter = daysOfPeriod('2026-Q4');
    expect([quarter.length, quarter[0], quarter.at(-1)]).toEqual([92, '2026-10-01', '2026-12-31']);
  });

  it('rejects periods that do not exist', () => {
    for (const period of ['2027-W53', '2026-W00', '2026-13', '2026-Q5', '2026-11-31', 'W48', '']) {
      expect(() => daysOfPeriod(period), period).toThrow(RangeError);
      expect(granularityOf(period), period).toBeUndefined();
    }
    expect(granularityOf('2026-W53')).toBe('week');
    expect(granularityOf('2026-Q4')).toBe('quarter');
  });

  it('lists the periods between two dates', () => {
    expect(periodsBetween('2026-11-28', '2026-12-02', 'week')).toEqual(['2026-W48', '2026-W49']);
    expect(periodsBetween('2026-11-28', '2026-12-02', 'day')).toEqual([
      '2026-11-28',
      '2026-11-29',
      '2026-11-30',
      '2026-12-01',
      '2026-12-02',
    ]);
    expect(periodsBetween('2026-11-30', '2027-02-01', 'month')).toEqual([
      '2026-11',
      '2026-12',
      '2027-01',
      '2027-02',
    ]);
    expect(periodsBetween('2026-12-31', '2027-01-01', 'quarter')).toEqual(['2026-Q4', '2027-Q1']);
    expect(periodsBetween('2026-12-31', '2027-01-04', 'week')).toEqual(['2026-W53', '2027-W01']);
    expect(periodsBetween('2026-11-28', '2026-11-28', 'month')).toEqual(['2026-11']);
    expect(() => periodsBetween('2026-11-29', '2026-11-28', 'day')).toThrow(RangeError);
  });

  it('tiles the calendar: every date is in one period of each kind, whose dates follow each other', () => {
    fc.assert(
      fc.property(
        fc.integer({
          min: Date.parse('2020-01-01T00:00:00Z') / 86_400_000,
          max: Date.parse('2035-12-31T00:00:00Z') / 86_400_000,
        }),
        fc.constantFrom('day', 'week', 'month', 'quarter' as const),
        (dayNumber, granularity) => {
          const date = new Date(dayNumber * 86_400_000).toISOString().slice(0, 10);
          const period = periodOf(date, granularity);
          const days = daysOfPeriod(period);
          expect(days).toContain(date);
          days.forEach((day, index) => {
            expect(periodOf(day, granularity)).toBe(period);
            if (index > 0) expect(addDays(days[index - 1] ?? '', 1)).toBe(day);
          });
          expect(periodOf(addDays(days[0] ?? '', -1), granularity)).not.toBe(period);
          expect(periodOf(addDays(days.at(-1) ?? '', 1), granularity)).not.toBe(period);
          if (granularity === 'week') {
            expect(new Date(`${days[0]}T00:00:00Z`).getUTCDay()).toBe(1);
            expect(days).toHaveLength(7);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('checks calendar dates', () => {
    expect(isLocalDate('2028-02-29')).toBe(true);
    expect(isLocalDate('2026-02-29')).toBe(false);
    expect(isLocalDate('2026-1-01')).toBe(false);
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
  });
});
