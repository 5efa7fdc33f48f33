/**
 * The KPIs of contract section 8 computed straight from their definitions, for the acceptance
 * test to hold the rollups against. Written from the contract alone, and on purpose sharing no
 * code with functions/domain/kpis (calendar, rollup or metrics): a mistake there must not be
 * repeated here.
 *
 * Input: what a scenario knows of each order (its dimensions, amounts and what happened to it,
 * with the moment of each thing). Output: one metrics object per period, dimension value and
 * currency that anything was counted in.
 */

export type Dimension = 'all' | 'segment' | 'channel' | 'territory' | 'salesRep' | 'country';
export const oracleDimensions: readonly Dimension[] = [
  'all',
  'segment',
  'channel',
  'territory',
  'salesRep',
  'country',
];
export type Granularity = 'day' | 'week' | 'month' | 'quarter';

/** An order as the scenario knows it; every time is an RFC 3339 instant. */
export interface OracleOrder {
  readonly id: string;
  readonly currency: string;
  /** Each dimension's value, `unattributed` where the order has none. */
  readonly values: Readonly<Record<Exclude<Dimension, 'all'>, string>>;
  readonly amounts: {
    readonly subtotal: number;
    readonly discount: number;
    readonly shipping: number;
    readonly tax: number;
    readonly total: number;
  };
  readonly units: number;
  readonly createdAt: string;
  readonly capturedAt?: string | undefined;
  readonly abandoned: boolean;
  readonly failedPayment: boolean;
  readonly screening?:
    | {
        readonly at: string;
        readonly approved: boolean;
        readonly reviewed: boolean;
        readonly rejected: boolean;
      }
    | undefined;
  readonly refunds: readonly { readonly at: string; readonly amount: number }[];
  readonly disputes: readonly {
    readonly openedAt: string;
    readonly amount: number;
    readonly lostAt?: string | undefined;
  }[];
  readonly shipments: readonly {
    readonly id: string;
    readonly createdAt: string;
    readonly deliveredAt?: string | undefined;
    /** `exception` and `returned` events. */
    readonly exceptionsAt: readonly string[];
  }[];
}

export interface Percentiles {
  readonly p50: number | null;
  readonly p90: number | null;
}

export interface Metrics {
  ordersPaid: number;
  grossSales: number;
  discounts: number;
  shippingCharged: number;
  taxCollected: number;
  unitsSold: number;
  refunds: number;
  netSales: number;
  averageOrderValue: number | null;
  checkoutsStarted: number;
  checkoutsPaid: number;
  conversionRate: number | null;
  checkoutsAbandoned: number;
  abandonedValue: number;
  paymentFailureRate: number | null;
  fraudScreened: number;
  fraudApproved: number;
  fraudReviewed: number;
  fraudRejected: number;
  fraudRejectRate: number | null;
  disputesOpened: number;
  disputedAmount: number;
  disputesLost: number;
  ordersShipped: number;
  hoursToShip: Percentiles;
  onTimeShipRate: number | null;
  shipmentsDelivered: number;
  hoursToDeliver: Percentiles;
  deliveryExceptions: number;
}

/** `<period>|<dimension>|<value, empty for all>|<currency>`. */
export type RowKey = string;

export const rowKey = (period: string, dimension: string, value: string | null, currency: string): RowKey =>
  `${period}|${dimension}|${value ?? ''}|${currency}`;

/** The store-local calendar date (`YYYY-MM-DD`) of an instant. */
export function localDateOf(at: string, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).formatToParts(new Date(at));
  const part = (type: string) => parts.find((item) => item.type === type)?.value ?? '??';
  return `${part('year')}-${part('month')}-${part('day')}`;
}

/** The period of a local date: the date itself, its ISO week, its month or its quarter. */
export function periodOfDate(date: string, granularity: Granularity): string {
  const [year, month] = date.split('-').map(Number) as [number, number];
  switch (granularity) {
    case 'day':
      return date;
    case 'month':
      return date.slice(0, 7);
    case 'quarter':
      return `${year}-Q${Math.ceil(month / 3)}`;
    case 'week': {
      // ISO 8601: the week belongs to the year of its Thursday; week 1 holds the first Thursday.
      const day = new Date(`${date}T00:00:00Z`);
      const mondayBased = (day.getUTCDay() + 6) % 7;
      const thursday = new Date(day.getTime() + (3 - mondayBased) * 86_400_000);
      const weekYear = thursday.getUTCFullYear();
      const dayOfYear = (thursday.getTime() - Date.UTC(weekYear, 0, 1)) / 86_400_000;
      return `${weekYear}-W${String(Math.floor(dayOfYear / 7) + 1).padStart(2, '0')}`;
    }
  }
}

