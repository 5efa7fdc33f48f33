/**
 * The acceptance property of the KPI rollup (issue 5), on the pure domain: random store days in
 * `America/Los_Angeles` and `UTC`, across DST changes, month, quarter, year and ISO-week ends,
 * with events on both sides of local midnight and arriving out of order. Each order is played
 * through the real state machines; its facts are the ones `factsBetween` gives at each change,
 * kept in an in-memory table under their keys and read back by the UTC hours of each local day,
 * shuffled and paged. Every metric of every row is compared with a computation written below
 * straight from the contract and the orders, without the module's helpers.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addFacts,
  type DayPartials,
  daysOfPeriod,
  type Fact,
  factKey,
  factPartition,
  factsOf,
  type KpiMetrics,
  kpiRows,
  mergePartials,
  newDayAccumulator,
  partialsOf,
  periodOf,
  utcHoursOfLocalDay,
} from '../../functions/domain/kpis.ts';
import type { Order } from '../../functions/domain/order.ts';
import { trackingStatuses } from '../../functions/domain/shipping.ts';
import { minutesAfter, ordersById, Story, storeId } from './kpis-fixtures.ts';

// ---------------------------------------------------------------------------------------------
// Scenarios

const windows = [
  // Los Angeles falls back on 2026-11-01 (25 hours); a Saturday, Sunday and Monday: W44 → W45, Oct → Nov.
  { timeZone: 'America/Los_Angeles', dates: ['2026-10-31', '2026-11-01', '2026-11-02'] },
  // Los Angeles springs forward on 2026-03-08 (23 hours).
  { timeZone: 'America/Los_Angeles', dates: ['2026-03-07', '2026-03-08', '2026-03-09'] },
  // 2026-W53 runs into 2027; Q4 → Q1.
  { timeZone: 'UTC', dates: ['2026-12-31', '2027-01-01', '2027-01-02'] },
  { timeZone: 'UTC', dates: ['2026-09-30', '2026-10-01', '2026-10-02'] },
] as const;

const outcomes = [
  'pending',
  'abandoned',
  'abandoned_by_webhook',
  'requested',
  'approved',
  'rules_reject',
  'review_approve',
  'review_reject',
  'review_timeout',
] as const;

const minutes = (max: number) => fc.integer({ min: 1, max });
const maybe = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined });

/** Minutes after the first date's UTC midnight: anywhere, or near 00:00, 07:00, 08:00 UTC. */
const createdMinute = fc.oneof(
  fc.integer({ min: -12 * 60, max: 3 * 24 * 60 + 12 * 60 }),
  fc
    .tuple(fc.integer({ min: 0, max: 3 }), fc.constantFrom(0, 7, 8), fc.integer({ min: -90, max: 90 }))
    .map(([day, hour, minute]) => day * 24 * 60 + hour * 60 + minute),
);

const orderSpec = fc.record({
  createdMinute,
  currency: fc.constantFrom('usd', 'eur'),
  segment: fc.constantFrom('b2c' as const, 'b2b' as const),
  attribution: maybe(
    fc.record({
      channel: fc.constantFrom('inbound' as const, 'outbound' as const),
      territory: maybe(fc.constantFrom('west', 'east')),
      salesRepId: maybe(fc.constantFrom('rep_1', 'rep_2')),
    }),
  ),
  country: fc.constantFrom('US', 'FR', 'DE'),
  lines: fc.array(fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 100, max: 5000 })), {
    minLength: 1,
    maxLength: 3,
  }),
  discount: fc.integer({ min: 0, max: 100 }),
  shipping: fc.integer({ min: 0, max: 1000 }),
  tax: fc.integer({ min: 0, max: 500 }),
  failures: fc.integer({ min: 0, max: 2 }),
  outcome: fc.constantFrom(...outcomes),
  /** Authorisation, screening and capture delays; the review may take days. */
  steps: fc.tuple(minutes(20), minutes(30), minutes(120)),
  review: minutes(3 * 24 * 60),
  refunds: fc.array(
    fc.record({
      delay: minutes(3 * 24 * 60),
      amount: fc.integer({ min: 1, max: 2000 }),
      failsAfter: maybe(minutes(2 * 24 * 60)),
    }),
    { maxLength: 2 },
  ),
  dispute: maybe(
    fc.record({
      delay: minutes(3 * 24 * 60),
      lostAfter: maybe(minutes(2 * 24 * 60)),
      /** A second `lost` observation, processed later but observed this many minutes earlier. */
      seenEarlierBy: maybe(minutes(600)),
    }),
  ),
  shipments: fc.array(
    fc.record({
      // Exactly 1, 24 or 48 hours after the capture (or the previous shipment) now and then: the
      // `shipWithinHours` boundary counts as on time.
      delay: fc.oneof(minutes(3 * 24 * 60), fc.constantFrom(60, 24 * 60, 48 * 60)),
      events: fc.array(
        fc.record({ status: fc.constantFrom(...trackingStatuses), delay: minutes(3 * 24 * 60) }),
        {
          maxLength: 4,
        },
      ),
    }),
    { maxLength: 2 },
  ),
});
type OrderSpec = typeof orderSpec extends fc.Arbitrary<infer T> ? T : never;

