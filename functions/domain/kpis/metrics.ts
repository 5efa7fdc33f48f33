/**
 * The contract's metrics (section 8) from ADDITIVE partials: counts, sums of minor units, and the
 * durations behind the percentiles. Partials of several days add up to the partials of their
 * period, so week, month and quarter metrics are computed from the same facts as the days', never
 * averaged from daily rates.
 *
 * Rounding, all in integers: `averageOrderValue` to a whole minor unit and hours to 2 decimals,
 * half away from zero (contract section 1); rates are plain numbers rounded the same way to 4
 * decimals (`0.3333`). Durations are kept in milliseconds so that merging never rounds.
 */
import * as z from 'zod/mini';
import { divideRoundHalfAwayFromZero } from '../money.ts';
import { lazySchema } from '../schemas.ts';

/** The additive counters of a partials object: each metric's numerator or denominator. */
export const counters = [
  'ordersPaid',
  'grossSales',
  'discounts',
  'shippingCharged',
  'taxCollected',
  'unitsSold',
  'refunds',
  'checkoutsStarted',
  'checkoutsPaid',
  'checkoutsAbandoned',
  'abandonedValue',
  /** Cohort orders with at least one failed payment attempt. */
  'checkoutsWithFailedPayment',
  'fraudScreened',
  'fraudApproved',
  'fraudReviewed',
  'fraudRejected',
  'disputesOpened',
  'disputedAmount',
  'disputesLost',
  'ordersShipped',
  /** Of `ordersShipped`, those whose first shipment came within `fulfilment.shipWithinHours`. */
  'ordersShippedOnTime',
  'shipmentsDelivered',
  'deliveryExceptions',
] as const;
export type Counter = (typeof counters)[number];

export const KpiPartials = lazySchema(() => {
  const count = z.int().check(z.minimum(0));
  return z.object({
    ...(Object.fromEntries(counters.map((counter) => [counter, count])) as Record<Counter, typeof count>),
    /** Capture → first shipment, one entry per shipped order that was captured, ascending. */
    millisToShip: z.array(z.int()),
    /** Shipment created → delivered, one entry per delivered shipment, ascending. */
    millisToDeliver: z.array(z.int()),
  });
});
export type KpiPartials = z.infer<ReturnType<typeof KpiPartials>>;

/** Median and 90th percentile in hours, nearest-rank; null when nothing was measured. */
export interface Percentiles {
  readonly p50: number | null;
  readonly p90: number | null;
}

export const KpiMetrics = lazySchema(() => {
  const count = z.int();
  const rate = z.nullable(z.number());
  const percentiles = z.object({ p50: z.nullable(z.number()), p90: z.nullable(z.number()) });
  return z.object({
    ordersPaid: count,
    grossSales: count,
    discounts: count,
    shippingCharged: count,
    taxCollected: count,
    unitsSold: count,
    refunds: count,
    netSales: count,
    averageOrderValue: z.nullable(count),
    checkoutsStarted: count,
    checkoutsPaid: count,
    conversionRate: rate,
    checkoutsAbandoned: count,
    abandonedValue: count,
    paymentFailureRate: rate,
    fraudScreened: count,
    fraudApproved: count,
    fraudReviewed: count,
    fraudRejected: count,
    fraudRejectRate: rate,
    disputesOpened: count,
    disputedAmount: count,
    disputesLost: count,
    ordersShipped: count,
    hoursToShip: percentiles,
    onTimeShipRate: rate,
    shipmentsDelivered: count,
    hoursToDeliver: percentiles,
    deliveryExceptions: count,
  });
});
export type KpiMetrics = z.infer<ReturnType<typeof KpiMetrics>>;

export function emptyPartials(): KpiPartials {
  const zeros = Object.fromEntries(counters.map((counter) => [counter, 0])) as Record<Counter, number>;
  return { ...zeros, millisToShip: [], millisToDeliver: [] };
}

/** `into` plus `other`, in place; the duration lists stay ascending. */
export function addPartials(into: KpiPartials, other: KpiPartials): void {
  for (const counter of counters) into[counter] += other[counter];
  into.millisToShip = [...into.millisToShip, ...other.millisToShip].sort(ascending);
  into.millisToDeliver = [...into.millisToDeliver, ...other.millisToDeliver].sort(ascending);
}

/** The contract's metrics object. */
export function metricsOf(partials: KpiPartials): KpiMetrics {
  const p = partials;
  return {
    ordersPaid: p.ordersPaid,
    grossSales: p.grossSales,
    discounts: p.discounts,
    shippingCharged: p.shippingCharged,
    taxCollected: p.taxCollected,
    unitsSold: p.unitsSold,
    refunds: p.refunds,
    netSales: p.grossSales - p.discounts - p.refunds,
    averageOrderValue:
      p.ordersPaid === 0
        ? null
        : Number(divideRoundHalfAwayFromZero(BigInt(p.grossSales - p.discounts), BigInt(p.ordersPaid))),
    checkoutsStarted: p.checkoutsStarted,
    checkoutsPaid: p.checkoutsPaid,
    conversionRate: rate(p.checkoutsPaid, p.checkoutsStarted),
    checkoutsAbandoned: p.checkoutsAbandoned,
    abandonedValue: p.abandonedValue,
    paymentFailureRate: rate(p.checkoutsWithFailedPayment, p.checkoutsStarted),
    fraudScreened: p.fraudScreened,
    fraudApproved: p.fraudApproved,
    fraudReviewed: p.fraudReviewed,
    fraudRejected: p.fraudRejected,
    fraudRejectRate: rate(p.fraudRejected, p.fraudScreened),
    disputesOpened: p.disputesOpened,
    disputedAmount: p.disputedAmount,
    disputesLost: p.disputesLost,
    ordersShipped: p.ordersShipped,
    hoursToShip: percentilesOf(p.millisToShip),
    onTimeShipRate: rate(p.ordersShippedOnTime, p.ordersShipped),
    shipmentsDelivered: p.shipmentsDelivered,
    hoursToDeliver: percentilesOf(p.millisToDeliver),
    deliveryExceptions: p.deliveryExceptions,
  };
}

/** `part / whole` to 4 decimals, half away from zero; null when `whole` is 0. */
export function rate(part: number, whole: number): number | null {
  if (whole === 0) return null;
  return Number(divideRoundHalfAwayFromZero(BigInt(part) * 10_000n, BigInt(whole))) / 10_000;
}

/** p50 and p90 of durations, in hours to 2 decimals. */
export function percentilesOf(millis: readonly number[]): Percentiles {
  const sorted = [...millis].sort(ascending);
  return { p50: hoursOf(nearestRank(sorted, 50)), p90: hoursOf(nearestRank(sorted, 90)) };
}

/** Nearest-rank percentile: the value at rank ⌈p/100 × n⌉ of the ascending list. */
export function nearestRank(sorted: readonly number[], percent: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const rank = Math.max(1, Math.ceil((percent * sorted.length) / 100));
  return sorted[rank - 1];
}

function hoursOf(millis: number | undefined): number | null {
  if (millis === undefined) return null;
  // 36 000 ms is a hundredth of an hour.
  return Number(divideRoundHalfAwayFromZero(BigInt(millis), 36_000n)) / 100;
}

export function ascending(a: number, b: number): number {
  return a - b;
}
