/**
 * Reading KPIs, targets and abandoned-checkout leads over HTTP (contract section 8). The rows,
 * targets and leads are put straight into the running stack's DynamoDB Local at the keys the
 * rollup and the order writers use (functions/adapters/kpi-keys.ts), so these tests depend on the
 * read path only; each test uses its own store.
 */
import { randomUUID } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { kpiRowKey, leadKey } from '../../functions/adapters/kpi-keys.ts';
import {
  type Dimension,
  dimensions,
  emptyPartials,
  type Granularity,
  type KpiMetrics,
  type KpiPartials,
  kpiRows,
} from '../../functions/domain/kpis.ts';
import { call, createStore, problem, type TestStore } from '../support/api.ts';

let client: DynamoDBDocumentClient;
let tableName: string;

beforeAll(async () => {
  Object.assign(process.env, inject('stackEnvironment'));
  const { documentClient, mainTableName } = await import('../../functions/adapters/dynamodb.ts');
  client = documentClient;
  tableName = mainTableName();
});

interface RowView {
  period: string;
  dimension: Dimension;
  value: string | null;
  currency: string;
  metrics: KpiMetrics;
  target?: Record<string, number>;
  attainment?: Record<string, number | null>;
  computedAt: string;
}

const computedAt = '2026-12-01T09:00:00.000Z';

/** Partials with the given counters (the rest 0), and the metrics the rollup derives from them. */
function partials(counters: Partial<KpiPartials> = {}): KpiPartials {
  return { ...emptyPartials(), ...counters };
}

interface RowInput {
  readonly granularity: Granularity;
  readonly period: string;
  readonly dimension?: Dimension;
  readonly value?: string | null;
  readonly currency?: string;
  readonly partials?: KpiPartials;
}

/** Puts a row as the rollup writes it (docs/kpis.md, "Rows") and returns the metrics it holds. */
async function putRow(store: TestStore, input: RowInput): Promise<KpiMetrics> {
  const dimension = input.dimension ?? 'all';
  const value = dimension === 'all' ? null : (input.value ?? 'unattributed');
  const currency = input.currency ?? 'usd';
  const [row] = kpiRows({
    rows: [{ dimension, value, currency, partials: input.partials ?? partials({ checkoutsStarted: 1 }) }],
  });
  if (row === undefined) throw new Error('kpiRows returned no row');
  await client.send(
    new PutCommand({
      TableName: tableName,
      Item: {
        ...kpiRowKey(store.id, input.granularity, dimension, input.period, value, currency),
        entity: 'kpiRow',
        period: input.period,
        dimension,
        value,
        currency,
        metrics: row.metrics,
        partials: row.partials,
        computedAt,
      },
    }),
  );
  return row.metrics;
}

async function getRows(store: TestStore, query: string) {
  const response = await store.call<{ data: RowView[] }>('GET', `/v1/kpis?${query}`);
  if (response.status !== 200) throw new Error(`GET /v1/kpis?${query}: ${JSON.stringify(response.body)}`);
  return response.body.data;
}

const periodsOf = (rows: readonly RowView[]) => rows.map((row) => `${row.period} ${row.currency}`);

