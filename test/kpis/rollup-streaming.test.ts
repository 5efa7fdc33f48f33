/**
 * The rollup use cases over an in-memory repository: the day is streamed (each BatchGetItem holds
 * at most 100 orders, all named by the page of facts just read, none only by a neighbouring date's
 * facts in the hours a :30 zone shares), its rows are `rollupDay`'s, and periods are listed from
 * dates across an ISO year's end.
 */
import { describe, expect, it } from 'vitest';
import { NotFound } from '../../functions/domain/errors.ts';
import {
  type Dimension,
  dimensions,
  type Fact,
  type KpiRow,
  kpiRows,
  localDate,
  type PartialsRow,
  rollupDay,
  utcHourOf,
  utcHoursOfLocalDay,
} from '../../functions/domain/kpis.ts';
import type { Order } from '../../functions/domain/order.ts';
import {
  type KpiRollupRepository,
  periodsOfDates,
  type RollupDependencies,
  rollupStoreDay,
} from '../../functions/kpis/rollup.ts';
import { minutesAfter, ordersById, Story } from '../domain/kpis-fixtures.ts';

const timeZone = 'Asia/Kolkata';
const date = '2026-09-16';
const shipWithinHours = 24;
const factsPerPage = 500;

/**
 * 300 orders, one every 10 seconds from 23:40 the day before (local), through their funnel: the
 * first UTC hour of the day (23:30 to 00:30 in Kolkata) holds far more than 100 of them.
 */
function busyStories(): Story[] {
  const start = Date.parse('2026-09-15T18:10:00.000Z');
  return Array.from({ length: 300 }, (_, index) => {
    const at = new Date(start + index * 10_000).toISOString();
    const story = new Story({
      id: `ord_${String(index).padStart(3, '0')}`,
      at,
      currency: index % 5 === 0 ? 'eur' : 'usd',
      segment: index % 3 === 0 ? 'b2b' : 'b2c',
      attribution: { channel: index % 2 === 0 ? 'inbound' : 'outbound', salesRepId: `rep_${index % 4}` },
    });
    if (index % 7 === 0) return story.cancel('payment_expired', minutesAfter(at, 30));
    story
      .authorize(minutesAfter(at, 1))
      .decide('approve', 'rules', minutesAfter(at, 2))
      .capture(minutesAfter(at, 3));
    if (index % 2 === 0) {
      const shipment = story.ship(minutesAfter(at, 90 + index));
      story.track(shipment, 'delivered', minutesAfter(at, 600 + index));
    }
    return story;
  });
}

class InMemoryKpis implements KpiRollupRepository {
  readonly fetches: { readonly ids: readonly string[]; readonly page: readonly Fact[] }[] = [];
  readonly replaced: { period: string; dimension: Dimension; rows: readonly KpiRow[] }[] = [];
  private lastPage: readonly Fact[] = [];

  constructor(
    private readonly facts: readonly Fact[],
    private readonly orders: ReadonlyMap<string, Order>,
  ) {}

  async *factsOfLocalDay(_storeId: string, day: string, zone: string): AsyncGenerator<Fact[]> {
    for (const hour of utcHoursOfLocalDay(day, zone)) {
      const ofHour = this.facts.filter((fact) => utcHourOf(fact.at) === hour);
      for (let start = 0; start < ofHour.length; start += factsPerPage) {
        const page = ofHour.slice(start, start + factsPerPage);
        this.lastPage = page;
        yield page;
      }
    }
  }

  async ordersByIds(_storeId: string, ids: readonly string[]): Promise<Map<string, Order>> {
    this.fetches.push({ ids, page: this.lastPage });
    const found = new Map<string, Order>();
    for (const id of ids) {
      const order = this.orders.get(id);
      if (order !== undefined) found.set(id, order);
    }
    return found;
  }

  async replaceRows(_storeId: string, period: string, dimension: Dimension, rows: readonly KpiRow[]) {
    this.replaced.push({ period, dimension, rows });
  }

  async dayRows(): Promise<PartialsRow[]> {
    return [];
  }
}

function dependencies(kpis: KpiRollupRepository, store = { timezone: timeZone }): RollupDependencies {
  return {
    kpis,
    stores: {
      get: async (storeId) =>
        storeId === 'str_gone'
          ? undefined
          : { timezone: store.timezone, settings: { fulfilment: { shipWithinHours } } },
    },
    clock: { now: () => new Date('2026-09-17T03:00:00.000Z') },
  };
}

describe('rollupStoreDay', () => {
  const stories = busyStories();
  const facts = stories.flatMap((story) => story.facts);
  const orders = ordersById(stories.map((story) => story.order));
  const ofDay = facts.filter((fact) => localDate(fact.at, timeZone) === date);

  it('fetches at most 100 orders at a time, each named by the page just read on the day', async () => {
    const kpis = new InMemoryKpis(facts, orders);

    await rollupStoreDay(dependencies(kpis), { storeId: 'str_1', date });

    expect(Math.max(...kpis.fetches.map((fetch) => fetch.ids.length))).toBe(100);
    for (const fetch of kpis.fetches) {
      expect(fetch.ids.length).toBeLessThanOrEqual(100);
      expect(new Set(fetch.ids).size).toBe(fetch.ids.length);
      const namedOnTheDay = new Set(
        fetch.page.filter((fact) => localDate(fact.at, timeZone) === date).map((fact) => fact.orderId),
      );
      for (const id of fetch.ids) expect(namedOnTheDay).toContain(id);
    }
    // Every order the day's facts name is fetched, so every fact of the day is counted.
    const fetched = new Set(kpis.fetches.flatMap((fetch) => fetch.ids));
    expect(fetched).toEqual(new Set(ofDay.map((fact) => fact.orderId)));
    // The first and last hours are shared with the neighbouring dates in this +05:30 zone.
    const shared = facts.filter(
      (fact) =>
        localDate(fact.at, timeZone) !== date &&
        utcHoursOfLocalDay(date, timeZone).includes(utcHourOf(fact.at)),
    );
    expect(shared.length).toBeGreaterThan(0);
  });

  it('replaces each dimension’s rows of the day with rollupDay’s', async () => {
    const kpis = new InMemoryKpis(facts, orders);

    const result = await rollupStoreDay(dependencies(kpis), { storeId: 'str_1', date });

    const expected = kpiRows(rollupDay(facts, orders, { timeZone, date, shipWithinHours }));
    expect(kpis.replaced.map((call) => [call.period, call.dimension])).toEqual(
      dimensions.map((dimension) => [date, dimension]),
    );
    expect(kpis.replaced.flatMap((call) => call.rows)).toEqual(expected);
    expect(result).toEqual({ facts: ofDay.length, rows: expected.length });
  });

  it('fails on a store that does not exist', async () => {
    await expect(
      rollupStoreDay(dependencies(new InMemoryKpis([], new Map())), { storeId: 'str_gone', date }),
    ).rejects.toBeInstanceOf(NotFound);
  });
});

describe('periodsOfDates', () => {
  it('lists each week, month and quarter once, across an ISO year’s end', () => {
    expect(periodsOfDates(['2026-12-31', '2026-09-13', '2027-01-01', '2026-09-14', '2026-09-13'])).toEqual([
      '2026-W37',
      '2026-W38',
      '2026-W53',
      '2026-09',
      '2026-12',
      '2027-01',
      '2026-Q3',
      '2026-Q4',
      '2027-Q1',
    ]);
    expect(periodsOfDates([])).toEqual([]);
  });
});
