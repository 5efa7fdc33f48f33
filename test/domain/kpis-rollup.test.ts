/**
 * The rollup of a day by hand: a small store day whose every metric is worked out below, the
 * rules of the fold (other dates, missing orders, moved facts, exceptions once per shipment and
 * day, paging), and the contract's rounding and nulls.
 */
import { describe, expect, it } from 'vitest';
import {
  addFacts,
  DayPartials,
  emptyPartials,
  type KpiMetrics,
  KpiMetrics as KpiMetricsSchema,
  kpiRows,
  mergePartials,
  metricsOf,
  newDayAccumulator,
  partialsOf,
  rollupDay,
} from '../../functions/domain/kpis.ts';
import { minutesAfter, ordersById, Story } from './kpis-fixtures.ts';

const day = '2026-11-28';
const utc = { timeZone: 'UTC', date: day, shipWithinHours: 1 };
const t = (time: string) => `${day}T${time}:00.000Z`;
const hours = (at: string, h: number) => minutesAfter(at, h * 60);

/**
 * One UTC day of a store:
 * - A (usd, b2c, inbound, west, rep_1, US): 2 × 1500, discount 300, shipping 500, tax 200; a failed
 *   attempt, approved, captured at 10:04; refunds of 500 (succeeded) and 100 (failed); a dispute of
 *   1000 opened 13:00 and lost 16:00; shipped 1.5 h after capture, delivered 6 h later.
 * - B (usd, b2b, no attribution, FR): 1 × 1001; sent to review, approved by a reviewer, captured
 *   11:31; shipped 1 h after capture; two exception scans; delivered 8 h after shipping.
 * - C (eur, b2c, outbound, rep_2, US): 3 × 700, abandoned (payment_expired).
 * - D (usd, b2c, inbound, US): rejected by the rules.
 * - E (usd, b2c, inbound, US): 1 × 1000, created and screened the day before, captured at 00:10.
 */
function storeDay() {
  const a = new Story({
    id: 'ord_a',
    at: t('10:00'),
    attribution: { channel: 'inbound', territory: 'west', salesRepId: 'rep_1' },
    lines: [[2, 1500]],
    discount: 300,
    shipping: 500,
    tax: 200,
  })
    .failAttempt(t('10:01'))
    .authorize(t('10:02'))
    .decide('approve', 'rules', t('10:03'))
    .capture(t('10:04'))
    .refund({ id: 're_1', amount: 500, status: 'succeeded', created: t('12:00') })
    .refund({ id: 're_2', amount: 100, status: 'pending', created: t('12:05') })
    .refund({ id: 're_2', amount: 100, status: 'failed', created: t('12:05') }, t('12:30'))
    .dispute({ id: 'dp_1', amount: 1000, status: 'needs_response', created: t('13:00') }, t('13:00'))
    .dispute({ id: 'dp_1', amount: 1000, status: 'lost', created: t('13:00') }, t('16:00'));
  const aShipment = a.ship(hours(t('10:04'), 1.5));
  a.track(aShipment, 'delivered', hours(hours(t('10:04'), 1.5), 6));

  const b = new Story({ id: 'ord_b', at: t('11:00'), segment: 'b2b', country: 'FR', lines: [[1, 1001]] })
    .authorize(t('11:01'))
    .decide('review', 'rules', t('11:02'))
    .decide('approve', 'reviewer', t('11:30'))
    .capture(t('11:31'));
  const bShipment = b.ship(t('12:31'));
  b.track(bShipment, 'exception', t('14:00'))
    .track(bShipment, 'exception', t('15:00'))
    .track(bShipment, 'delivered', t('20:31'));

  const c = new Story({
    id: 'ord_c',
    at: t('12:00'),
    currency: 'eur',
    attribution: { channel: 'outbound', salesRepId: 'rep_2' },
    lines: [[3, 700]],
  }).cancel('payment_expired', t('12:30'));

  const d = new Story({ id: 'ord_d', at: t('13:00'), attribution: { channel: 'inbound' } })
    .authorize(t('13:01'))
    .decide('reject', 'rules', t('13:02'))
    .intentCanceled(t('13:03'), 'fraudulent');

  const e = new Story({ id: 'ord_e', at: '2026-11-27T23:30:00.000Z', attribution: { channel: 'inbound' } })
    .authorize('2026-11-27T23:31:00.000Z')
    .decide('approve', 'rules', '2026-11-27T23:40:00.000Z')
    .capture('2026-11-28T00:10:00.000Z');

  const stories = [a, b, c, d, e];
  return {
    facts: stories.flatMap((story) => story.facts),
    orders: ordersById(stories.map((story) => story.order)),
  };
}

