/**
 * `GET /v1/kpis` (contract section 8): the stored rows of one granularity and dimension over the
 * periods that hold `from`..`to`, in period, value, currency order; month and quarter rows of
 * dimension `all` carry the period's target and their attainment. Rows are read as the rollup
 * wrote them (docs/kpis.md): nothing is computed here but the attainment.
 */
import * as z from 'zod/mini';
import { type Dimension, dimensions, type Granularity, KpiMetrics, periodOf } from '../domain/kpis.ts';
import { Currency, lazySchema, Timestamp } from '../domain/schemas.ts';
import { type Attainment, attainmentOf, type Targets } from './targets.ts';

/** A KPI row as stored, without its partials (they never leave the table). */
export const StoredKpiRow = lazySchema(() =>
  z.object({
    period: z.string(),
    dimension: z.enum(dimensions),
    /** Null for `all`. */
    value: z.nullable(z.string()),
    currency: Currency,
    metrics: KpiMetrics(),
    computedAt: Timestamp,
  }),
);
export type StoredKpiRow = z.infer<ReturnType<typeof StoredKpiRow>>;

export type KpiRowView = StoredKpiRow & { readonly target?: Targets; readonly attainment?: Attainment };

export interface KpiRowStore {
  /** Every row of the partition whose period lies in `fromPeriod`..`toPeriod`, in any order. */
  rowsBetween(
    storeId: string,
    granularity: Granularity,
    dimension: Dimension,
    fromPeriod: string,
    toPeriod: string,
  ): Promise<StoredKpiRow[]>;
  /** The targets of the months and quarters `fromPeriod`..`toPeriod` (others may come too), by period. */
  targetsBetween(
    storeId: string,
    fromPeriod: string,
    toPeriod: string,
  ): Promise<ReadonlyMap<string, Targets>>;
}

export interface KpiQuery {
  readonly storeId: string;
  /** Local dates, `from` ≤ `to` (the request schema checks the span). */
  readonly from: string;
  readonly to: string;
  readonly granularity: Granularity;
  readonly dimension: Dimension;
}

export async function readKpis(store: KpiRowStore, query: KpiQuery): Promise<KpiRowView[]> {
  const fromPeriod = periodOf(query.from, query.granularity);
  const toPeriod = periodOf(query.to, query.granularity);
  const targeted =
    query.dimension === 'all' && (query.granularity === 'month' || query.granularity === 'quarter');
  const [rows, targets] = await Promise.all([
    store.rowsBetween(query.storeId, query.granularity, query.dimension, fromPeriod, toPeriod),
    targeted ? store.targetsBetween(query.storeId, fromPeriod, toPeriod) : undefined,
  ]);
  return rows.sort(compareRows).map((row) => {
    const target = targets?.get(row.period);
    return target === undefined ? row : { ...row, target, attainment: attainmentOf(row.metrics, target) };
  });
}

/**
 * By period, value, currency, in code-unit order. The sort key orders values URI-encoded, which
 * is not their own order (`é` encodes as `%C3%A9`, before `a`), so rows are sorted once read.
 */
function compareRows(a: StoredKpiRow, b: StoredKpiRow): number {
  return (
    compare(a.period, b.period) || compare(a.value ?? '', b.value ?? '') || compare(a.currency, b.currency)
  );
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