describe('GET /v1/kpis (contract section 8)', () => {
  it('answers the day rows from..to, both included, by period then currency, value null for all', async () => {
    const store = await createStore();
    const written = new Map<string, KpiMetrics>();
    for (const period of ['2026-11-30', '2026-11-27', '2026-11-29', '2026-11-28']) {
      for (const currency of ['usd', 'eur']) {
        const metrics = await putRow(store, {
          granularity: 'day',
          period,
          currency,
          partials: partials({ ordersPaid: 2, grossSales: 5000, discounts: 100, checkoutsStarted: 3 }),
        });
        written.set(`${period} ${currency}`, metrics);
      }
    }

    const rows = await getRows(store, 'from=2026-11-28&to=2026-11-29&granularity=day&dimension=all');

    expect(periodsOf(rows)).toEqual(['2026-11-28 eur', '2026-11-28 usd', '2026-11-29 eur', '2026-11-29 usd']);
    for (const row of rows) {
      expect(row).toEqual({
        period: row.period,
        dimension: 'all',
        value: null,
        currency: row.currency,
        metrics: written.get(`${row.period} ${row.currency}`),
        computedAt,
      });
      expect(row.metrics.averageOrderValue).toBe(2450);
    }
    // Without granularity and dimension: days of `all`.
    expect(periodsOf(await getRows(store, 'from=2026-11-30&to=2026-11-30'))).toEqual([
      '2026-11-30 eur',
      '2026-11-30 usd',
    ]);
    expect(await getRows(store, 'from=2026-12-01&to=2026-12-31')).toEqual([]);
  });

  it('answers weeks, months and quarters whose periods hold from or to', async () => {
    const store = await createStore();
    for (const [granularity, period] of [
      ['week', '2026-W47'],
      ['week', '2026-W48'],
      ['week', '2026-W49'],
      ['month', '2026-10'],
      ['month', '2026-11'],
      ['month', '2026-12'],
      ['month', '2027-01'],
      ['quarter', '2026-Q3'],
      ['quarter', '2026-Q4'],
      ['quarter', '2027-Q1'],
      ['day', '2026-11-29'],
    ] as const) {
      await putRow(store, { granularity, period });
    }

    // 2026-11-29 is the Sunday of W48, 2026-11-30 the Monday of W49.
    expect(periodsOf(await getRows(store, 'from=2026-11-29&to=2026-11-30&granularity=week'))).toEqual([
      '2026-W48 usd',
      '2026-W49 usd',
    ]);
    expect(periodsOf(await getRows(store, 'from=2026-11-23&to=2026-11-29&granularity=week'))).toEqual([
      '2026-W48 usd',
    ]);
    expect(periodsOf(await getRows(store, 'from=2026-11-30&to=2026-12-01&granularity=month'))).toEqual([
      '2026-11 usd',
      '2026-12 usd',
    ]);
    expect(periodsOf(await getRows(store, 'from=2026-12-31&to=2027-01-01&granularity=quarter'))).toEqual([
      '2026-Q4 usd',
      '2027-Q1 usd',
    ]);
    expect(periodsOf(await getRows(store, 'from=2026-10-01&to=2026-10-01&granularity=quarter'))).toEqual([
      '2026-Q4 usd',
    ]);
  });

  it('answers each dimension from its own rows, values decoded and in order', async () => {
    const store = await createStore();
    const territories = ['unattributed', 'EMEA#North', 'é-zone', 'AMER', 'EMEA'];
    for (const value of territories) {
      await putRow(store, { granularity: 'day', period: '2026-11-28', dimension: 'territory', value });
    }
    for (const dimension of dimensions) {
      await putRow(store, { granularity: 'day', period: '2026-11-28', dimension, value: `${dimension}-1` });
    }

    const rows = await getRows(store, 'from=2026-11-28&to=2026-11-28&dimension=territory');
    expect(rows.map((row) => row.value)).toEqual([
      'AMER',
      'EMEA',
      'EMEA#North',
      'territory-1',
      'unattributed',
      'é-zone',
    ]);
    expect(rows.every((row) => row.dimension === 'territory')).toBe(true);

    for (const dimension of dimensions.filter((name) => name !== 'territory')) {
      const only = await getRows(store, `from=2026-11-28&to=2026-11-28&dimension=${dimension}`);
      expect(only.map((row) => [row.dimension, row.value])).toEqual([
        [dimension, dimension === 'all' ? null : `${dimension}-1`],
      ]);
    }
  });

  it('names the query parameter of a bad request, and wants a store key', async () => {
    const store = await createStore();
    const cases: [query: string, path: string][] = [
      ['to=2026-11-28', '/query/from'],
      ['from=2026-11-28', '/query/to'],
      ['from=2026-02-30&to=2026-03-01', '/query/from'],
      ['from=2026-11-29&to=2026-11-28', '/query/to'],
      // One period more than the widest spans allowed below.
      ['from=2027-12-31&to=2028-12-31', '/query/to'],
      ['from=2025-12-28&to=2028-12-31&granularity=week', '/query/to'],
      ['from=2021-12-31&to=2026-12-31&granularity=month', '/query/to'],
      ['from=2016-12-31&to=2026-12-31&granularity=quarter', '/query/to'],
      ['from=2026-11-28&to=2026-11-28&granularity=year', '/query/granularity'],
      ['from=2026-11-28&to=2026-11-28&dimension=region', '/query/dimension'],
      ['from=2026-11-28&to=2026-11-28&currency=usd', '/query/currency'],
      ['from=2026-11-28&to=2026-11-28&cursor=bm90LWEtY3Vyc29y', '/query/cursor'],
    ];
    for (const [query, path] of cases) {
      const answer = problem(await store.call('GET', `/v1/kpis?${query}`));
      expect({ query, status: answer.status, code: answer.code }).toEqual({
        query,
        status: 400,
        code: 'validation_failed',
      });
      expect(answer.body.errors?.map((error) => error.path)).toEqual([path]);
    }
    // The widest spans allowed: a year of days (2028 is a leap year), 157 weeks, 60 months, 40 quarters.
    for (const query of [
      'from=2028-01-01&to=2028-12-31',
      'from=2026-01-01&to=2028-12-31&granularity=week',
      'from=2022-01-01&to=2026-12-31&granularity=month',
      'from=2017-01-01&to=2026-12-31&granularity=quarter',
    ]) {
      const answer = await store.call('GET', `/v1/kpis?${query}`);
      // Rows that fit in one answer come with no cursor to follow.
      expect([answer.status, answer.body]).toEqual([200, { data: [], nextCursor: null }]);
    }

    for (const token of [undefined, 'sk_wrong']) {
      const answer = await call('GET', '/v1/kpis?from=2026-11-28&to=2026-11-28', { token });
      expect([answer.status, answer.body.code]).toEqual([401, 'unauthorized']);
    }
  });
});

