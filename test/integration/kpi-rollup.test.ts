/**
 * The KPI rollups on the running stack's DynamoDB Local (issue 5 items 1–2, docs/kpis.md): a
 * store's local day read from its hour partitions, in UTC and in America/Los_Angeles, with facts
 * on both sides of local midnight, gives the rows `rollupDay` computes in memory over the same
 * facts and orders; a re-run changes nothing but `computedAt`; a value that no longer has a fact
 * on the day loses its row; weeks, months and quarters are the computation over all their days.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { kpiRowPartition, kpiRowSortKey } from '../../functions/adapters/kpi-keys.ts';
import { KpiRepository } from '../../functions/adapters/kpi-repository.ts';
import { StoresRepository } from '../../functions/adapters/stores-repository.ts';
import {
  daysOfPeriod,
  type Fact,
  firstShipmentOf,
  type KpiRow,
  kpiRows,
  localDate,
  mergePartials,
  percentilesOf,
  rollupDay,
} from '../../functions/domain/kpis.ts';
import {
  periodsOfDates,
  type RollupDependencies,
  rollupPeriods,
  rollupStoreDay,
} from '../../functions/kpis/rollup.ts';
import { minutesAfter, ordersById, Story } from '../domain/kpis-fixtures.ts';
import { createStore } from '../support/api.ts';
import {
  boundaryDay,
  contentOf,
  localInstant,
  type StoredRow,
  storedRows,
  writeStories,
} from '../support/kpi-days.ts';

let client: DynamoDBDocumentClient;
let tableName: string;

beforeAll(async () => {
  Object.assign(process.env, inject('stackEnvironment'));
  const dynamodb = await import('../../functions/adapters/dynamodb.ts');
  client = dynamodb.documentClient;
  tableName = dynamodb.mainTableName();
});

function dependencies(computedAt: string): RollupDependencies {
  return {
    kpis: new KpiRepository(client, tableName),
    stores: new StoresRepository(client, tableName),
    clock: { now: () => new Date(computedAt) },
  };
}

const shipWithinHours = 2;
const firstRun = '2026-09-20T09:00:00.000Z';
const secondRun = '2026-09-21T09:00:00.000Z';

const factsOf = (stories: readonly Story[]): Fact[] => stories.flatMap((story) => story.facts);
const ordersOf = (stories: readonly Story[]) => ordersById(stories.map((story) => story.order));
const row = (rows: readonly KpiRow[], dimension: string, value: string | null, currency: string) =>
  rows.find((item) => item.dimension === dimension && item.value === value && item.currency === currency);
const valuesOf = (rows: readonly KpiRow[]) => rows.map((item) => `${item.dimension}=${item.value}`);
const withoutStamp = ({ computedAt: _computedAt, ...rest }: StoredRow) => rest;

describe.each(['UTC', 'America/Los_Angeles'])('the rollup of a store day in %s', (timeZone) => {
  const date = '2026-09-16';

  async function seededStore() {
    const store = await createStore({ timezone: timeZone, settings: { fulfilment: { shipWithinHours } } });
    const day = boundaryDay(timeZone, date);
    await writeStories(client, tableName, store.id, day.stories);
    return { storeId: store.id, day };
  }

  const inMemory = (stories: readonly Story[]) =>
    kpiRows(rollupDay(factsOf(stories), ordersOf(stories), { timeZone, date, shipWithinHours }));

  it('writes the rows rollupDay computes over the same facts and orders', async () => {
    const { storeId, day } = await seededStore();

    const result = await rollupStoreDay(dependencies(firstRun), { storeId, date });

    const rows = await storedRows(client, tableName, storeId, 'day', date);
    const expected = inMemory(day.stories);
    expect(rows.map(contentOf)).toEqual(expected);
    const factsOfDay = factsOf(day.stories).filter((fact) => localDate(fact.at, timeZone) === date);
    expect(result).toEqual({ facts: factsOfDay.length, rows: expected.length });
    for (const stored of rows) {
      expect(stored).toMatchObject({
        pk: kpiRowPartition(storeId, 'day', stored.dimension),
        sk: kpiRowSortKey(date, stored.value, stored.currency),
        entity: 'kpiRow',
        period: date,
        computedAt: firstRun,
      });
    }
    // The local midnights, by hand: ord_night's checkout is the day before but its capture is the
    // day's; ord_abandoned opened 23:55 is the day's; ord_next and the dispute are the next day's.
    expect(row(rows, 'all', null, 'usd')?.metrics).toMatchObject({
      checkoutsStarted: 3,
      checkoutsPaid: 1,
      checkoutsAbandoned: 1,
      abandonedValue: 999,
      paymentFailureRate: 0.3333,
      ordersPaid: 2,
      grossSales: 3000 + 4200,
      fraudScreened: 2,
      fraudReviewed: 1,
      fraudApproved: 1,
      fraudRejected: 1,
      ordersShipped: 2,
      hoursToShip: { p50: 1.5, p90: 3 },
      onTimeShipRate: 0.5,
      shipmentsDelivered: 2,
      deliveryExceptions: 1,
    });
    expect(row(rows, 'all', null, 'eur')?.metrics).toMatchObject({
      ordersPaid: 1,
      grossSales: 2100,
      discounts: 100,
      refunds: 500,
      netSales: 1500,
      disputesOpened: 0,
    });
    expect(row(rows, 'territory', 'north#1', 'eur')?.metrics.ordersPaid).toBe(1);
  });

  it('gives identical rows when the day is rolled up again, but for computedAt', async () => {
    const { storeId } = await seededStore();
    await rollupStoreDay(dependencies(firstRun), { storeId, date });
    const first = await storedRows(client, tableName, storeId, 'day', date);

    await rollupStoreDay(dependencies(secondRun), { storeId, date });

    const second = await storedRows(client, tableName, storeId, 'day', date);
    expect(second.map(withoutStamp)).toEqual(first.map(withoutStamp));
    expect(first.map((stored) => stored.computedAt)).toEqual(first.map(() => firstRun));
    expect(second.map((stored) => stored.computedAt)).toEqual(second.map(() => secondRun));
  });

  it('deletes the row of a value that no longer has a fact on the day', async () => {
    const { storeId, day } = await seededStore();
    await rollupStoreDay(dependencies(firstRun), { storeId, date });
    const before = valuesOf(await storedRows(client, tableName, storeId, 'day', date));
    const japanOnly = ['territory=gone#1', 'salesRep=rep_gone', 'country=JP'];
    expect(before).toEqual(expect.arrayContaining(japanOnly));

    // An earlier scan moves ord_jp's delivery to the day before; its old fact stays in the table.
    day.deliverJapanEarlier();
    await writeStories(client, tableName, storeId, day.stories);
    await rollupStoreDay(dependencies(secondRun), { storeId, date });

    const after = await storedRows(client, tableName, storeId, 'day', date);
    for (const value of japanOnly) expect(valuesOf(after)).not.toContain(value);
    expect(after.map(contentOf)).toEqual(inMemory(day.stories));
    expect(after.length).toBeLessThan(before.length);
  });
});

describe('the rollup of weeks, months and quarters', () => {
  const timeZone = 'America/Los_Angeles';
  /** Thursday 2026-09-10 to Wednesday 2026-09-16: the end of ISO week 37 and the start of 38. */
  const firstDate = '2026-09-10';
  const days = 7;

  /** Three checkouts a day with shipping times that differ day by day, refunds two days later. */
  function spreadStories(): Story[] {
    const stories: Story[] = [];
    for (let day = 0; day < days; day++) {
      const at = (time: string) => localInstant(timeZone, firstDate, day, time);
      const paid = new Story({
        id: `ord_d${day}_paid`,
        at: at('09:00'),
        lines: [[1 + (day % 3), 1200]],
        attribution: { channel: 'inbound', territory: day % 2 === 0 ? 'west' : 'east' },
      })
        .authorize(at('09:01'))
        .decide('approve', 'rules', at('09:02'))
        .capture(at('09:03'));
      const shipped = paid.ship(minutesAfter(at('09:03'), 30 + day * 45));
      paid.track(shipped, 'delivered', minutesAfter(at('09:03'), 24 * 60 + day * 60));
      stories.push(paid);

      const business = new Story({
        id: `ord_d${day}_b2b`,
        at: at('14:00'),
        segment: 'b2b',
        country: 'CA',
        attribution: { channel: 'outbound', salesRepId: `rep_${day % 2}` },
        lines: [[2, 5000]],
        discount: 500,
      })
        .authorize(at('14:01'))
        .decide(day === 3 ? 'review' : 'approve', 'rules', at('14:02'));
      if (day === 3) business.decide('reject', 'reviewer', at('15:00'));
      else {
        business.capture(at('14:05')).refund({
          id: `re_d${day}`,
          amount: 1000 + day,
          status: 'succeeded',
          created: localInstant(timeZone, firstDate, day + 2, '10:00'),
        });
        business.ship(at(`${16 + (day % 4)}:00`));
      }
      stories.push(business);

      const euro = new Story({ id: `ord_d${day}_eur`, at: at('22:30'), currency: 'eur', lines: [[1, 800]] });
      if (day % 2 === 0) euro.cancel('payment_expired', at('23:00'));
      else
        euro
          .failAttempt(at('22:31'))
          .authorize(at('22:32'))
          .decide('approve', 'rules', at('22:33'))
          .capture(at('22:34'));
      stories.push(euro);
    }
    return stories;
  }

  it('equals the rollup of all the period’s facts at once, never an average of its days', async () => {
    const store = await createStore({ timezone: timeZone, settings: { fulfilment: { shipWithinHours } } });
    const stories = spreadStories();
    await writeStories(client, tableName, store.id, stories);
    const facts = factsOf(stories);
    const orders = ordersOf(stories);
    const dates = [...new Set(facts.map((fact) => localDate(fact.at, timeZone)))].sort();
    for (const date of dates) await rollupStoreDay(dependencies(firstRun), { storeId: store.id, date });

    const periods = periodsOfDates(dates);
    expect(periods).toEqual(['2026-W37', '2026-W38', '2026-09', '2026-Q3']);
    const result = await rollupPeriods(dependencies(secondRun), { storeId: store.id, periods });

    let written = 0;
    for (const [granularity, period] of [
      ['week', '2026-W37'],
      ['week', '2026-W38'],
      ['month', '2026-09'],
      ['quarter', '2026-Q3'],
    ] as const) {
      const expected = kpiRows(
        mergePartials(
          daysOfPeriod(period).map((date) => rollupDay(facts, orders, { timeZone, date, shipWithinHours })),
        ),
      );
      const rows = await storedRows(client, tableName, store.id, granularity, period);
      expect(
        rows.map(({ dimension, value, currency, metrics }) => ({ dimension, value, currency, metrics })),
      ).toEqual(
        expected.map(({ dimension, value, currency, metrics }) => ({ dimension, value, currency, metrics })),
      );
      for (const stored of rows) {
        expect(stored).toMatchObject({ period, entity: 'kpiRow', computedAt: secondRun });
        expect(stored.partials).toBeUndefined();
      }
      written += rows.length;
    }
    expect(result).toEqual({ rows: written });

    // Straight from the orders: the month's usd sales and its shipping percentiles over every
    // shipped order at once.
    const month = row(await storedRows(client, tableName, store.id, 'month', '2026-09'), 'all', null, 'usd');
    const usd = stories.map((story) => story.order).filter((order) => order.currency === 'usd');
    const paid = usd.filter((order) => order.paymentFacts?.capture !== undefined);
    const hoursToShip = paid.flatMap((order) => {
      const first = firstShipmentOf(order);
      const capturedAt = order.paymentFacts?.capture?.at;
      return first === undefined || capturedAt === undefined
        ? []
        : [Date.parse(first.createdAt) - Date.parse(capturedAt)];
    });
    expect(month?.metrics).toMatchObject({
      ordersPaid: paid.length,
      grossSales: paid.reduce((sum, order) => sum + order.amounts.subtotal, 0),
      refunds: paid.reduce((sum, order) => sum + order.amounts.refunded, 0),
      ordersShipped: hoursToShip.length,
      hoursToShip: percentilesOf(hoursToShip),
    });
  });

  it('refuses a day as a period: a day is rolled up from its facts', async () => {
    await expect(
      rollupPeriods(dependencies(firstRun), { storeId: 'str_any', periods: ['2026-09-16'] }),
    ).rejects.toThrow(/rolled up from its facts/);
  });
});
