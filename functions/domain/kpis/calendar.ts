/**
 * The store-local calendar of the KPIs (contract section 8): local dates, the UTC hours a local day
 * spans, and ISO weeks, months and quarters. Time zones go through `Intl.DateTimeFormat` only;
 * calendar dates are counted as UTC midnights, where every day has 24 hours.
 *
 * Every UTC offset and every offset change in use today falls on a multiple of 15 minutes
 * (`+05:45`, `+12:45`, Lord Howe's 30-minute DST), so a local midnight always falls on a 15-minute
 * mark of UTC. Sampling those marks is therefore exact, and it is what `utcHoursOfLocalDay` does.
 */

const minuteMs = 60_000;
const quarterHourMs = 15 * minuteMs;
const hourMs = 60 * minuteMs;
const dayMs = 24 * hourMs;

export const granularities = ['day', 'week', 'month', 'quarter'] as const;
export type Granularity = (typeof granularities)[number];

/** The periods a local date belongs to: `2026-11-28`, `2026-W48`, `2026-11`, `2026-Q4`. */
export interface PeriodsOfDay {
  readonly day: string;
  readonly week: string;
  readonly month: string;
  readonly quarter: string;
}

// ---------------------------------------------------------------------------------------------
// Local dates and UTC hours

/** The store-local date (`YYYY-MM-DD`) of the instant `at` in `timeZone`. */
export function localDate(at: string, timeZone: string): string {
  return localDateOfMs(instantMs(at), timeZone);
}

/** The UTC hour (`yyyy-mm-ddThh`) of the instant `at`: the partition its facts are kept in. */
export function utcHourOf(at: string): string {
  return new Date(instantMs(at)).toISOString().slice(0, 13);
}

/**
 * The UTC hours (`yyyy-mm-ddThh`, ascending) that overlap the local day `date` in `timeZone`:
 * 24, or 23 / 25 on the days the clocks change. Where the zone's offset is not a whole number of
 * hours (`Asia/Kolkata`), the first and last hours are shared with the neighbouring days, so 25.
 */
