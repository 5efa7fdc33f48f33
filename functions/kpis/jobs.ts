/**
 * Rollup jobs (docs/kpis.md "On demand"): a job is one item that counts the days of a range as
 * the `kpi-rollups` consumer finishes them, and the consumer's use case itself.
 *
 * A job fans out as one queue message per day. Each finished day is counted once, by date (a
 * redelivered message is not counted again), and the day that completes the count queues ONE
 * periods message for the weeks, months and quarters of all the job's days: they are recomputed
 * once, after every day they hold, whatever order the days ran in. The periods message completes
 * the job. A message that fails on its last receive (it goes to the dead-letter queue next) fails
 * the job first; `failed` is final, a new job runs the range again. A last receive that cannot
 * fail anything, because the function timed out or ran out of memory, is caught on read: before
 * it starts it records by when it must have ended, and a job with a step past that deadline and
 * not done is shown `failed` (`effectiveStatus`).
 *
 * The nightly scheduler starts one job per store and night too (`origin: 'nightly'`), so that its
 * days share that one periods recomputation, and hands it the stale markers the night handles:
 * they are deleted once the days and periods they made stale are recomputed, each conditioned on
 * the `markedAt` that was read, so a marker set again meanwhile survives for the next night.
 */
import { NotFound, ValidationFailed } from '../domain/errors.ts';
import { addDays } from '../domain/kpis.ts';
import type { Clock, IdGenerator } from '../domain/ports.ts';
import { periodsOfDates } from './rollup.ts';
import type { DayMessage, PeriodsMessage, RollupMessage, RollupQueue } from './rollup-queue.ts';
import type { StaleMarker } from './stale-marker.ts';

export const rollupJobStatuses = ['queued', 'running', 'completed', 'failed'] as const;
export type RollupJobStatus = (typeof rollupJobStatuses)[number];

/** The longest range one job may roll up (contract section 8). */
export const maxJobDays = 366;

/**
 * How far back a day may be rolled up again. Facts expire 13 months after they happened
 * (functions/adapters/kpi-writes.ts), and DynamoDB deletes expired items lazily: re-rolling an
 * older day would replace its rows with those of a half-deleted day. Older rows stay as they are.
 */
export const rollableDays = 390;

/** The oldest local date that may be rolled up again, as of `now` (a day's margin for zones). */
export function oldestRollableDate(now: Date): string {
  return addDays(now.toISOString().slice(0, 10), -rollableDays);
}

export type { StaleMarker } from './stale-marker.ts';