describe('PUT /v1/targets/{period} and attainment (contract section 8)', () => {
  it('stores a month’s and a quarter’s targets; only their `all` rows carry target and attainment', async () => {
    const store = await createStore();
    // usd: netSales = 3000 − 3001 = −1, conversionRate 1/3 = 0.3333, averageOrderValue 3000.
    const usd = partials({
      ordersPaid: 1,
      grossSales: 3000,
      refunds: 3001,
      checkoutsStarted: 3,
      checkoutsPaid: 1,
    });
    // eur: no checkout and no order, so conversionRate and averageOrderValue are null.
    const eur = partials({ refunds: 0, disputesOpened: 1 });
    for (const granularity of ['month', 'quarter'] as const) {
      const period = granularity === 'month' ? '2026-11' : '2026-Q4';
      await putRow(store, { granularity, period, currency: 'usd', partials: usd });
      await putRow(store, { granularity, period, currency: 'eur', partials: eur });
      await putRow(store, { granularity, period, dimension: 'segment', value: 'b2b', partials: usd });
    }
    await putRow(store, { granularity: 'month', period: '2026-12', partials: usd });
    await putRow(store, { granularity: 'day', period: '2026-11-28', partials: usd });
    await putRow(store, { granularity: 'week', period: '2026-W48', partials: usd });

    const targets = {
      ordersPaid: 20_000,
      netSales: 20_000,
      conversionRate: 0.35,
      grossSales: 0,
      averageOrderValue: 2000,
      checkoutsAbandoned: 4,
    };
    const put = await store.call('PUT', '/v1/targets/2026-11', { body: { targets } });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({ period: '2026-11', targets, updatedAt: expect.any(String) });
    expect(Date.parse(String(put.body.updatedAt))).not.toBeNaN();

    const months = await getRows(store, 'from=2026-11-01&to=2026-12-31&granularity=month');
    expect(periodsOf(months)).toEqual(['2026-11 eur', '2026-11 usd', '2026-12 usd']);
    const [novemberEur, novemberUsd, december] = months;
    // 1 ÷ 20 000 = 0.00005 and −1 ÷ 20 000 round half away from zero; 0.3333 ÷ 0.35 = 0.95228…
    expect(novemberUsd?.target).toEqual(targets);
    expect(novemberUsd?.attainment).toEqual({
      ordersPaid: 0.0001,
      netSales: -0.0001,
      conversionRate: 0.9523,
      grossSales: null,
      averageOrderValue: 1.5,
      checkoutsAbandoned: 0,
    });
    // Every currency's `all` row carries the period's targets.
    expect(novemberEur?.target).toEqual(targets);
    expect(novemberEur?.attainment).toEqual({
      ordersPaid: 0,
      netSales: 0,
      conversionRate: null,
      grossSales: null,
      averageOrderValue: null,
      checkoutsAbandoned: 0,
    });
    expect(december).not.toHaveProperty('target');
    expect(december).not.toHaveProperty('attainment');

    // Other dimensions, days and weeks never carry targets, nor does a quarter without its own.
    for (const query of [
      'from=2026-11-01&to=2026-11-30&granularity=month&dimension=segment',
      'from=2026-11-28&to=2026-11-28&granularity=day',
      'from=2026-11-28&to=2026-11-28&granularity=week',
      'from=2026-11-28&to=2026-11-28&granularity=quarter',
    ]) {
      const rows = await getRows(store, query);
      expect(rows.length).toBeGreaterThan(0);
      for (const row of rows) {
        expect(row).not.toHaveProperty('target');
        expect(row).not.toHaveProperty('attainment');
      }
    }

    const quarterTargets = { unitsSold: 10, fraudRejectRate: 0.1 };
    expect(
      (await store.call('PUT', '/v1/targets/2026-Q4', { body: { targets: quarterTargets } })).status,
    ).toBe(200);
    const quarters = await getRows(store, 'from=2026-10-01&to=2026-12-31&granularity=quarter');
    expect(quarters.map((row) => [row.currency, row.target, row.attainment])).toEqual([
      ['eur', quarterTargets, { unitsSold: 0, fraudRejectRate: null }],
      ['usd', quarterTargets, { unitsSold: 0, fraudRejectRate: null }],
    ]);
    // The quarter's targets are not the month's, and the month's are not the quarter's.
    const november = await getRows(store, 'from=2026-11-01&to=2026-11-30&granularity=month');
    expect(november.map((row) => row.target)).toEqual([targets, targets]);

    // A PUT replaces the period's targets as a whole.
    const replaced = { ordersPaid: 2 };
    expect((await store.call('PUT', '/v1/targets/2026-11', { body: { targets: replaced } })).status).toBe(
      200,
    );
    const again = await getRows(store, 'from=2026-11-01&to=2026-11-30&granularity=month');
    expect(again.map((row) => [row.currency, row.target, row.attainment])).toEqual([
      ['eur', replaced, { ordersPaid: 0 }],
      ['usd', replaced, { ordersPaid: 0.5 }],
    ]);

    // Targets are the store's own.
    const other = await createStore();
    await putRow(other, { granularity: 'month', period: '2026-11', partials: usd });
    const otherRows = await getRows(other, 'from=2026-11-01&to=2026-11-30&granularity=month');
    expect(otherRows).toHaveLength(1);
    expect(otherRows[0]).not.toHaveProperty('target');
  });

  it('refuses a bad period or body, naming it, and wants a store key', async () => {
    const store = await createStore();
    const cases: [period: string, body: unknown, paths: string[]][] = [
      ['2026-11', { targets: { orders: 5 } }, ['/targets/orders']],
      ['2026-11', { targets: { hoursToShip: 5 } }, ['/targets/hoursToShip']],
      ['2026-11', { targets: { ordersPaid: -1 } }, ['/targets/ordersPaid']],
      ['2026-11', { targets: { ordersPaid: '5' } }, ['/targets/ordersPaid']],
      ['2026-11', { targets: { ordersPaid: 5 }, note: 'x' }, ['/note']],
      ['2026-11', {}, ['/targets']],
      ['2026-W48', { targets: { ordersPaid: 5 } }, ['/path/period']],
      ['2026-11-28', { targets: { ordersPaid: 5 } }, ['/path/period']],
      ['2026-13', { targets: { ordersPaid: 5 } }, ['/path/period']],
      ['2026-Q5', { targets: { ordersPaid: 5 } }, ['/path/period']],
    ];
    for (const [period, body, paths] of cases) {
      const answer = problem(await store.call('PUT', `/v1/targets/${period}`, { body }));
      expect({ period, body, status: answer.status, code: answer.code }).toEqual({
        period,
        body,
        status: 400,
        code: 'validation_failed',
      });
      expect(answer.body.errors?.map((error) => error.path)).toEqual(paths);
    }

    await putRow(store, { granularity: 'month', period: '2026-11' });
    const rows = await getRows(store, 'from=2026-11-01&to=2026-11-30&granularity=month');
    expect(rows[0]).not.toHaveProperty('target');

    const unauthorised = await call('PUT', '/v1/targets/2026-11', { body: { targets: { ordersPaid: 1 } } });
    expect([unauthorised.status, unauthorised.body.code]).toEqual([401, 'unauthorized']);
  });
});

