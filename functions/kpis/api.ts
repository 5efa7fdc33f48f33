import * as z from 'zod/mini';
import {
  dimensions,
  type Granularity,
  granularities,
  granularityOf,
  isLocalDate,
  KpiMetrics,
  periodsBetween,
} from '../domain/kpis.ts';
import { Currency, lazySchema, Timestamp } from '../domain/schemas.ts';
import { PageQuery, pageOf } from '../http/common-schemas.ts';
import { operation } from '../http/operation.ts';
import { Lead } from './leads.ts';
import { TargetValues, targetMetrics } from './targets.ts';

/**
 * The most periods one `GET /v1/kpis` spans: a year of days (as a rollup job), three years of
 * weeks, five years of months, ten years of quarters. A response has one row per period, value
 * and currency and is not paged, so the span keeps it well under Lambda's 6 MB response.
 */
export const maxPeriodsPerRead: Readonly<Record<Granularity, number>> = {
  day: 366,
  week: 157,
  month: 60,
  quarter: 40,
};

const LocalDate = z.string().check(z.refine(isLocalDate, 'must be a calendar date YYYY-MM-DD'));

/** `to` is named by the error: it is the bound a client widens or narrows. */
function checkDateRange(query: { from: string; to: string }, context: z.core.$RefinementCtx): boolean {
  if (!isLocalDate(query.from) || !isLocalDate(query.to)) return false;
  if (query.to < query.from) {
    context.addIssue({ code: 'custom', path: ['to'], message: 'must not be before from' });
    return false;
  }
  return true;
}

export const KpisQuery = z
  .strictObject({
    from: LocalDate.check(z.describe('First store-local date (YYYY-MM-DD); its period is included.')),
    to: LocalDate.check(
      z.describe(
        'Last store-local date (YYYY-MM-DD); its period is included. From the period of `from` to that ' +
          'of `to`: at most 366 days, 157 ISO weeks, 60 months or 40 quarters.',
      ),
    ),
    granularity: z._default(z.enum(granularities), 'day'),
    dimension: z._default(z.enum(dimensions), 'all'),
    cursor: z.optional(
      z
        .string()
        .check(z.describe('The `nextCursor` of the previous answer, when the rows did not fit in one.')),
    ),
  })
  .check(
    z.superRefine((query, context) => {
      if (!checkDateRange(query, context)) return;
      const limit = maxPeriodsPerRead[query.granularity];
      if (periodsBetween(query.from, query.to, query.granularity).length > limit) {
        context.addIssue({
          code: 'custom',
          path: ['to'],
          message: `must be within ${limit} ${query.granularity === 'day' ? 'days' : `${query.granularity}s`} of from`,
        });
      }
    }),
  );

export const LeadsQuery = z
  .extend(PageQuery, {
    from: LocalDate.check(z.describe('First store-local creation date (YYYY-MM-DD), included.')),
    to: LocalDate.check(z.describe('Last store-local creation date (YYYY-MM-DD), included.')),
  })
  .check(
    z.superRefine((query, context) => {
      checkDateRange(query, context);
    }),
  );

const PeriodParams = z.strictObject({
  period: z.string().check(
    z.refine((period) => {
      const granularity = granularityOf(period);
      return granularity === 'month' || granularity === 'quarter';
    }, 'must be a month (2026-11) or a quarter (2026-Q4)'),
  ),
});

export const PutTargetsRequest = z.strictObject({
  targets: TargetValues.check(
    z.describe(
      'Metric → target (a number ≥ 0), for any scalar metric of GET /v1/kpis. Replaces the period’s ' +
        'targets as a whole; they apply to the `all` row of every currency.',
    ),
  ),
});

const Attainment = () =>
  z.object(Object.fromEntries(targetMetrics.map((metric) => [metric, z.optional(z.nullable(z.number()))])));

export const KpiRowView = lazySchema(() =>
  z.object({
    period: z.string().check(z.describe('2026-11-28, 2026-W48 (ISO week), 2026-11 or 2026-Q4')),
    dimension: z.enum(dimensions),
    value: z.nullable(z.string()).check(z.describe('The dimension’s value; null for `all`.')),
    currency: Currency,
    metrics: KpiMetrics(),
    target: z.optional(
      TargetValues.check(z.describe('Month and quarter rows of `all` only, when the period has targets.')),
    ),
    attainment: z.optional(
      Attainment().check(
        z.describe(
          'Per targeted metric, actual ÷ target to 4 decimals; null when the actual is null or the target 0.',
        ),
      ),
    ),
    computedAt: Timestamp,
  }),
);

export const TargetsView = lazySchema(() =>
  z.object({ period: z.string(), targets: TargetValues, updatedAt: Timestamp }),
);

export const listKpisOperation = operation({
  route: 'GET /v1/kpis',
  auth: 'store',
  summary:
    'KPI rows of one granularity and dimension, per currency, for the periods holding from..to, in period, value, currency order',
  tag: 'KPIs',
  query: KpisQuery,
  responses: {
    200: {
      description:
        'The rows; should they weigh more than 4 MB, `nextCursor` continues where the answer stops',
      schema: () => z.object({ data: z.array(KpiRowView()), nextCursor: z.nullable(z.string()) }),
    },
  },
  errors: ['validation_failed'],
});

export const putTargetsOperation = operation({
  route: 'PUT /v1/targets/{period}',
  auth: 'store',
  summary: 'Set the targets of a month or a quarter: its `all` rows then carry them and their attainment',
  tag: 'KPIs',
  params: PeriodParams,
  body: PutTargetsRequest,
  responses: { 200: { description: 'The stored targets', schema: TargetsView } },
  errors: ['validation_failed'],
});

export const listAbandonedLeadsOperation = operation({
  route: 'GET /v1/leads/abandoned',
  auth: 'store',
  summary: 'Checkouts abandoned (payment_expired) created on the store-local dates from..to, oldest first',
  tag: 'KPIs',
  query: LeadsQuery,
  responses: { 200: { description: 'A page of leads', schema: pageOf(Lead) } },
  errors: ['validation_failed'],
});

export const kpiReadOperations = [listKpisOperation, putTargetsOperation, listAbandonedLeadsOperation];
