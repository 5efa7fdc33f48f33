import * as z from 'zod/mini';
import { addDays, isLocalDate } from '../domain/kpis.ts';
import { lazySchema, text } from '../domain/schemas.ts';
import { operation } from '../http/operation.ts';
import { maxJobDays, rollupJobStatuses } from './jobs.ts';
import { LocalDate } from './rollup-queue.ts';

/** `{ from, to }`: local dates, `from` ≤ `to`, at most 366 days; `to` is named by range errors. */
export const StartRollupRequest = z
  .strictObject({
    from: LocalDate.check(z.describe('First store-local date to roll up (YYYY-MM-DD).')),
    to: LocalDate.check(
      z.describe('Last store-local date to roll up (YYYY-MM-DD), at most 366 days in all.'),
    ),
  })
  .check(
    z.superRefine((request, context) => {
      // Runs even when a date is invalid; that date's own issue is the one to report.
      if (!isLocalDate(request.from) || !isLocalDate(request.to)) return;
      if (request.to < request.from) {
        context.addIssue({ code: 'custom', path: ['to'], message: 'must not be before from' });
      } else if (request.to > addDays(request.from, maxJobDays - 1)) {
        context.addIssue({
          code: 'custom',
          path: ['to'],
          message: `at most ${maxJobDays} days from from (both included)`,
        });
      }
    }),
  );

const JobParams = z.strictObject({ rollupId: text(1, 64) });
const StoreParams = z.strictObject({ storeId: text(1, 64) });
const StoreJobParams = z.strictObject({ storeId: text(1, 64), rollupId: text(1, 64) });

export const QueuedRollup = lazySchema(() => z.object({ id: z.string(), status: z.literal('queued') }));

export const RollupJobView = lazySchema(() =>
  z.object({
    id: z.string(),
    status: z.enum(rollupJobStatuses),
    progress: z.object({
      done: z.int().check(z.describe('Days rolled up so far.')),
      total: z.int().check(z.describe('Days in the job.')),
    }),
  }),
);

const startDescription =
  'Roll up the store-local days from `from` to `to` again (≤ 366 days), then their weeks, months and quarters';

export const startRollupOperation = operation({
  route: 'POST /v1/kpis/rollups',
  auth: 'store',
  summary: startDescription,
  tag: 'KPIs',
  body: StartRollupRequest,
  responses: { 202: { description: 'The job, queued', schema: QueuedRollup } },
  errors: ['validation_failed'],
});

export const getRollupOperation = operation({
  route: 'GET /v1/kpis/rollups/{rollupId}',
  auth: 'store',
  summary: 'A rollup job: its status and how many of its days are done',
  tag: 'KPIs',
  params: JobParams,
  responses: { 200: { description: 'The job', schema: RollupJobView } },
  errors: ['not_found'],
});

export const adminStartRollupOperation = operation({
  route: 'POST /admin/v1/stores/{storeId}/kpis/rollups',
  auth: 'admin',
  summary: `${startDescription}, for a store (what \`npm run rollup\` calls)`,
  tag: 'Admin',
  params: StoreParams,
  body: StartRollupRequest,
  responses: { 202: { description: 'The job, queued', schema: QueuedRollup } },
  errors: ['validation_failed', 'not_found'],
});

export const adminGetRollupOperation = operation({
  route: 'GET /admin/v1/stores/{storeId}/kpis/rollups/{rollupId}',
  auth: 'admin',
  summary: "A store's rollup job",
  tag: 'Admin',
  params: StoreJobParams,
  responses: { 200: { description: 'The job', schema: RollupJobView } },
  errors: ['not_found'],
});

export const rollupJobOperations = [
  startRollupOperation,
  getRollupOperation,
  adminStartRollupOperation,
  adminGetRollupOperation,
];