interface LeadView {
  orderId: string;
  createdAt: string;
  [field: string]: unknown;
}
type LeadPage = { data: LeadView[]; nextCursor: string | null };

/** A lead as the order writers put it (functions/adapters/kpi-writes.ts), without its keys. */
function lead(createdAt: string, consent: boolean) {
  const orderId = `ord_${randomUUID().replaceAll('-', '').slice(0, 20)}`;
  return {
    orderId,
    customer: {
      type: 'b2b',
      name: 'Ada Lovelace',
      companyName: 'Engines Ltd',
      marketingConsent: consent,
      ...(consent ? { email: 'ada@example.com', phone: '+1 555 0100' } : {}),
    },
    total: 2598,
    currency: 'usd',
    lines: [{ sku: 'MUG', name: 'Mug', quantity: 2, unitAmount: 1299, amount: 2598, shippedQuantity: 0 }],
    ...(consent ? { attribution: { channel: 'outbound', salesRepId: 'rep#7', territory: 'West' } } : {}),
    createdAt,
    paymentFailures: consent ? 2 : 0,
  };
}

async function putLead(store: TestStore, item: ReturnType<typeof lead>) {
  await client.send(
    new PutCommand({
      TableName: tableName,
      Item: { ...leadKey(store.id, item.createdAt, item.orderId), entity: 'lead', ...item },
    }),
  );
}

