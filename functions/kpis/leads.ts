/**
 * `GET /v1/leads/abandoned` (contract section 8): the checkouts abandoned (`payment_expired`) that
 * were created on the store-local dates `from`..`to`, oldest first. The lead items are written with
 * the order's cancellation (functions/adapters/kpi-writes.ts), email and phone only with marketing
 * consent; they are read as written.
 */
import * as z from 'zod/mini';
import type { Page } from '../adapters/pagination.ts';
import { addDays, localDate, utcHoursOfLocalDay } from '../domain/kpis/calendar.ts';
import { Attribution } from '../domain/order.ts';
import { Currency, lazySchema, MinorUnits, Timestamp } from '../domain/schemas.ts';

export const Lead = lazySchema(() =>
  z.object({
    orderId: z.string(),
    customer: z.object({
      type: z.enum(['b2c', 'b2b']),
      name: z.optional(z.string()),
      companyName: z.optional(z.string()),
      marketingConsent: z.boolean(),
      email: z.optional(z.string().check(z.describe('Only when marketingConsent is true.'))),
      phone: z.optional(z.string().check(z.describe('Only when marketingConsent is true.'))),
    }),
    total: MinorUnits,
    currency: Currency,
    lines: z.array(
      z.object({
        sku: z.string(),
        name: z.string(),
        quantity: z.int(),
        unitAmount: MinorUnits,
        amount: MinorUnits,
        shippedQuantity: z.optional(z.int()),
      }),
    ),
    attribution: z.nullable(Attribution),
    createdAt: Timestamp,
    paymentFailures: z.int().check(z.minimum(0)),
  }),
);
export type Lead = z.infer<ReturnType<typeof Lead>>;

export interface LeadStore {
  /** Leads created at `from` ≤ createdAt < `until` (RFC 3339 UTC), oldest first. */
  leadsBetween(
    storeId: string,
    range: { readonly from: string; readonly until: string },
    limit: number,
    cursor: string | undefined,
  ): Promise<Page<Lead>>;
}

export interface LeadQuery {
  readonly storeId: string;
  readonly timeZone: string;
  /** Store-local dates, `from` ≤ `to`. */
  readonly from: string;
  readonly to: string;
  readonly limit: number;
  readonly cursor?: string | undefined;
}

export function listAbandonedLeads(leads: LeadStore, query: LeadQuery): Promise<Page<Lead>> {
  const range = {
    from: startOfLocalDay(query.from, query.timeZone),
    until: startOfLocalDay(addDays(query.to, 1), query.timeZone),
  };
  return leads.leadsBetween(query.storeId, range, query.limit, query.cursor);
}

const quarterHourMs = 15 * 60_000;

/**
 * The first instant of the local day `date` in `timeZone`, RFC 3339 UTC. Local midnights fall on
 * 15-minute marks of UTC (see functions/domain/kpis/calendar.ts), and the first UTC hour that
 * overlaps the day holds the day's midnight, so one of that hour's four marks is it.
 */
export function startOfLocalDay(date: string, timeZone: string): string {
  const [firstHour] = utcHoursOfLocalDay(date, timeZone);
  if (firstHour === undefined) throw new RangeError(`no UTC hour overlaps ${date} in ${timeZone}`);
  const hourStart = Date.parse(`${firstHour}:00:00.000Z`);
  for (let mark = hourStart; mark < hourStart + 4 * quarterHourMs; mark += quarterHourMs) {
    const at = new Date(mark).toISOString();
    if (localDate(at, timeZone) === date) return at;
  }
  throw new RangeError(`no quarter hour of ${firstHour} starts ${date} in ${timeZone}`);
}
