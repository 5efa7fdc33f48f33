/**
 * Issue 5's acceptance: a generated scenario played over HTTP on a local stack of this file's own
 * (its clock moves: ./scenario-stack.ts), for a store in `UTC` and one in `America/Los_Angeles`,
 * with events on both sides of each store's midnight (./day-scenario-player.ts). Every metric of
 * contract section 8, in every dimension, is held against an independent computation from the
 * scenario itself (./kpi-oracle.ts): the days after each store's night, the late refund's day
 * after the next night, the week, month and quarter rows, and the rows after re-running the days.
 *
 * The clock hook exists only in the local stack; test/infra/local-only.test.ts proves it is not
 * deployed. The steps run in order and share the scenario: each continues where the last stopped.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/orders-flow.ts';
import { DayScenario, type Moment, type ScenarioStore, scenarioTimeline } from './day-scenario-player.ts';
import {
  expectedKpis,
  type Granularity,
  localDateOf,
  type Metrics,
  oracleDimensions,
  periodOfDate,
  type RowKey,
  rowKey,
} from './kpi-oracle.ts';
import { type ScenarioStack, startScenarioStack } from './scenario-stack.ts';

type ApiRow = {
  period: string;
  dimension: string;
  value: string | null;
  currency: string;
  metrics: Metrics;
  computedAt: string;
};

const stepTimeoutMs = 240_000;

let stack: ScenarioStack | undefined;
let scenario: DayScenario;

beforeAll(async () => {
  stack = await startScenarioStack();
  scenario = await DayScenario.create(stack, scenarioTimeline(new Date()));
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

const addDays = (date: string, days: number) =>
  new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

/** Every row `GET /v1/kpis` answers for the range, in every dimension, by key. */
async function apiRows(
  store: ScenarioStore,
  granularity: Granularity,
  from: string,
  to: string,
): Promise<Map<RowKey, ApiRow>> {
  const rows = new Map<RowKey, ApiRow>();
  for (const dimension of oracleDimensions) {
    const response = await store.api.call<{ data: ApiRow[] }>(
      'GET',
      `/v1/kpis?from=${from}&to=${to}&granularity=${granularity}&dimension=${dimension}`,
    );
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    for (const row of response.body.data) {
      expect(row.dimension).toBe(dimension);
      rows.set(rowKey(row.period, row.dimension, row.value, row.currency), row);
    }
  }
  return rows;
}

/** The oracle's rows of the store, as the scenario stands now. */
async function expectedRows(store: ScenarioStore, granularity: Granularity): Promise<Map<RowKey, Metrics>> {
  return expectedKpis(await scenario.oracleOrders(store), {
    timeZone: store.timeZone,
    shipWithinHours: store.shipWithinHours,
    granularity,
  });
}