const none = { p50: null, p90: null };

describe('rollupDay on a worked store day', () => {
  const { facts, orders } = storeDay();
  const rows = kpiRows(rollupDay(facts, orders, utc));
  const row = (dimension: string, value: string | null, currency: string) =>
    rows.find((item) => item.dimension === dimension && item.value === value && item.currency === currency);

  it('computes every metric of the usd row of `all`', () => {
    expect(row('all', null, 'usd')?.metrics).toEqual({
      ordersPaid: 3,
      grossSales: 3000 + 1001 + 1000,
      discounts: 300,
      shippingCharged: 500,
      taxCollected: 200,
      unitsSold: 4,
      refunds: 500,
      netSales: 5001 - 300 - 500,
      averageOrderValue: 1567, // 4701 / 3
      checkoutsStarted: 3,
      checkoutsPaid: 2,
      conversionRate: 0.6667,
      checkoutsAbandoned: 0,
      abandonedValue: 0,
      paymentFailureRate: 0.3333,
      fraudScreened: 3,
      fraudApproved: 2,
      fraudReviewed: 1,
      fraudRejected: 1,
      fraudRejectRate: 0.3333,
      disputesOpened: 1,
      disputedAmount: 1000,
      disputesLost: 1,
      ordersShipped: 2,
      hoursToShip: { p50: 1, p90: 1.5 },
      onTimeShipRate: 0.5,
      shipmentsDelivered: 2,
      hoursToDeliver: { p50: 6, p90: 8 },
      deliveryExceptions: 1,
    } satisfies KpiMetrics);
  });

  it('keeps currencies apart, with nulls where nothing can be divided', () => {
    expect(row('all', null, 'eur')?.metrics).toMatchObject({
      checkoutsStarted: 1,
      checkoutsPaid: 0,
      conversionRate: 0,
      checkoutsAbandoned: 1,
      abandonedValue: 2100,
      paymentFailureRate: 0,
      ordersPaid: 0,
      averageOrderValue: null,
      fraudRejectRate: null,
      onTimeShipRate: null,
      hoursToShip: none,
      hoursToDeliver: none,
    });
  });

  it('has a row per dimension value, `unattributed` where the order has none', () => {
    expect(rows.map((item) => [item.dimension, item.value, item.currency])).toEqual([
      ['all', null, 'eur'],
      ['all', null, 'usd'],
      ['segment', 'b2b', 'usd'],
      ['segment', 'b2c', 'eur'],
      ['segment', 'b2c', 'usd'],
      ['channel', 'inbound', 'usd'],
      ['channel', 'outbound', 'eur'],
      ['channel', 'unattributed', 'usd'],
      ['territory', 'unattributed', 'eur'],
      ['territory', 'unattributed', 'usd'],
      ['territory', 'west', 'usd'],
      ['salesRep', 'rep_1', 'usd'],
      ['salesRep', 'rep_2', 'eur'],
      ['salesRep', 'unattributed', 'usd'],
      ['country', 'FR', 'usd'],
      ['country', 'US', 'eur'],
      ['country', 'US', 'usd'],
    ]);
    expect(row('segment', 'b2b', 'usd')?.metrics).toMatchObject({
      ordersPaid: 1,
      grossSales: 1001,
      averageOrderValue: 1001,
      fraudReviewed: 1,
      deliveryExceptions: 1,
      hoursToShip: { p50: 1, p90: 1 },
      onTimeShipRate: 1,
    });
    expect(row('channel', 'inbound', 'usd')?.metrics).toMatchObject({
      ordersPaid: 2,
      checkoutsStarted: 2,
      fraudRejected: 1,
      refunds: 500,
    });
    expect(row('territory', 'unattributed', 'usd')?.metrics).toMatchObject({
      ordersPaid: 2,
      checkoutsStarted: 2,
    });
  });

  it('gives the same partials however the facts are ordered and paged', () => {
    const whole = rollupDay(facts, orders, utc);
    const accumulator = newDayAccumulator();
    const reversed = [...facts].reverse();
    for (let index = 0; index < reversed.length; index += 3) {
      addFacts(accumulator, reversed.slice(index, index + 3), orders, utc);
    }
    expect(partialsOf(accumulator)).toEqual(whole);
  });

  it('stores partials as JSON that reads back identical', () => {
    const partials = rollupDay(facts, orders, utc);
    expect(DayPartials().parse(JSON.parse(JSON.stringify(partials)))).toEqual(partials);
    for (const item of rows) expect(KpiMetricsSchema().parse(item.metrics)).toEqual(item.metrics);
  });
});

