/**
 * The rollup of a store's local day: a fold of the day's facts, through the orders they name, into
 * one row of additive partials per (dimension, value, currency) (docs/kpis.md).
 *
 * The fold is streamed: the caller reads a page of facts and the orders it names, `addFacts`,
 * and drops the page; the accumulator keeps only counts, sums, duration lists and the shipments
 * already counted as exceptions. The result does not depend on the order in which facts come, nor
 * on how they are paged: partials are sums, and `partialsOf` sorts rows and lists.
 */
import * as z from 'zod/mini';
import type { Order } from '../order.ts';
import { Currency, lazySchema } from '../schemas.ts';
import { localDate } from './calendar.ts';
import { type Contribution, contributionOf } from './contribution.ts';
import type { Fact } from './facts.ts';
import {
  addPartials,
  ascending,
  counters,
  emptyPartials,
  type KpiMetrics,
  KpiPartials,
  metricsOf,
} from './metrics.ts';

export const dimensions = ['all', 'segment', 'channel', 'territory', 'salesRep', 'country'] as const;
export type Dimension = (typeof dimensions)[number];

/** The value of a dimension the order does not carry. */
export const unattributed = 'unattributed';

/** The partials of a day, or of a period when merged: one row per dimension, value and currency. */
export const DayPartials = lazySchema(() =>
  z.object({
    rows: z.array(
      z.object({
        dimension: z.enum(dimensions),
        /** Null for `all`. */
        value: z.nullable(z.string()),
        currency: Currency,
        partials: KpiPartials(),
      }),
    ),
  }),
);
export type DayPartials = z.infer<ReturnType<typeof DayPartials>>;
export type PartialsRow = DayPartials['rows'][number];

/** A row with the contract's metrics, as `GET /v1/kpis` shows it (with its partials, to store). */
export type KpiRow = PartialsRow & { readonly metrics: KpiMetrics };

export interface RollupContext {
  /** The store's timezone now: a fact's day is its local date there. */
  readonly timeZone: string;
  /** The local date rolled up (`YYYY-MM-DD`); facts of other dates are ignored. */
  readonly date: string;
  /** The store's `fulfilment.shipWithinHours`, for `onTimeShipRate`. */
  readonly shipWithinHours: number;
}

export interface DayAccumulator {
  readonly rows: Map<string, PartialsRow>;
  /** `<date>#<orderId>#<shipmentId>`: `deliveryExceptions` counts each shipment once per day. */
  readonly exceptionsCounted: Set<string>;
}

const hourMs = 3_600_000;

export function newDayAccumulator(): DayAccumulator {
  return { rows: new Map(), exceptionsCounted: new Set() };
}

/**
 * Folds `facts` into `accumulator` (in place). Facts of another local date than `context.date`,
 * and facts whose order is not in `ordersById`, are ignored; each fact is counted through its
 * order as it is now (`contributionOf`). Each stored fact must be passed once: the same item
 * passed twice is counted twice.
 */
export function addFacts(
  accumulator: DayAccumulator,
  facts: Iterable<Fact>,
  ordersById: ReadonlyMap<string, Order>,
  context: RollupContext,
): void {
  const onTimeMs = context.shipWithinHours * hourMs;
  for (const fact of facts) {
    if (localDate(fact.at, context.timeZone) !== context.date) continue;
    const order = ordersById.get(fact.orderId);
    if (order === undefined) continue;
    const contribution = contributionOf(order, fact);
    if (contribution === undefined) continue;
    if (contribution.exceptionShipmentId !== undefined) {
      const counted = `${context.date}#${order.id}#${contribution.exceptionShipmentId}`;
      if (accumulator.exceptionsCounted.has(counted)) continue;
      accumulator.exceptionsCounted.add(counted);
    }
    for (const row of rowsOf(accumulator, order)) apply(row.partials, contribution, onTimeMs);
  }
}

/** The accumulator's partials: rows in dimension, value, currency order; duration lists ascending. */
export function partialsOf(accumulator: DayAccumulator): DayPartials {
  return { rows: [...accumulator.rows.values()].map(copyRow).sort(compareRows) };
}

/** The partials of several days (or of any rows): the sum of each row across them. */
export function mergePartials(list: readonly DayPartials[]): DayPartials {
  const rows = new Map<string, PartialsRow>();
  for (const partials of list) {
    for (const row of partials.rows) {
      const key = rowKey(row.dimension, row.value, row.currency);
      const merged = rows.get(key);
      if (merged === undefined) rows.set(key, copyRow(row));
      else addPartials(merged.partials, row.partials);
    }
  }
  return { rows: [...rows.values()].sort(compareRows) };
}

/** The rollup of one local day over all its facts at once. */
export function rollupDay(
  facts: Iterable<Fact>,
  ordersById: ReadonlyMap<string, Order>,
  context: RollupContext,
): DayPartials {
  const accumulator = newDayAccumulator();
  addFacts(accumulator, facts, ordersById, context);
  return partialsOf(accumulator);
}

/** Each row with the contract's metrics. */
export function kpiRows(partials: DayPartials): KpiRow[] {
  return partials.rows.map((row) => ({ ...row, metrics: metricsOf(row.partials) }));
}

/** The order's value of each dimension: `all` is null, a missing value `unattributed`. */
export function dimensionValuesOf(order: Order): Record<Dimension, string | null> {
  return {
    all: null,
    segment: order.customer.type,
    channel: order.attribution?.channel ?? unattributed,
    territory: order.attribution?.territory ?? unattributed,
    salesRep: order.attribution?.salesRepId ?? unattributed,
    country: order.shippingAddress.country || unattributed,
  };
}

function rowsOf(accumulator: DayAccumulator, order: Order): PartialsRow[] {
  const values = dimensionValuesOf(order);
  return dimensions.map((dimension) => {
    const value = values[dimension];
    const key = rowKey(dimension, value, order.currency);
    let row = accumulator.rows.get(key);
    if (row === undefined) {
      row = { dimension, value, currency: order.currency, partials: emptyPartials() };
      accumulator.rows.set(key, row);
    }
    return row;
  });
}

function apply(partials: KpiPartials, contribution: Contribution, onTimeMs: number): void {
  for (const counter of counters) partials[counter] += contribution.counts[counter] ?? 0;
  if (contribution.exceptionShipmentId !== undefined) partials.deliveryExceptions += 1;
  if (contribution.millisToShip !== undefined) {
    partials.millisToShip.push(contribution.millisToShip);
    if (contribution.millisToShip <= onTimeMs) partials.ordersShippedOnTime += 1;
  }
  if (contribution.millisToDeliver !== undefined) partials.millisToDeliver.push(contribution.millisToDeliver);
}

function copyRow(row: PartialsRow): PartialsRow {
  const partials = {
    ...row.partials,
    millisToShip: [...row.partials.millisToShip].sort(ascending),
    millisToDeliver: [...row.partials.millisToDeliver].sort(ascending),
  };
  return { dimension: row.dimension, value: row.value, currency: row.currency, partials };
}

function rowKey(dimension: Dimension, value: string | null, currency: string): string {
  return JSON.stringify([dimension, value, currency]);
}

const dimensionRank = new Map<string, number>(dimensions.map((dimension, index) => [dimension, index]));

function compareRows(a: PartialsRow, b: PartialsRow): number {
  return (
    (dimensionRank.get(a.dimension) ?? 0) - (dimensionRank.get(b.dimension) ?? 0) ||
    compareStrings(a.value ?? '', b.value ?? '') ||
    compareStrings(a.currency, b.currency)
  );
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