interface Tally {
  ordersPaid: number;
  grossSales: number;
  discounts: number;
  shippingCharged: number;
  taxCollected: number;
  unitsSold: number;
  refunds: number;
  checkoutsStarted: number;
  checkoutsPaid: number;
  checkoutsAbandoned: number;
  abandonedValue: number;
  checkoutsWithFailure: number;
  fraudScreened: number;
  fraudApproved: number;
  fraudReviewed: number;
  fraudRejected: number;
  disputesOpened: number;
  disputedAmount: number;
  disputesLost: number;
  ordersShipped: number;
  shippedOnTime: number;
  hoursToShip: number[];
  shipmentsDelivered: number;
  hoursToDeliver: number[];
  deliveryExceptions: number;
}

const emptyTally = (): Tally => ({
  ordersPaid: 0,
  grossSales: 0,
  discounts: 0,
  shippingCharged: 0,
  taxCollected: 0,
  unitsSold: 0,
  refunds: 0,
  checkoutsStarted: 0,
  checkoutsPaid: 0,
  checkoutsAbandoned: 0,
  abandonedValue: 0,
  checkoutsWithFailure: 0,
  fraudScreened: 0,
  fraudApproved: 0,
  fraudReviewed: 0,
  fraudRejected: 0,
  disputesOpened: 0,
  disputedAmount: 0,
  disputesLost: 0,
  ordersShipped: 0,
  shippedOnTime: 0,
  hoursToShip: [],
  shipmentsDelivered: 0,
  hoursToDeliver: [],
  deliveryExceptions: 0,
});

const hourMs = 3_600_000;

/**
 * The expected rows of `granularity`: for each period, dimension value and currency in which
 * something was counted, its metrics.
 */
export function expectedKpis(
  orders: readonly OracleOrder[],
  settings: {
    readonly timeZone: string;
    readonly shipWithinHours: number;
    readonly granularity: Granularity;
  },
): Map<RowKey, Metrics> {
  const tallies = new Map<RowKey, Tally>();
  const periodOf = (at: string) => periodOfDate(localDateOf(at, settings.timeZone), settings.granularity);

  for (const order of orders) {
    /** The tallies of every row the order counts in, for the period of `at`. */
    const count = (at: string, add: (tally: Tally) => void) => {
      const period = periodOf(at);
      const keys = oracleDimensions.map((dimension) =>
        rowKey(period, dimension, dimension === 'all' ? null : order.values[dimension], order.currency),
      );
      for (const key of keys) {
        let tally = tallies.get(key);
        if (tally === undefined) {
          tally = emptyTally();
          tallies.set(key, tally);
        }
        add(tally);
      }
    };

    // The day's cohort: orders created that day, with what became of them by now.
    count(order.createdAt, (tally) => {
      tally.checkoutsStarted += 1;
      if (order.capturedAt !== undefined) tally.checkoutsPaid += 1;
      if (order.abandoned) {
        tally.checkoutsAbandoned += 1;
        tally.abandonedValue += order.amounts.total;
      }
      if (order.failedPayment) tally.checkoutsWithFailure += 1;
    });
    const capturedAt = order.capturedAt;
    if (capturedAt !== undefined) {
      count(capturedAt, (tally) => {
        tally.ordersPaid += 1;
        tally.grossSales += order.amounts.subtotal;
        tally.discounts += order.amounts.discount;
        tally.shippingCharged += order.amounts.shipping;
        tally.taxCollected += order.amounts.tax;
        tally.unitsSold += order.units;
      });
    }
    for (const refund of order.refunds) count(refund.at, (tally) => (tally.refunds += refund.amount));
    const screening = order.screening;
    if (screening !== undefined) {
      count(screening.at, (tally) => {
        tally.fraudScreened += 1;
        if (screening.approved) tally.fraudApproved += 1;
        if (screening.reviewed) tally.fraudReviewed += 1;
        if (screening.rejected) tally.fraudRejected += 1;
      });
    }
    for (const dispute of order.disputes) {
      count(dispute.openedAt, (tally) => {
        tally.disputesOpened += 1;
        tally.disputedAmount += dispute.amount;
      });
      if (dispute.lostAt !== undefined) count(dispute.lostAt, (tally) => (tally.disputesLost += 1));
    }
    const first = [...order.shipments].sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt))[0];
    if (first !== undefined) {
      if (capturedAt === undefined) throw new Error(`${order.id} shipped without a capture`);
      const millis = Date.parse(first.createdAt) - Date.parse(capturedAt);
      count(first.createdAt, (tally) => {
        tally.ordersShipped += 1;
        tally.hoursToShip.push(millis);
        if (millis <= settings.shipWithinHours * hourMs) tally.shippedOnTime += 1;
      });
    }
    for (const shipment of order.shipments) {
      const deliveredAt = shipment.deliveredAt;
      if (deliveredAt !== undefined) {
        const millis = Date.parse(deliveredAt) - Date.parse(shipment.createdAt);
        count(deliveredAt, (tally) => {
          tally.shipmentsDelivered += 1;
          tally.hoursToDeliver.push(millis);
        });
      }
      // A shipment's status becomes `exception` once on a day, however many such scans it gets.
      const exceptionDays = new Map<string, string>();
      for (const at of shipment.exceptionsAt) exceptionDays.set(localDateOf(at, settings.timeZone), at);
      for (const at of exceptionDays.values()) count(at, (tally) => (tally.deliveryExceptions += 1));
    }
  }

  return new Map([...tallies].map(([key, tally]) => [key, metricsOf(tally)]));
}