const scenario = fc.record({
  window: fc.constantFrom(...windows),
  shipWithinHours: fc.constantFrom(1, 24, 48),
  orders: fc.array(orderSpec, { minLength: 3, maxLength: 30 }),
  seed: fc.integer(),
});

/** Plays one order through checkout, payment, fraud, refunds, disputes and shipping. */
function play(spec: OrderSpec, index: number, firstMidnight: string): Story {
  const created = minutesAfter(firstMidnight, spec.createdMinute);
  const at = (offset: number) => minutesAfter(created, offset);
  const story = new Story({
    id: `ord_${index}`,
    at: created,
    currency: spec.currency,
    segment: spec.segment,
    ...(spec.attribution === undefined
      ? {}
      : {
          attribution: {
            channel: spec.attribution.channel,
            ...(spec.attribution.territory === undefined ? {} : { territory: spec.attribution.territory }),
            ...(spec.attribution.salesRepId === undefined ? {} : { salesRepId: spec.attribution.salesRepId }),
          },
        }),
    country: spec.country,
    lines: spec.lines,
    discount: spec.discount,
    shipping: spec.shipping,
    tax: spec.tax,
  });
  for (let attempt = 1; attempt <= spec.failures; attempt += 1)
    story.failAttempt(at(attempt), `ch_f${attempt}`);

  const [toAuthorize, toDecide, toCapture] = spec.steps;
  const authorized = spec.failures + toAuthorize;
  const decided = authorized + toDecide;
  const reviewed = decided + spec.review;
  let capturedAt: number | undefined;
  switch (spec.outcome) {
    case 'pending':
      return story;
    case 'abandoned':
      story.cancel('payment_expired', at(30));
      return story;
    case 'abandoned_by_webhook':
      story.intentCanceled(at(30), 'abandoned');
      return story;
    case 'requested':
      story.cancel('requested', at(authorized));
      return story;
    case 'rules_reject':
      story
        .authorize(at(authorized))
        .decide('reject', 'rules', at(decided))
        .intentCanceled(at(decided + 1), 'fraudulent');
      return story;
    case 'review_reject':
      story
        .authorize(at(authorized))
        .decide('review', 'rules', at(decided))
        .decide('reject', 'reviewer', at(reviewed));
      return story;
    case 'review_timeout':
      story.authorize(at(authorized)).decide('review', 'rules', at(decided)).timeOutReview(at(reviewed));
      return story;
    case 'approved':
      story.authorize(at(authorized)).decide('approve', 'rules', at(decided));
      capturedAt = decided + toCapture;
      break;
    case 'review_approve':
      story
        .authorize(at(authorized))
        .decide('review', 'rules', at(decided))
        .decide('approve', 'reviewer', at(reviewed));
      capturedAt = reviewed + toCapture;
      break;
  }
  story.capture(at(capturedAt));

  spec.refunds.forEach((refund, number) => {
    const snapshot = { id: `re_${number}`, amount: refund.amount, created: at(capturedAt + refund.delay) };
    story.refund({ ...snapshot, status: 'succeeded' });
    if (refund.failsAfter !== undefined) {
      story.refund({ ...snapshot, status: 'failed' }, at(capturedAt + refund.delay + refund.failsAfter));
    }
  });

  if (spec.dispute !== undefined) {
    const opened = capturedAt + spec.dispute.delay;
    const dispute = { id: 'dp_1', amount: story.order.amounts.total, created: at(opened) };
    story.dispute({ ...dispute, status: 'needs_response' }, at(opened));
    if (spec.dispute.lostAfter !== undefined) {
      const lost = opened + spec.dispute.lostAfter;
      story.dispute({ ...dispute, status: 'lost' }, at(lost));
      if (spec.dispute.seenEarlierBy !== undefined) {
        story.dispute({ ...dispute, status: 'lost' }, at(lost - spec.dispute.seenEarlierBy));
      }
    }
  }

  const units = spec.lines.reduce((sum, [quantity]) => sum + quantity, 0);
  const shipments = units >= 2 ? spec.shipments : spec.shipments.slice(0, 1);
  let shippedAt = capturedAt;
  shipments.forEach((shipment, number) => {
    shippedAt += shipment.delay;
    const partial = number === 0 && shipments.length === 2 ? [{ sku: 'SKU0', quantity: 1 }] : undefined;
    const shipmentId = story.ship(at(shippedAt), partial);
    // Scans are applied in the order listed, whatever their times: they arrive out of order.
    for (const event of shipment.events) story.track(shipmentId, event.status, at(shippedAt + event.delay));
  });
  return story;
}

