/**
 * `GET /v1/kpis` (contract section 8): the stored rows of one granularity and dimension over the
 * periods that hold `from`..`to`, in period, value, currency order; month and quarter rows of
 * dimension `all` carry the period's target and their attainment. Rows are read as the rollup
 * wrote them (docs/kpis.md): nothing is computed here but the attainment.
 */
import * as z from 'zod/mini';
import { ValidationFailed } from '../domain/errors.ts';
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

/**
 * The most one answer's rows may weigh, as JSON. A Lambda answers at most 6 MB, and the body is
 * JSON again inside that answer (its quotes escaped), so 4 MB of rows is what fits with room to
 * spare: about 5 000 rows. A year of days by a dimension with many values (fifty sales reps, say)
 * is tens of thousands. Past this, `nextCursor` names where the next answer starts: an addition to
 * the contract, whose `{ data }` is every row whenever the rows fit, as any answer that could be
 * given before did.
 */
export const maxAnswerBytes = 4 * 1024 * 1024;

export interface KpiPage {
  readonly data: readonly KpiRowView[];
  readonly nextCursor: string | null;
}

export async function readKpis(
  store: KpiRowStore,
  query: KpiQuery & { readonly cursor?: string | undefined },
  answerBytes: number = maxAnswerBytes,
): Promise<KpiPage> {
  const after = query.cursor === undefined ? undefined : rowPositionOf(query.cursor);
  const firstPeriod = periodOf(query.from, query.granularity);
  const toPeriod = periodOf(query.to, query.granularity);
  // A later answer reads from the period it stopped in, not from `from` again.
  const fromPeriod = after !== undefined && after.period > firstPeriod ? after.period : firstPeriod;
  const targeted =
    query.dimension === 'all' && (query.granularity === 'month' || query.granularity === 'quarter');
  const [rows, targets] = await Promise.all([
    store.rowsBetween(query.storeId, query.granularity, query.dimension, fromPeriod, toPeriod),
    targeted ? store.targetsBetween(query.storeId, fromPeriod, toPeriod) : undefined,
  ]);
  // By position, not by count: rows rewritten by a rollup between two answers are neither skipped
  // nor repeated.
  const remaining = rows
    .sort(compareRows)
    .filter((row) => after === undefined || compareRows(row, after) > 0);
  const data: KpiRowView[] = [];
  let bytes = 0;
  for (const row of remaining) {
    const target = targets?.get(row.period);
    const view =
      target === undefined ? row : { ...row, target, attainment: attainmentOf(row.metrics, target) };
    bytes += Buffer.byteLength(JSON.stringify(view)) + 1;
    // Always at least one row, so that an answer moves on.
    if (bytes > answerBytes && data.length > 0) break;
    data.push(view);
  }
  const last = data.at(-1);
  return {
    data,
    nextCursor: data.length < remaining.length && last !== undefined ? cursorOf(last) : null,
  };
}

type RowPosition = Pick<StoredKpiRow, 'period' | 'value' | 'currency'>;

function cursorOf(row: RowPosition): string {
  return Buffer.from(JSON.stringify([row.period, row.value, row.currency])).toString('base64url');
}

function rowPositionOf(cursor: string): RowPosition {
  try {
    const position: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(position) &&
      position.length === 3 &&
      typeof position[0] === 'string' &&
      (typeof position[1] === 'string' || position[1] === null) &&
      typeof position[2] === 'string'
    ) {
      return { period: position[0], value: position[1], currency: position[2] };
    }
  } catch {
    // answered below
  }
  throw new ValidationFailed('The cursor is not one this API returned.', {
    errors: [{ path: '/query/cursor', message: 'invalid cursor' }],
  });
}

/**
 * By period, value, currency, in code-unit order. The sort key orders values URI-encoded, which
 * is not their own order (`é` encodes as `%C3%A9`, before `a`), so rows are sorted once read.
 */
function compareRows(a: RowPosition, b: RowPosition): number {
  return (
    compare(a.period, b.period) || compare(a.value ?? '', b.value ?? '') || compare(a.currency, b.currency)
  );
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
