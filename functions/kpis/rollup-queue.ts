/**
 * The messages of the `kpi-rollups` queue (docs/kpis.md): one store-day, or one store's periods,
 * each. The jobs API, the nightly scheduler and the consumer itself send them (through
 * `sqsRollupQueue`, functions/kpis/sqs-rollup-queue.ts); the consumer parses them with these schemas.
 */
import * as z from 'zod/mini';
import { granularityOf, isLocalDate } from '../domain/kpis.ts';
import { text } from '../domain/schemas.ts';

export const rollupsQueueName = 'kpi-rollups';

export const LocalDate = z
  .string()
  .check(z.refine(isLocalDate, 'must be a calendar date YYYY-MM-DD such as "2026-11-28"'));

/** A week, month or quarter (`2026-W48`, `2026-11`, `2026-Q4`): days come from their facts. */
const Period = z.string().check(
  z.refine((period) => {
    const granularity = granularityOf(period);
    return granularity !== undefined && granularity !== 'day';
  }, 'must be a week, month or quarter such as "2026-W48", "2026-11" or "2026-Q4"'),
);

const StoreId = text(1, 64);
const JobId = text(1, 64);

/** Roll up one local day of a store; with `jobId`, count it on that job. */
export const DayMessage = z.strictObject({
  kind: z.literal('day'),
  storeId: StoreId,
  date: LocalDate,
  jobId: z.optional(JobId),
});
export type DayMessage = z.infer<typeof DayMessage>;

/** Recompute a store's week, month and quarter rows from its day rows; with `jobId`, complete it. */
export const PeriodsMessage = z.strictObject({
  kind: z.literal('periods'),
  storeId: StoreId,
  periods: z.array(Period).check(z.minLength(1)),
  jobId: z.optional(JobId),
});
export type PeriodsMessage = z.infer<typeof PeriodsMessage>;

export const RollupMessage = z.discriminatedUnion('kind', [DayMessage, PeriodsMessage]);
export type RollupMessage = z.infer<typeof RollupMessage>;

/** Sends every message or throws (then some may have been sent: rolling a day up twice is harmless). */
export interface RollupQueue {
  send(messages: readonly RollupMessage[]): Promise<void>;
}