// ---------------------------------------------------------------------------------------------
// The independent computation

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
  withFailures: number;
  fraudScreened: number;
  fraudApproved: number;
  fraudReviewed: number;
  fraudRejected: number;
  disputesOpened: number;
  disputedAmount: number;
  disputesLost: number;
  ordersShipped: number;
  shippedOnTime: number;
  shipMillis: number[];
  shipmentsDelivered: number;
  deliverMillis: number[];
  deliveryExceptions: number;
}

const zeroTally = (): Tally => ({
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
  withFailures: 0,
  fraudScreened: 0,
  fraudApproved: 0,
  fraudReviewed: 0,
  fraudRejected: 0,
  disputesOpened: 0,
  disputedAmount: 0,
  disputesLost: 0,
  ordersShipped: 0,
  shippedOnTime: 0,
  shipMillis: [],
  shipmentsDelivered: 0,
  deliverMillis: [],
  deliveryExceptions: 0,
});

const calendars = new Map<string, Intl.DateTimeFormat>();

/** `en-CA` writes dates as `YYYY-MM-DD`. */
function calendarOf(timeZone: string): Intl.DateTimeFormat {
  const known = calendars.get(timeZone);
  if (known !== undefined) return known;
  const format = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  });
  calendars.set(timeZone, format);
  return format;
}

/** What one order adds to the metrics of the local dates `dates`; undefined if nothing. */
function tallyOf(order: Order, timeZone: string, dates: ReadonlySet<string>, shipWithinHours: number) {
  const format = calendarOf(timeZone);
  const dateOf = (at: string) => format.format(new Date(at));
  const inPeriod = (at: string) => dates.has(dateOf(at));
  const ms = (at: string) => new Date(at).getTime();
  const tally = zeroTally();
  let touched = false;
  const payment = order.paymentFacts;

  if (inPeriod(order.createdAt)) {
    touched = true;
    tally.checkoutsStarted += 1;
    if (payment?.capture) tally.checkoutsPaid += 1;
    if (order.status === 'cancelled' && order.cancelReason === 'payment_expired') {
      tally.checkoutsAbandoned += 1;
      tally.abandonedValue += order.amounts.total;
    }
    if (payment && payment.failedAttempts.length > 0) tally.withFailures += 1;
  }
  if (payment?.capture && inPeriod(payment.capture.at)) {
    touched = true;
    tally.ordersPaid += 1;
    tally.grossSales += order.amounts.subtotal;
    tally.discounts += order.amounts.discount;
    tally.shippingCharged += order.amounts.shipping;
    tally.taxCollected += order.amounts.tax;
    for (const line of order.lines) tally.unitsSold += line.quantity;
  }
  for (const refund of payment?.refunds ?? []) {
    if (inPeriod(refund.created) && refund.status !== 'failed' && refund.status !== 'canceled') {
      touched = true;
      tally.refunds += refund.amount;
    }
  }
  const decisions = payment?.decisions ?? [];
  const firstRules = decisions
    .filter((decision) => decision.decidedBy === 'rules')
    .sort((a, b) => ms(a.decidedAt) - ms(b.decidedAt))[0];
  if (firstRules && inPeriod(firstRules.decidedAt)) {
    touched = true;
    const rejected = decisions.some((decision) => decision.decision === 'reject');
    tally.fraudScreened += 1;
    if (rejected) tally.fraudRejected += 1;
    else if (decisions.some((decision) => decision.decision === 'approve')) tally.fraudApproved += 1;
    if (decisions.some((decision) => decision.decision === 'review')) tally.fraudReviewed += 1;
  }
  for (const dispute of payment?.disputes ?? []) {
    if (inPeriod(dispute.created)) {
      touched = true;
      tally.disputesOpened += 1;
      tally.disputedAmount += dispute.amount;
    }
    if (dispute.status === 'lost' && inPeriod(dispute.statusAt)) {
      touched = true;
      tally.disputesLost += 1;
    }
  }
  const byCreation = [...order.shipments].sort(
    (a, b) => ms(a.createdAt) - ms(b.createdAt) || (a.id < b.id ? -1 : 1),
  );
  const first = byCreation[0];
  if (first && inPeriod(first.createdAt)) {
    touched = true;
    tally.ordersShipped += 1;
    if (payment?.capture) {
      const took = ms(first.createdAt) - ms(payment.capture.at);
      tally.shipMillis.push(took);
      if (took <= shipWithinHours * 60 * 60 * 1000) tally.shippedOnTime += 1;
    }
  }
  for (const shipment of order.shipments) {
    const deliveries = shipment.events
      .filter((event) => event.status === 'delivered')
      .map((event) => ms(event.occurredAt));
    if (deliveries.length > 0) {
      const deliveredAt = Math.min(...deliveries);
      if (inPeriod(new Date(deliveredAt).toISOString())) {
        touched = true;
        tally.shipmentsDelivered += 1;
        tally.deliverMillis.push(deliveredAt - ms(shipment.createdAt));
      }
    }
    const exceptionDays = new Set(
      shipment.events
        .filter((event) => event.status === 'exception' || event.status === 'returned')
        .map((event) => dateOf(event.occurredAt))
        .filter((date) => dates.has(date)),
    );
    if (exceptionDays.size > 0) touched = true;
    tally.deliveryExceptions += exceptionDays.size;
  }
  return touched ? tally : undefined;
}