describe('what the fold counts', () => {
  it('ignores facts of other local dates and facts whose order is missing', () => {
    const { facts, orders } = storeDay();
    const withoutB = new Map([...orders].filter(([id]) => id !== 'ord_b'));
    const all = kpiRows(rollupDay(facts, withoutB, utc)).find(
      (row) => row.dimension === 'all' && row.currency === 'usd',
    );
    expect(all?.metrics).toMatchObject({ ordersPaid: 2, checkoutsStarted: 2, deliveryExceptions: 0 });
    expect(rollupDay(facts, orders, { ...utc, date: '2026-11-26' })).toEqual({ rows: [] });
    const before = kpiRows(rollupDay(facts, orders, { ...utc, date: '2026-11-27' }));
    expect(before.find((row) => row.dimension === 'all')?.metrics).toMatchObject({
      checkoutsStarted: 1,
      checkoutsPaid: 1,
      fraudScreened: 1,
      ordersPaid: 0,
    });
  });

  it('takes the day from the store’s timezone', () => {
    // 2026-11-29T05:00Z is 21:00 on the 28th in Los Angeles.
    const story = new Story({ id: 'ord_la', at: '2026-11-29T05:00:00.000Z' });
    const orders = ordersById([story.order]);
    const la = { timeZone: 'America/Los_Angeles', date: day, shipWithinHours: 48 };
    expect(kpiRows(rollupDay(story.facts, orders, la))[0]?.metrics.checkoutsStarted).toBe(1);
    expect(rollupDay(story.facts, orders, utc)).toEqual({ rows: [] });
  });

  it('counts a delivery once, on the day of its earliest scan, however many facts it left behind', () => {
    const story = new Story({ id: 'ord_1', at: t('08:00') })
      .authorize(t('08:01'))
      .decide('approve', 'rules', t('08:02'));
    story.capture(t('08:03'));
    const shipmentId = story.ship(t('09:00'));
    story.track(shipmentId, 'delivered', '2026-11-29T01:00:00.000Z');
    story.track(shipmentId, 'delivered', t('22:00'));
    const delivered = story.facts.filter((fact) => fact.type === 'shipment_delivered');
    expect(delivered.map((fact) => fact.at)).toEqual(['2026-11-29T01:00:00.000Z', t('22:00')]);
    const orders = ordersById([story.order]);
    const metrics = (date: string) =>
      kpiRows(rollupDay(story.facts, orders, { ...utc, date })).find((row) => row.dimension === 'all')
        ?.metrics;
    expect(metrics(day)).toMatchObject({ shipmentsDelivered: 1, hoursToDeliver: { p50: 13, p90: 13 } });
    expect(metrics('2026-11-29')).toBeUndefined();
  });

  it('counts a shipment’s exceptions once per day, and its first shipment only', () => {
    const story = new Story({ id: 'ord_1', at: t('08:00'), lines: [[2, 1000]] })
      .authorize(t('08:01'))
      .decide('approve', 'rules', t('08:02'))
      .capture(t('08:03'));
    const first = story.ship(t('09:00'), [{ sku: 'SKU0', quantity: 1 }]);
    story.ship(t('10:00'));
    story
      .track(first, 'exception', t('12:00'))
      .track(first, 'returned', t('13:00'))
      .track(first, 'exception', '2026-11-29T02:00:00.000Z');
    const orders = ordersById([story.order]);
    const dayOne = rollupDay(story.facts, orders, utc);
    const dayTwo = rollupDay(story.facts, orders, { ...utc, date: '2026-11-29' });
    const all = (partials: DayPartials) => kpiRows(partials).find((row) => row.dimension === 'all')?.metrics;
    expect(all(dayOne)).toMatchObject({
      ordersShipped: 1,
      deliveryExceptions: 1,
      hoursToShip: { p50: 0.95, p90: 0.95 },
    });
    expect(all(dayTwo)).toMatchObject({ ordersShipped: 0, deliveryExceptions: 1 });
    expect(all(mergePartials([dayOne, dayTwo]))).toMatchObject({ deliveryExceptions: 2 });
  });
});