function metricsOf(tally: Tally): Metrics {
  return {
    ordersPaid: tally.ordersPaid,
    grossSales: tally.grossSales,
    discounts: tally.discounts,
    shippingCharged: tally.shippingCharged,
    taxCollected: tally.taxCollected,
    unitsSold: tally.unitsSold,
    refunds: tally.refunds,
    netSales: tally.grossSales - tally.discounts - tally.refunds,
    averageOrderValue:
      tally.ordersPaid === 0 ? null : roundHalfUp((tally.grossSales - tally.discounts) / tally.ordersPaid),
    checkoutsStarted: tally.checkoutsStarted,
    checkoutsPaid: tally.checkoutsPaid,
    conversionRate: ratio(tally.checkoutsPaid, tally.checkoutsStarted),
    checkoutsAbandoned: tally.checkoutsAbandoned,
    abandonedValue: tally.abandonedValue,
    paymentFailureRate: ratio(tally.checkoutsWithFailure, tally.checkoutsStarted),
    fraudScreened: tally.fraudScreened,
    fraudApproved: tally.fraudApproved,
    fraudReviewed: tally.fraudReviewed,
    fraudRejected: tally.fraudRejected,
    fraudRejectRate: ratio(tally.fraudRejected, tally.fraudScreened),
    disputesOpened: tally.disputesOpened,
    disputedAmount: tally.disputedAmount,
    disputesLost: tally.disputesLost,
    ordersShipped: tally.ordersShipped,
    hoursToShip: percentiles(tally.hoursToShip),
    onTimeShipRate: ratio(tally.shippedOnTime, tally.ordersShipped),
    shipmentsDelivered: tally.shipmentsDelivered,
    hoursToDeliver: percentiles(tally.hoursToDeliver),
    deliveryExceptions: tally.deliveryExceptions,
  };
}

/**
 * Half away from zero for the non-negative values here. Exact: a true half (k + 0.5) is a
 * double, and the quotients of these small integers are never within an ulp of one otherwise.
 */
function roundHalfUp(value: number): number {
  if (value < 0) throw new RangeError(`negative value ${value}`);
  return Math.floor(value + 0.5);
}

/** `part / whole` with 4 decimals; null when there is nothing to divide by. */
function ratio(part: number, whole: number): number | null {
  return whole === 0 ? null : roundHalfUp((part * 10_000) / whole) / 10_000;
}

/** Nearest-rank p50 and p90 of durations, in hours with 2 decimals. */
function percentiles(millis: readonly number[]): Percentiles {
  const sorted = [...millis].sort((a, b) => a - b);
  const at = (percent: number) => {
    if (sorted.length === 0) return null;
    const rank = Math.max(1, Math.ceil((percent * sorted.length) / 100));
    const value = sorted[rank - 1];
    if (value === undefined) throw new RangeError(`no rank ${rank} in ${sorted.length}`);
    return roundHalfUp(value / 36_000) / 100;
  };
  return { p50: at(50), p90: at(90) };
}
