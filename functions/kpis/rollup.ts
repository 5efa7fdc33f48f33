/**
 * The rollups of contract section 8 (docs/kpis.md): a store's local day from its facts and the
 * orders they name, and the weeks, months and quarters from their days' rows.
 *
 * The day is STREAMED: a page of facts at a time, the orders it names fetched 100 to a
 * BatchGetItem, each batch folded into the accumulator and dropped. What the rollup holds is the
 * accumulator, one page and 100 orders, however many orders the day had. Periods merge their
 * days' partials, so a month is the same computation as over all of its facts, never an average
 * of daily rates.
 */
import { NotFound } from '../domain/errors.ts';
import {
  addFacts,
  type Dimension,
  daysOfPeriod,
  dimensions,
  type Fact,
  type Granularity,
  granularityOf,
  type KpiRow,
  kpiRows,
  localDate,
  mergePartials,
  newDayAccumulator,
  type PartialsRow,
  partialsOf,
  periodsOf,
  type RollupContext,
} from '../domain/kpis.ts';
import type { Order } from '../domain/order.ts';
import type { Clock } from '../domain/ports.ts';

/** The KPI items the rollups read and write (functions/adapters/kpi-repository.ts). */
export interface KpiRollupRepository {
  /** The facts of the UTC hours overlapping the local day, in pages; each stored fact once. */
  factsOfLocalDay(storeId: string, date: string, timeZone: string): AsyncIterable<readonly Fact[]>;
  /** The orders among `ids` that exist. */
  ordersByIds(storeId: string, ids: readonly string[]): Promise<ReadonlyMap<string, Order>>;
  /** Replaces the rows of one period and dimension as a whole (vanished values lose their row). */
  replaceRows(
    storeId: string,
    period: string,
    dimension: Dimension,
    rows: readonly KpiRow[],
    computedAt: string,
  ): Promise<void>;
  /** The day rows of one dimension from `from` to `to`, with their partials. */
  dayRows(storeId: string, dimension: Dimension, from: string, to: string): Promise<PartialsRow[]>;
}

/** What a rollup needs of the store (functions/adapters/stores-repository.ts). */
export interface RollupStoreReader {
  get(storeId: string): Promise<
    | {
        readonly timezone: string;
        readonly settings: { readonly fulfilment: { readonly shipWithinHours: number } };
      }
    | undefined
  >;
}

export interface RollupDependencies {
  readonly kpis: KpiRollupRepository;
  readonly stores: RollupStoreReader;
  /** Stamps `computedAt`; nothing else depends on it. */
  readonly clock: Clock;
}

/** One BatchGetItem's worth of orders: the most a rollup holds at once. */
const ordersPerFetch = 100;

/**
 * Rolls up the store's local `date` (in its timezone now) and replaces that day's rows. Answers
 * the facts of the day that were read and the rows written.
 */
export async function rollupStoreDay(
  deps: RollupDependencies,
  input: { storeId: string; date: string },
): Promise<{ facts: number; rows: number }> {
  const { storeId, date } = input;
  const store = await deps.stores.get(storeId);
  if (store === undefined) throw new NotFound(`store ${storeId} does not exist`);
  const context: RollupContext = {
    timeZone: store.timezone,
    date,
    shipWithinHours: store.settings.fulfilment.shipWithinHours,
  };
  const accumulator = newDayAccumulator();
  let facts = 0;
  for await (const page of deps.kpis.factsOfLocalDay(storeId, date, context.timeZone)) {
    for (const slice of slicesByOrder(page, context)) {
      const orders = await deps.kpis.ordersByIds(storeId, slice.orderIds);
      addFacts(accumulator, slice.facts, orders, context);
      facts += slice.facts.length;
    }
  }
  const rows = kpiRows(partialsOf(accumulator));
  const computedAt = deps.clock.now().toISOString();
  for (const dimension of dimensions) {
    await deps.kpis.replaceRows(
      storeId,
      date,
      dimension,
      rows.filter((row) => row.dimension === dimension),
      computedAt,
    );
  }
  return { facts, rows: rows.length };
}

/**
 * Recomputes week, month and quarter rows from the day rows of their days, one dimension at a
 * time, and replaces them. Days without rows count as empty; days not rolled up yet are simply
 * not in the period until they are.
 */
export async function rollupPeriods(
  deps: RollupDependencies,
  input: { storeId: string; periods: readonly string[] },
): Promise<{ rows: number }> {
  const computedAt = deps.clock.now().toISOString();
  let written = 0;
  for (const period of new Set(input.periods)) {
    const granularity = periodGranularity(period);
    const days = daysOfPeriod(period);
    const first = days[0];
    const last = days[days.length - 1];
    if (first === undefined || last === undefined)
      throw new RangeError(`${granularity} ${period} has no days`);
    for (const dimension of dimensions) {
      const dayRows = await deps.kpis.dayRows(input.storeId, dimension, first, last);
      const rows = kpiRows(mergePartials([{ rows: dayRows }]));
      await deps.kpis.replaceRows(input.storeId, period, dimension, rows, computedAt);
      written += rows.length;
    }
  }
  return { rows: written };
}

/** The weeks, months and quarters that hold `dates`: weeks, then months, then quarters, each ascending. */
export function periodsOfDates(dates: readonly string[]): string[] {
  const weeks = new Set<string>();
  const months = new Set<string>();
  const quarters = new Set<string>();
  for (const date of dates) {
    const periods = periodsOf(date);
    weeks.add(periods.week);
    months.add(periods.month);
    quarters.add(periods.quarter);
  }
  return [...weeks].sort().concat([...months].sort(), [...quarters].sort());
}

function periodGranularity(period: string): Exclude<Granularity, 'day'> {
  const granularity = granularityOf(period);
  if (granularity === undefined) throw new RangeError(`not a period: ${period}`);
  // A day's rows come from its facts, never from other rows.
  if (granularity === 'day') throw new RangeError(`a day is rolled up from its facts: ${period}`);
  return granularity;
}

/**
 * The page's facts of the rolled-up date, in slices that name at most `ordersPerFetch` orders,
 * each order in one slice only; facts of the neighbouring date (hours shared in :30 zones) are
 * left out before any order is fetched for them.
 */
function* slicesByOrder(
  page: readonly Fact[],
  context: RollupContext,
): Generator<{ orderIds: string[]; facts: Fact[] }> {
  const byOrder = new Map<string, Fact[]>();
  for (const fact of page) {
    if (localDate(fact.at, context.timeZone) !== context.date) continue;
    const facts = byOrder.get(fact.orderId);
    if (facts === undefined) byOrder.set(fact.orderId, [fact]);
    else facts.push(fact);
  }
  let slice: { orderIds: string[]; facts: Fact[] } = { orderIds: [], facts: [] };
  for (const [orderId, facts] of byOrder) {
    slice.orderIds.push(orderId);
    slice.facts.push(...facts);
    if (slice.orderIds.length === ordersPerFetch) {
      yield slice;
      slice = { orderIds: [], facts: [] };
    }
  }
  if (slice.orderIds.length > 0) yield slice;
}