function expectedMetrics(t: Tally): KpiMetrics {
  const ratio = (part: number, whole: number) =>
    whole === 0 ? null : Math.round((part * 10_000) / whole) / 10_000;
  const percentile = (values: number[], p: number) => {
    if (values.length === 0) return null;
    const sorted = [...values].sort((a, b) => a - b);
    const value = sorted[Math.ceil((p / 100) * sorted.length) - 1] ?? Number.NaN;
    return Math.round(value / 36_000) / 100;
  };
  return {
    ordersPaid: t.ordersPaid,
    grossSales: t.grossSales,
    discounts: t.discounts,
    shippingCharged: t.shippingCharged,
    taxCollected: t.taxCollected,
    unitsSold: t.unitsSold,
    refunds: t.refunds,
    netSales: t.grossSales - t.discounts - t.refunds,
    averageOrderValue: t.ordersPaid === 0 ? null : Math.round((t.grossSales - t.discounts) / t.ordersPaid),
    checkoutsStarted: t.checkoutsStarted,
    checkoutsPaid: t.checkoutsPaid,
    conversionRate: ratio(t.checkoutsPaid, t.checkoutsStarted),
    checkoutsAbandoned: t.checkoutsAbandoned,
    abandonedValue: t.abandonedValue,
    paymentFailureRate: ratio(t.withFailures, t.checkoutsStarted),
    fraudScreened: t.fraudScreened,
    fraudApproved: t.fraudApproved,
    fraudReviewed: t.fraudReviewed,
    fraudRejected: t.fraudRejected,
    fraudRejectRate: ratio(t.fraudRejected, t.fraudScreened),
    disputesOpened: t.disputesOpened,
    disputedAmount: t.disputedAmount,
    disputesLost: t.disputesLost,
    ordersShipped: t.ordersShipped,
    hoursToShip: { p50: percentile(t.shipMillis, 50), p90: percentile(t.shipMillis, 90) },
    onTimeShipRate: ratio(t.shippedOnTime, t.ordersShipped),
    shipmentsDelivered: t.shipmentsDelivered,
    hoursToDeliver: { p50: percentile(t.deliverMillis, 50), p90: percentile(t.deliverMillis, 90) },
    deliveryExceptions: t.deliveryExceptions,
  };
}

/** The metrics of every row for the dates `dates`, by `dimension|value|currency`. */
function expectedRows(
  orders: readonly Order[],
  timeZone: string,
  dates: readonly string[],
  shipWithinHours: number,
): Record<string, KpiMetrics> {
  const rows = new Map<string, Tally>();
  for (const order of orders) {
    const tally = tallyOf(order, timeZone, new Set(dates), shipWithinHours);
    if (tally === undefined) continue;
    const a = order.attribution;
    const values: [string, string | null][] = [
      ['all', null],
      ['segment', order.customer.type],
      ['channel', a?.channel ?? 'unattributed'],
      ['territory', a?.territory ?? 'unattributed'],
      ['salesRep', a?.salesRepId ?? 'unattributed'],
      ['country', order.shippingAddress.country],
    ];
    for (const [dimension, value] of values) {
      const key = `${dimension}|${value}|${order.currency}`;
      const row = rows.get(key) ?? zeroTally();
      for (const [name, amount] of Object.entries(tally) as [keyof Tally, number | number[]][]) {
        if (Array.isArray(amount)) (row[name] as number[]).push(...amount);
        else (row[name] as number) += amount;
      }
      rows.set(key, row);
    }
  }
  return Object.fromEntries([...rows].map(([key, tally]) => [key, expectedMetrics(tally)]));
}