export interface RollupJob {
  readonly id: string;
  readonly storeId: string;
  /** `api`: POST /v1/kpis/rollups or its admin twin; `nightly`: a store's scheduled night. */
  readonly origin: 'api' | 'nightly';
  readonly status: RollupJobStatus;
  readonly from: string;
  readonly to: string;
  /** The local days to roll up, ascending; `total` is their number. */
  readonly dates: readonly string[];
  readonly total: number;
  readonly done: number;
  /** The days counted in `done`: a redelivered day is not counted twice. */
  readonly doneDates: readonly string[];
  /** The markers this job handles (nightly jobs only). */
  readonly staleMarkers: readonly StaleMarker[];
  /**
   * The steps (a date, or `periods`) whose message is on its last receive, each with the time by
   * which that attempt has ended, whether it succeeded or its function was stopped.
   */
  readonly lastAttemptDeadlines: Readonly<Record<string, string>>;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** The step of the job a message is: its date, or its periods. */
export const periodsStep = 'periods';

/**
 * The job's status as of `now`: as stored, except that a queued or running job one of whose steps
 * passed the deadline of its last attempt without being done has failed (its message was
 * dead-lettered by a timeout or an out-of-memory stop, which no code of ours saw).
 */
export function effectiveStatus(job: RollupJob, now: Date): RollupJobStatus {
  if (job.status !== 'queued' && job.status !== 'running') return job.status;
  const lapsed = Object.entries(job.lastAttemptDeadlines).some(
    ([step, deadline]) =>
      Date.parse(deadline) < now.getTime() && (step === periodsStep || !job.doneDates.includes(step)),
  );
  return lapsed ? 'failed' : job.status;
}

export interface RollupJobView {
  readonly id: string;
  readonly status: RollupJobStatus;
  readonly progress: { readonly done: number; readonly total: number };
}

export interface RollupJobs {
  create(job: RollupJob): Promise<void>;
  get(storeId: string, jobId: string): Promise<RollupJob | undefined>;
  /**
   * Counts `date` as done (`ADD done 1`) and marks the job `running`, if the date is not counted
   * yet and the job is queued or running. Returns the job as it is after the attempt, and whether
   * this call counted the day; undefined if there is no such job.
   */
  recordDay(
    storeId: string,
    jobId: string,
    date: string,
    at: Date,
  ): Promise<{ readonly counted: boolean; readonly job: RollupJob } | undefined>;
  /** `running` → `completed`; any other status is left as it is. */
  complete(storeId: string, jobId: string, at: Date): Promise<void>;
  /** → `failed`, unless the job is already `completed`. */
  fail(storeId: string, jobId: string, at: Date): Promise<void>;
  /** Records that `step`'s last attempt has begun and ends by `deadline`. */
  recordLastAttempt(storeId: string, jobId: string, step: string, deadline: Date): Promise<void>;
}

export interface StaleMarkers {
  /** The store's markers, oldest hour first, at most `limit`. */
  list(storeId: string, limit: number): Promise<StaleMarker[]>;
  /** Deletes the marker if its `markedAt` is still the one read; false if it was set again. */
  delete(storeId: string, marker: StaleMarker): Promise<boolean>;
}

/** The rollup engine (functions/kpis/rollup.ts), bound to its repositories. */
export interface Rollups {
  storeDay(input: { storeId: string; date: string }): Promise<{ facts: number; rows: number }>;
  periods(input: { storeId: string; periods: readonly string[] }): Promise<{ rows: number }>;
}

const jobView = (job: RollupJob, now: Date): RollupJobView => ({
  id: job.id,
  status: effectiveStatus(job, now),
  progress: { done: job.done, total: job.total },
});

/** The dates from `from` to `to`, both included. */
function datesBetween(from: string, to: string): string[] {
  const dates: string[] = [];
  for (let date = from; date <= to; date = addDays(date, 1)) dates.push(date);
  return dates;
}

const dayMessages = (job: RollupJob): DayMessage[] =>
  job.dates.map((date) => ({ kind: 'day', storeId: job.storeId, date, jobId: job.id }));

/** A new job over `dates` (ascending, distinct), queued. */
export function newRollupJob(input: {
  readonly id: string;
  readonly storeId: string;
  readonly origin: RollupJob['origin'];
  readonly dates: readonly string[];
  readonly staleMarkers?: readonly StaleMarker[];
  readonly now: Date;
}): RollupJob {
  const first = input.dates[0];
  const last = input.dates.at(-1);
  if (first === undefined || last === undefined) throw new Error('a rollup job needs at least one day');
  const at = input.now.toISOString();
  return {
    id: input.id,
    storeId: input.storeId,
    origin: input.origin,
    status: 'queued',
    from: first,
    to: last,
    dates: [...input.dates],
    total: input.dates.length,
    done: 0,
    doneDates: [],
    staleMarkers: [...(input.staleMarkers ?? [])],
    lastAttemptDeadlines: {},
    createdAt: at,
    updatedAt: at,
  };
}

export interface StartJobDependencies {
  readonly jobs: Pick<RollupJobs, 'create' | 'fail'>;
  readonly queue: RollupQueue;
  readonly clock: Clock;
  readonly ids: IdGenerator;
}

/**
 * Starts a job over the days from `from` to `to`. If its days cannot all be queued it is failed
 * (the request's 5xx lets a retry start another one), so no job waits for days that never come.
 */
export async function startRollupJob(
  deps: StartJobDependencies,
  request: {
    readonly storeId: string;
    readonly from: string;
    readonly to: string;
  },
): Promise<{ readonly id: string; readonly status: 'queued' }> {
  const oldest = oldestRollableDate(deps.clock.now());
  if (request.from < oldest) {
    throw new ValidationFailed(
      `Days before ${oldest} can no longer be rolled up: their facts have expired.`,
      {
        errors: [{ path: '/from', message: `must be ${oldest} or later (facts are kept 13 months)` }],
      },
    );
  }
  const job = newRollupJob({
    id: deps.ids.next('rlp_'),
    storeId: request.storeId,
    origin: 'api',
    dates: datesBetween(request.from, request.to),
    now: deps.clock.now(),
  });
  await enqueueJob(deps, job);
  return { id: job.id, status: 'queued' };
}

/** Writes the job, then queues its days; if they cannot all be queued, the job fails. */
export async function enqueueJob(
  deps: Pick<StartJobDependencies, 'jobs' | 'queue' | 'clock'>,
  job: RollupJob,
): Promise<void> {
  await deps.jobs.create(job);
  try {
    await deps.queue.send(dayMessages(job));
  } catch (error) {
    await deps.jobs.fail(job.storeId, job.id, deps.clock.now());
    throw error;
  }
}

export async function getRollupJob(
  deps: { readonly jobs: Pick<RollupJobs, 'get'>; readonly clock: Clock },
  storeId: string,
  jobId: string,
): Promise<RollupJobView> {
  const job = await deps.jobs.get(storeId, jobId);
  if (job === undefined) throw new NotFound(`No rollup job "${jobId}".`);
  return jobView(job, deps.clock.now());
}

// ---------------------------------------------------------------------------------------------
// The kpi-rollups consumer

export interface ConsumerDependencies {
  readonly jobs: RollupJobs;
  readonly markers: Pick<StaleMarkers, 'delete'>;
  readonly rollups: Rollups;
  readonly queue: RollupQueue;
  readonly clock: Clock;
}

/** Stale markers deleted at the same time (a night may handle up to 2 000). */
const concurrentDeletes = 25;

export type MessageOutcome =
  | { readonly kind: 'day'; readonly facts: number; readonly rows: number; readonly periodsQueued: boolean }
  | { readonly kind: 'periods'; readonly rows: number; readonly markersDeleted: number };

/**
 * Processes one message. `lastAttempt`: this is its last receive before the dead-letter queue, so
 * if it fails its job fails with it (then the error is rethrown, and the message dead-lettered);
 * `endsBy` is when the function running it is stopped at the latest.
 */
export async function processRollupMessage(
  deps: ConsumerDependencies,
  message: RollupMessage,
  delivery: { readonly lastAttempt: boolean; readonly endsBy: Date },
): Promise<MessageOutcome> {
  if (delivery.lastAttempt && message.jobId !== undefined) {
    const step = message.kind === 'day' ? message.date : periodsStep;
    // Best effort: without the deadline only a stopped attempt goes unseen, and the rollup and
    // the `fail` below, if it comes to that, must still run.
    await deps.jobs.recordLastAttempt(message.storeId, message.jobId, step, delivery.endsBy).catch(() => {});
  }
  try {
    return message.kind === 'day' ? await rollUpDay(deps, message) : await rollUpPeriods(deps, message);
  } catch (error) {
    if (delivery.lastAttempt && message.jobId !== undefined) {
      await deps.jobs.fail(message.storeId, message.jobId, deps.clock.now());
    }
    throw error;
  }
}

async function rollUpDay(deps: ConsumerDependencies, message: DayMessage): Promise<MessageOutcome> {
  const { storeId, date, jobId } = message;
  const { facts, rows } = await deps.rollups.storeDay({ storeId, date });
  if (jobId === undefined) {
    // A day on its own recomputes its own periods.
    await deps.queue.send([{ kind: 'periods', storeId, periods: periodsOfDates([date]) }]);
    return { kind: 'day', facts, rows, periodsQueued: true };
  }
  const recorded = await deps.jobs.recordDay(storeId, jobId, date, deps.clock.now());
  const job = recorded?.job;
  // The day that completed the count queues the periods; so does a redelivery of any day of a job
  // counted full but not yet completed (the first attempt may have failed to queue them): a second
  // periods message recomputes the same rows.
  const periodsDue = job !== undefined && job.status === 'running' && job.done >= job.total;
  if (periodsDue) {
    await deps.queue.send([{ kind: 'periods', storeId, periods: periodsOfDates(job.dates), jobId }]);
  }
  return { kind: 'day', facts, rows, periodsQueued: periodsDue };
}

async function rollUpPeriods(deps: ConsumerDependencies, message: PeriodsMessage): Promise<MessageOutcome> {
  const { storeId, periods, jobId } = message;
  const { rows } = await deps.rollups.periods({ storeId, periods });
  if (jobId === undefined) return { kind: 'periods', rows, markersDeleted: 0 };
  const job = await deps.jobs.get(storeId, jobId);
  if (job === undefined) return { kind: 'periods', rows, markersDeleted: 0 };
  let markersDeleted = 0;
  for (let start = 0; start < job.staleMarkers.length; start += concurrentDeletes) {
    const batch = job.staleMarkers.slice(start, start + concurrentDeletes);
    const deleted = await Promise.all(batch.map((marker) => deps.markers.delete(storeId, marker)));
    markersDeleted += deleted.filter(Boolean).length;
  }
  await deps.jobs.complete(storeId, jobId, deps.clock.now());
  return { kind: 'periods', rows, markersDeleted };
}