/** The metrics of the rows whose period is one of `periods`, by key in key order: a readable diff. */
function metricsIn(rows: ReadonlyMap<RowKey, Metrics | ApiRow>, periods: readonly string[]) {
  return Object.fromEntries(
    [...rows]
      .filter(([key]) => periods.includes(key.split('|')[0] ?? ''))
      .map(([key, row]): [string, Metrics] => [key, 'metrics' in row ? row.metrics : row])
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
}

/** Day rows of X−1 … X+2 as the API answers them and as the scenario computes them. */
async function dayRows(store: ScenarioStore) {
  const { x, x1 } = scenario.timeline;
  const from = addDays(x, -1);
  const to = addDays(x1, 1);
  const days = [from, x, x1, to];
  const [actual, expected] = await Promise.all([apiRows(store, 'day', from, to), expectedRows(store, 'day')]);
  return { actual, expected, days };
}

const allRow = (period: string) => rowKey(period, 'all', null, 'usd');

/** The local dates the store's orders of a moment were created on, as the server dated them. */
async function creationDates(store: ScenarioStore, name: Moment['name']): Promise<string[]> {
  const index = scenario.timeline.moments.findIndex((moment) => moment.name === name);
  const records = store.records.filter((record) => record.moment === index);
  const dates = await Promise.all(
    records.map(async (record) =>
      localDateOf((await scenario.view(store, record.id)).createdAt, store.timeZone),
    ),
  );
  return [...new Set(dates)];
}

function lateRefundOf(store: ScenarioStore) {
  const late = store.records.flatMap((record) => record.refunds.filter((refund) => refund.late));
  const [refund] = late;
  if (late.length !== 1 || refund?.created === undefined)
    throw new Error(`${store.key}: ${late.length} late refunds`);
  return { amount: refund.amount, created: refund.created };
}

describe('the KPIs of a played scenario (contract section 8, issue 5 acceptance)', () => {
  it(
    "at the UTC store's night, its day X equals the computation; the late refund is not counted",
    async () => {
      await scenario.playUntil('N1');
      const utc = scenario.store('utc');
      const la = scenario.store('la');
      const { x, x1 } = scenario.timeline;

      // Events on both sides of the store's local midnight.
      expect(await creationDates(utc, 'T2')).toEqual([x]);
      expect(await creationDates(utc, 'T3')).toEqual([x1]);

      const { actual, expected, days } = await dayRows(utc);
      expect(metricsIn(actual, days)).toEqual(metricsIn(expected, [x]));
      const late = lateRefundOf(utc);
      expect(localDateOf(late.created, utc.timeZone)).toBe(x);
      expect(expected.get(allRow(x))?.refunds).toBeGreaterThan(0);
      // Nothing of the held refund reached the backend: the day is rolled up without it.
      expect(actual.get(allRow(x))?.metrics.refunds).toBe(expected.get(allRow(x))?.refunds);

      // Los Angeles' day X is not over until 08:00 UTC: nothing of it is rolled up yet.
      expect((await apiRows(la, 'day', addDays(x, -1), x1)).size).toBe(0);
    },
    stepTimeoutMs,
  );

  it(
    "at the Los Angeles store's night, its day X equals the computation, across its midnight; the late refund is not counted",
    async () => {
      await scenario.playUntil('N2');
      const la = scenario.store('la');
      const { x, x1 } = scenario.timeline;
      expect(await creationDates(la, 'T4')).toEqual([x]);
      expect(await creationDates(la, 'T5')).toEqual([x1]);

      const { actual, expected, days } = await dayRows(la);
      expect(metricsIn(actual, days)).toEqual(metricsIn(expected, [x]));
      expect(localDateOf(lateRefundOf(la).created, la.timeZone)).toBe(x);
    },
    stepTimeoutMs,
  );

  it(
    'a late refund marks its day stale and the next scheduled run corrects it: every day row equals the computation',
    async () => {
      await scenario.playUntil('T6');
      const { x, x1 } = scenario.timeline;
      // The held webhooks are delivered: the backend knows of the refunds, the rows not yet.
      for (const store of scenario.stores) {
        const { actual, expected } = await dayRows(store);
        const late = lateRefundOf(store);
        expect(actual.get(allRow(x))?.metrics.refunds, store.key).toBe(
          (expected.get(allRow(x))?.refunds ?? 0) - late.amount,
        );
      }

      await scenario.playUntil('N3');
      for (const store of scenario.stores) {
        const { actual, expected, days } = await dayRows(store);
        expect(metricsIn(actual, days), store.key).toEqual(metricsIn(expected, days));
        expect([...actual.keys()].every((key) => key.startsWith(`${x}|`) || key.startsWith(`${x1}|`))).toBe(
          true,
        );
        expect(actual.get(allRow(x))?.metrics.refunds, store.key).toBeGreaterThanOrEqual(
          lateRefundOf(store).amount,
        );

        // Not a vacuous comparison: every metric of the contract counted something in the store's days.
        const alls = [allRow(x), allRow(x1)].map((key) => expected.get(key));
        const idle = Object.keys(alls[0] ?? {}).filter((metric) =>
          alls.every((metrics) => {
            const value = metrics?.[metric as keyof Metrics];
            return value === null || value === 0 || (typeof value === 'object' && value?.p50 === null);
          }),
        );
        expect(idle, store.key).toEqual([]);
      }
    },
    stepTimeoutMs,
  );

  it(
    'week, month and quarter rows equal the same computation over the whole period',
    async () => {
      const { x, x1 } = scenario.timeline;
      for (const store of scenario.stores) {
        for (const granularity of ['week', 'month', 'quarter'] as const) {
          const periods = [periodOfDate(x, granularity), periodOfDate(x1, granularity)];
          const [actual, expected] = await Promise.all([
            apiRows(store, granularity, x, x1),
            expectedRows(store, granularity),
          ]);
          expect(periods[0]).toBe(periods[1]);
          expect(actual.size, `${store.key} ${granularity}`).toBeGreaterThan(oracleDimensions.length);
          expect(metricsIn(actual, periods), `${store.key} ${granularity}`).toEqual(
            metricsIn(expected, periods),
          );
        }
      }
    },
    stepTimeoutMs,
  );

  it(
    'running the days again leaves their rows identical, only computedAt moves',
    async () => {
      const { x, x1 } = scenario.timeline;
      const snapshot = async (store: ScenarioStore) => {
        const rows = new Map<RowKey, ApiRow>();
        for (const granularity of ['day', 'week', 'month', 'quarter'] as const) {
          for (const [key, row] of await apiRows(store, granularity, x, x1)) rows.set(key, row);
        }
        return rows;
      };
      const before = new Map(
        await Promise.all(scenario.stores.map(async (store) => [store.key, await snapshot(store)] as const)),
      );
      await stack?.setClock(new Date(Date.parse(scenario.moment('N3').at) + 3_600_000).toISOString());

      for (const store of scenario.stores) {
        const started = await store.api.call<{ id: string; status: string }>('POST', '/v1/kpis/rollups', {
          body: { from: x, to: x1 },
        });
        expect(started.status, JSON.stringify(started.body)).toBe(202);
        const job = await eventuallyCompleted(store, started.body.id);
        expect(job).toEqual({ id: started.body.id, status: 'completed', progress: { done: 2, total: 2 } });
      }
      await stack?.drainQueues();

      for (const store of scenario.stores) {
        const earlier = before.get(store.key) ?? new Map<RowKey, ApiRow>();
        const after = await snapshot(store);
        expect(metricsIn(after, [...periodsOf(after)]), store.key).toEqual(
          metricsIn(earlier, [...periodsOf(earlier)]),
        );
        for (const [key, row] of after) {
          expect(Date.parse(row.computedAt), key).toBeGreaterThan(
            Date.parse(earlier.get(key)?.computedAt ?? ''),
          );
        }
      }
    },
    stepTimeoutMs,
  );
});

function periodsOf(rows: ReadonlyMap<RowKey, ApiRow>): Set<string> {
  return new Set([...rows.values()].map((row) => row.period));
}

async function eventuallyCompleted(store: ScenarioStore, id: string) {
  type Job = { id: string; status: string; progress: { done: number; total: number } };
  return eventually(
    async () => (await store.api.call<Job>('GET', `/v1/kpis/rollups/${id}`)).body,
    (job) => job.status === 'completed' || job.status === 'failed',
    120_000,
  );
}