describe('metricsOf', () => {
  it('is zero, or null where a denominator is zero, for nothing', () => {
    expect(metricsOf(emptyPartials())).toEqual({
      ordersPaid: 0,
      grossSales: 0,
      discounts: 0,
      shippingCharged: 0,
      taxCollected: 0,
      unitsSold: 0,
      refunds: 0,
      netSales: 0,
      averageOrderValue: null,
      checkoutsStarted: 0,
      checkoutsPaid: 0,
      conversionRate: null,
      checkoutsAbandoned: 0,
      abandonedValue: 0,
      paymentFailureRate: null,
      fraudScreened: 0,
      fraudApproved: 0,
      fraudReviewed: 0,
      fraudRejected: 0,
      fraudRejectRate: null,
      disputesOpened: 0,
      disputedAmount: 0,
      disputesLost: 0,
      ordersShipped: 0,
      hoursToShip: none,
      onTimeShipRate: null,
      shipmentsDelivered: 0,
      hoursToDeliver: none,
      deliveryExceptions: 0,
    });
  });

  it('rounds the average order value half away from zero, and rates to 4 decimals', () => {
    const partials = { ...emptyPartials(), ordersPaid: 2, grossSales: 1101, discounts: 100, refunds: 2000 };
    expect(metricsOf(partials)).toMatchObject({ averageOrderValue: 501, netSales: -999 });
    const rates = (part: number, whole: number) =>
      metricsOf({ ...emptyPartials(), checkoutsStarted: whole, checkoutsPaid: part }).conversionRate;
    expect([rates(1, 3), rates(2, 3), rates(1, 8), rates(1, 20_000), rates(1, 20_001), rates(3, 3)]).toEqual([
      0.3333, 0.6667, 0.125, 0.0001, 0, 1,
    ]);
  });

  it('takes nearest-rank percentiles in hours with 2 decimals', () => {
    const hour = 3_600_000;
    const tenHours = Array.from({ length: 10 }, (_, index) => (10 - index) * hour);
    expect(metricsOf({ ...emptyPartials(), millisToShip: tenHours }).hoursToShip).toEqual({ p50: 5, p90: 9 });
    const shortOnes = (millis: number[]) =>
      metricsOf({ ...emptyPartials(), millisToDeliver: millis }).hoursToDeliver;
    expect(shortOnes([60_000])).toEqual({ p50: 0.02, p90: 0.02 }); // 0.0167 h
    expect(shortOnes([18_000])).toEqual({ p50: 0.01, p90: 0.01 }); // 0.005 h, half away from zero
    expect(shortOnes([17_999])).toEqual({ p50: 0, p90: 0 });
    expect(shortOnes([3 * hour, hour])).toEqual({ p50: 1, p90: 3 });
  });

  it('has exactly the contract’s metric names', () => {
    expect(Object.keys(metricsOf(emptyPartials())).sort()).toEqual(
      [
        'ordersPaid',
        'grossSales',
        'discounts',
        'shippingCharged',
        'taxCollected',
        'unitsSold',
        'refunds',
        'netSales',
        'averageOrderValue',
        'checkoutsStarted',
        'checkoutsPaid',
        'conversionRate',
        'checkoutsAbandoned',
        'abandonedValue',
        'paymentFailureRate',
        'fraudScreened',
        'fraudApproved',
        'fraudReviewed',
        'fraudRejected',
        'fraudRejectRate',
        'disputesOpened',
        'disputedAmount',
        'disputesLost',
        'ordersShipped',
        'hoursToShip',
        'onTimeShipRate',
        'shipmentsDelivered',
        'hoursToDeliver',
        'deliveryExceptions',
      ].sort(),
    );
  });
});

describe('mergePartials', () => {
  it('adds rows of the same dimension, value and currency, in any grouping', () => {
    const { facts, orders } = storeDay();
    const a = rollupDay(facts, orders, utc);
    const b = rollupDay(facts, orders, { ...utc, date: '2026-11-27' });
    expect(mergePartials([])).toEqual({ rows: [] });
    expect(mergePartials([a])).toEqual(a);
    expect(mergePartials([a, b])).toEqual(mergePartials([b, a]));
    expect(mergePartials([mergePartials([a, b]), a])).toEqual(mergePartials([a, mergePartials([b, a])]));
    const doubled = mergePartials([a, a]).rows.find(
      (row) => row.dimension === 'all' && row.currency === 'usd',
    );
    expect(doubled?.partials).toMatchObject({
      ordersPaid: 6,
      millisToDeliver: [6, 6, 8, 8].map((h) => h * 3_600_000),
    });
  });

  it('leaves its inputs untouched', () => {
    const { facts, orders } = storeDay();
    const a = rollupDay(facts, orders, utc);
    const copy = structuredClone(a);
    mergePartials([a, a]);
    expect(a).toEqual(copy);
  });
});