/** The lead as the API shows it: the item's fields, attribution null when the order had none. */
const view = (item: ReturnType<typeof lead>) => ({ attribution: null, ...item });

describe('GET /v1/leads/abandoned (contract section 8)', () => {
  it('lists the leads created on the store-local dates, oldest first, page by page', async () => {
    const store = await createStore({ timezone: 'America/Los_Angeles' });
    // Los Angeles is UTC−8 in late November: 2026-11-28 runs from 08:00Z to 08:00Z the next day.
    const beforeMidnight = lead('2026-11-28T07:59:59.999Z', false);
    const atMidnight = lead('2026-11-28T08:00:00.000Z', true);
    const midday = lead('2026-11-28T20:00:00.000Z', false);
    const lateEvening = lead('2026-11-29T07:30:00.000Z', true);
    const nextDay = lead('2026-11-29T08:00:00.000Z', false);
    for (const item of [nextDay, midday, beforeMidnight, lateEvening, atMidnight]) await putLead(store, item);

    const first = await store.call<LeadPage>(
      'GET',
      '/v1/leads/abandoned?from=2026-11-28&to=2026-11-28&limit=2',
    );
    expect(first.status).toBe(200);
    expect(first.body.data).toEqual([view(atMidnight), view(midday)]);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await store.call<LeadPage>(
      'GET',
      `/v1/leads/abandoned?from=2026-11-28&to=2026-11-28&limit=2&cursor=${first.body.nextCursor}`,
    );
    expect(second.body).toEqual({ data: [view(lateEvening)], nextCursor: null });
    const whole = await store.call<LeadPage>('GET', '/v1/leads/abandoned?from=2026-11-28&to=2026-11-28');
    expect(whole.body).toEqual({ data: [atMidnight, midday, lateEvening].map(view), nextCursor: null });

    const previous = await store.call<LeadPage>('GET', '/v1/leads/abandoned?from=2026-11-27&to=2026-11-27');
    expect(previous.body.data.map((item) => item.orderId)).toEqual([beforeMidnight.orderId]);
    const span = await store.call<LeadPage>('GET', '/v1/leads/abandoned?from=2026-11-27&to=2026-11-29');
    expect(span.body.data.map((item) => item.createdAt)).toEqual([
      beforeMidnight.createdAt,
      atMidnight.createdAt,
      midday.createdAt,
      lateEvening.createdAt,
      nextDay.createdAt,
    ]);
    // Consent decides what the item holds; the reader shows it as written.
    expect(span.body.data.filter((item) => JSON.stringify(item).includes('@example.com'))).toHaveLength(2);

    // A cursor of other dates is not one of this list.
    const foreign = problem(
      await store.call(
        'GET',
        `/v1/leads/abandoned?from=2026-11-29&to=2026-11-30&cursor=${first.body.nextCursor}`,
      ),
    );
    expect([foreign.status, foreign.body.errors?.map((error) => error.path)]).toEqual([
      400,
      ['/query/cursor'],
    ]);

    const other = await createStore({ timezone: 'America/Los_Angeles' });
    const none = await other.call<LeadPage>('GET', '/v1/leads/abandoned?from=2026-11-01&to=2026-11-30');
    expect(none.body).toEqual({ data: [], nextCursor: null });
  });

  it('names the query parameter of a bad request, and wants a store key', async () => {
    const store = await createStore();
    const cases: [query: string, path: string][] = [
      ['to=2026-11-28', '/query/from'],
      ['from=2026-11-28', '/query/to'],
      ['from=2026-11-28T00:00:00Z&to=2026-11-28', '/query/from'],
      ['from=2026-11-29&to=2026-11-28', '/query/to'],
      ['from=2026-11-28&to=2026-11-28&limit=0', '/query/limit'],
      ['from=2026-11-28&to=2026-11-28&limit=101', '/query/limit'],
      ['from=2026-11-28&to=2026-11-28&cursor=not-a-cursor', '/query/cursor'],
      ['from=2026-11-28&to=2026-11-28&status=open', '/query/status'],
    ];
    for (const [query, path] of cases) {
      const answer = problem(await store.call('GET', `/v1/leads/abandoned?${query}`));
      expect({ query, status: answer.status, code: answer.code }).toEqual({
        query,
        status: 400,
        code: 'validation_failed',
      });
      expect(answer.body.errors?.map((error) => error.path)).toEqual([path]);
    }
    const unauthorised = await call('GET', '/v1/leads/abandoned?from=2026-11-28&to=2026-11-28');
    expect([unauthorised.status, unauthorised.body.code]).toEqual([401, 'unauthorized']);
  });
});