function actualRows(partials: DayPartials): Record<string, KpiMetrics> {
  return Object.fromEntries(
    kpiRows(partials).map((row) => [`${row.dimension}|${row.value}|${row.currency}`, row.metrics]),
  );
}

// ---------------------------------------------------------------------------------------------
// The property

/** A deterministic shuffle (mulberry32), so a failing case replays with its seed. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  let state = seed >>> 0;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const copy = [...items];
  for (let index = copy.length - 1; index > 0; index -= 1) {
    const other = Math.floor(random() * (index + 1));
    [copy[index], copy[other]] = [copy[other] as T, copy[index] as T];
  }
  return copy;
}

const hoursByDay = new Map<string, string[]>();

/** The UTC hours of each local day, worked out once: the property reads each quarter's days often. */
function hoursOfDay(date: string, timeZone: string): string[] {
  const key = `${timeZone} ${date}`;
  const known = hoursByDay.get(key);
  if (known !== undefined) return known;
  const hours = utcHoursOfLocalDay(date, timeZone);
  hoursByDay.set(key, hours);
  return hours;
}

describe('the KPI rollup against an independent computation', () => {
  it('matches every metric of every row, for days and for the weeks, months and quarters they are in', () => {
    fc.assert(
      fc.property(scenario, ({ window, shipWithinHours, orders: specs, seed }) => {
        const { timeZone, dates } = window;
        const stories = specs.map((spec, index) => play(spec, index, `${dates[0]}T00:00:00.000Z`));
        const orders = stories.map((story) => story.order);
        const byId = ordersById(orders);

        // The fact table: items under their keys, so a fact brought twice is one item.
        const table = new Map<string, Map<string, Fact>>();
        for (const fact of stories.flatMap((story) => story.facts)) {
          const { pk, sk } = factKey(storeId, fact);
          const partition = table.get(pk) ?? new Map<string, Fact>();
          partition.set(sk, fact);
          table.set(pk, partition);
        }
        // Every fact an order implies now was written by one of its changes.
        for (const order of orders) {
          for (const fact of factsOf(order)) {
            const { pk, sk } = factKey(storeId, fact);
            expect(table.get(pk)?.has(sk), sk).toBe(true);
          }
        }
        const factsOfDay = (date: string) =>
          hoursOfDay(date, timeZone).flatMap((hour) => [
            ...(table.get(factPartition(storeId, hour))?.values() ?? []),
          ]);
        const context = (date: string) => ({ timeZone, date, shipWithinHours });

        const days = new Map<string, DayPartials>();
        const rollup = (date: string) => {
          const known = days.get(date);
          if (known !== undefined) return known;
          // Pages of 7 facts in a shuffled order, as a Query over many partitions may return them.
          const facts = shuffled(factsOfDay(date), seed);
          const accumulator = newDayAccumulator();
          for (let index = 0; index < facts.length; index += 7) {
            addFacts(accumulator, facts.slice(index, index + 7), byId, context(date));
          }
          const partials = partialsOf(accumulator);
          days.set(date, partials);
          return partials;
        };

        for (const date of dates) {
          expect(actualRows(rollup(date)), date).toEqual(
            expectedRows(orders, timeZone, [date], shipWithinHours),
          );
        }

        for (const granularity of ['week', 'month', 'quarter'] as const) {
          for (const period of new Set(dates.map((date) => periodOf(date, granularity)))) {
            const periodDays = daysOfPeriod(period);
            const merged = mergePartials(periodDays.map(rollup));
            expect(actualRows(merged), period).toEqual(
              expectedRows(orders, timeZone, periodDays, shipWithinHours),
            );

            // The same period folded from all its facts at once, into one accumulator.
            const periodFacts = new Map(
              periodDays.flatMap(factsOfDay).map((fact) => [factKey(storeId, fact).sk, fact]),
            );
            const whole = newDayAccumulator();
            for (const date of periodDays) addFacts(whole, periodFacts.values(), byId, context(date));
            expect(partialsOf(whole), period).toEqual(merged);
          }
        }
      }),
      { numRuns: 50 },
    );
  });
});