export function utcHoursOfLocalDay(date: string, timeZone: string): string[] {
  const midnight = dateMs(date);
  // UTC offsets lie within -12 h and +14 h: the local day starts and ends within these bounds.
  const first = midnight - 15 * hourMs;
  const last = midnight + dayMs + 13 * hourMs;
  const hours: string[] = [];
  for (let hour = first; hour < last; hour += hourMs) {
    for (let mark = hour; mark < hour + hourMs; mark += quarterHourMs) {
      if (localDateOfMs(mark, timeZone) === date) {
        hours.push(new Date(hour).toISOString().slice(0, 13));
        break;
      }
    }
  }
  return hours;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** One formatter per zone: building one costs far more than formatting with it. */
function formatterOf(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

function formatLocalDate(ms: number, timeZone: string): string {
  let year = '';
  let month = '';
  let day = '';
  for (const part of formatterOf(timeZone).formatToParts(ms)) {
    if (part.type === 'year') year = part.value.padStart(4, '0');
    else if (part.type === 'month') month = part.value;
    else if (part.type === 'day') day = part.value;
  }
  return `${year}-${month}-${day}`;
}

/**
 * Local dates by zone and 15-minute slot of UTC. A rollup asks for the date of every fact of a
 * day, and formatting costs ~10 µs; within one slot the date cannot change unless the slot holds a
 * midnight or an offset change, so a slot whose first and last milliseconds share a date is
 * remembered, and any other slot is formatted every time.
 */
const datesBySlot = new Map<string, string>();
const maxRememberedSlots = 20_000;

function localDateOfMs(ms: number, timeZone: string): string {
  const slotStart = Math.floor(ms / quarterHourMs) * quarterHourMs;
  const key = `${timeZone}\u0000${slotStart}`;
  const remembered = datesBySlot.get(key);
  if (remembered !== undefined) return remembered;
  const start = formatLocalDate(slotStart, timeZone);
  const end = formatLocalDate(slotStart + quarterHourMs - 1, timeZone);
  if (start !== end) return formatLocalDate(ms, timeZone);
  if (datesBySlot.size >= maxRememberedSlots) datesBySlot.clear();
  datesBySlot.set(key, start);
  return start;
}

// ---------------------------------------------------------------------------------------------
// Dates and periods

const datePattern = /^(\d{4})-(\d{2})-(\d{2})$/;
const weekPattern = /^(\d{4})-W(\d{2})$/;
const monthPattern = /^(\d{4})-(\d{2})$/;
const quarterPattern = /^(\d{4})-Q([1-4])$/;

/** Whether `text` is a calendar date `YYYY-MM-DD` that exists (no `2026-02-30`). */
export function isLocalDate(text: string): boolean {
  return parseDate(text) !== undefined;
}

/** The granularity of a period written as the contract writes them; undefined if it is none. */
export function granularityOf(period: string): Granularity | undefined {
  return boundsOf(period)?.granularity;
}

/** `date` plus `days` (negative: earlier). */
export function addDays(date: string, days: number): string {
  return formatDate(dateMs(date) + days * dayMs);
}

/** The period of `granularity` that holds `date`. */
export function periodOf(date: string, granularity: Granularity): string {
  const ms = dateMs(date);
  const day = new Date(ms);
  const year = day.getUTCFullYear();
  switch (granularity) {
    case 'day':
      return formatDate(ms);
    case 'week': {
      const week = isoWeekOf(ms);
      return `${pad(week.year, 4)}-W${pad(week.week, 2)}`;
    }
    case 'month':
      return `${pad(year, 4)}-${pad(day.getUTCMonth() + 1, 2)}`;
    case 'quarter':
      return `${pad(year, 4)}-Q${Math.floor(day.getUTCMonth() / 3) + 1}`;
  }
}

/** The day, ISO week, month and quarter of `date`. */
export function periodsOf(date: string): PeriodsOfDay {
  return {
    day: periodOf(date, 'day'),
    week: periodOf(date, 'week'),
    month: periodOf(date, 'month'),
    quarter: periodOf(date, 'quarter'),
  };
}

/** The dates of a period (`2026-11-28`, `2026-W48`, `2026-11`, `2026-Q4`), ascending. */
export function daysOfPeriod(period: string): string[] {
  const bounds = boundsOf(period);
  if (bounds === undefined) throw new RangeError(`not a period: ${period}`);
  const days: string[] = [];
  for (let ms = bounds.first; ms <= bounds.last; ms += dayMs) days.push(formatDate(ms));
  return days;
}

/** The periods of `granularity` that hold any date from `from` to `to` (both included), ascending. */
export function periodsBetween(from: string, to: string, granularity: Granularity): string[] {
  const end = dateMs(to);
  let next = dateMs(from);
  if (next > end) throw new RangeError(`${from} is after ${to}`);
  const periods: string[] = [];
  while (next <= end) {
    const period = periodOf(formatDate(next), granularity);
    periods.push(period);
    const bounds = boundsOf(period);
    if (bounds === undefined) throw new Error(`periodOf made an unreadable period: ${period}`);
    next = bounds.last + dayMs;
  }
  return periods;
}

interface PeriodBounds {
  readonly granularity: Granularity;
  /** UTC midnights of the first and last dates. */
  readonly first: number;
  readonly last: number;
}

function boundsOf(period: string): PeriodBounds | undefined {
  const day = parseDate(period);
  if (day !== undefined) return { granularity: 'day', first: day, last: day };
  const week = weekPattern.exec(period);
  if (week !== null) {
    const year = Number(week[1]);
    const number = Number(week[2]);
    if (number < 1 || number > weeksInIsoYear(year)) return undefined;
    const first = firstMondayOfIsoYear(year) + (number - 1) * 7 * dayMs;
    return { granularity: 'week', first, last: first + 6 * dayMs };
  }
  const month = monthPattern.exec(period);
  if (month !== null) {
    const year = Number(month[1]);
    const index = Number(month[2]) - 1;
    if (index < 0 || index > 11) return undefined;
    return { granularity: 'month', first: Date.UTC(year, index, 1), last: Date.UTC(year, index + 1, 0) };
  }
  const quarter = quarterPattern.exec(period);
  if (quarter !== null) {
    const year = Number(quarter[1]);
    const firstMonth = (Number(quarter[2]) - 1) * 3;
    return {
      granularity: 'quarter',
      first: Date.UTC(year, firstMonth, 1),
      last: Date.UTC(year, firstMonth + 3, 0),
    };
  }
  return undefined;
}

/**
 * ISO 8601 week: weeks start on Monday, and a week belongs to the year of its Thursday, so
 * 2027-01-01 (a Friday) is in 2026-W53 and 2027-01-04 starts 2027-W01.
 */
function isoWeekOf(ms: number): { readonly year: number; readonly week: number } {
  const thursday = ms + (3 - mondayBasedWeekday(ms)) * dayMs;
  const year = new Date(thursday).getUTCFullYear();
  return { year, week: Math.floor((thursday - Date.UTC(year, 0, 1)) / (7 * dayMs)) + 1 };
}

/** The Monday of ISO week 1: the week that holds 4 January. */
function firstMondayOfIsoYear(year: number): number {
  const fourth = Date.UTC(year, 0, 4);
  return fourth - mondayBasedWeekday(fourth) * dayMs;
}

/** 52 or 53: 28 December is always in the ISO year's last week. */
function weeksInIsoYear(year: number): number {
  return isoWeekOf(Date.UTC(year, 11, 28)).week;
}

/** Monday 0 … Sunday 6. */
function mondayBasedWeekday(ms: number): number {
  return (new Date(ms).getUTCDay() + 6) % 7;
}

/** The UTC midnight of a valid `YYYY-MM-DD`, else undefined. */
function parseDate(text: string): number | undefined {
  const match = datePattern.exec(text);
  if (match === null) return undefined;
  const ms = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  // Date.UTC rolls 2026-02-30 over to March; a real date reads back unchanged.
  return formatDate(ms) === text ? ms : undefined;
}

function dateMs(date: string): number {
  const ms = parseDate(date);
  if (ms === undefined) throw new RangeError(`not a calendar date (YYYY-MM-DD): ${date}`);
  return ms;
}

function instantMs(at: string): number {
  const ms = Date.parse(at);
  if (Number.isNaN(ms)) throw new RangeError(`not a timestamp: ${at}`);
  return ms;
}

function formatDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}
