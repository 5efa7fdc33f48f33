/**
 * The nightly KPI run (docs/kpis.md "Schedules"), invoked every 15 minutes. For each zone in use
 * whose night has come and is not done, it takes the night for one run (a lease, so that runs do
 * not overlap), then starts for each store of the zone one nightly rollup job
 * (functions/kpis/jobs.ts): the previous local day, plus the local days of the store's stale
 * markers. Each store's night is recorded once its job's days are queued, and the zone's night is
 * done only when every store's is: a run that dies or fails for some stores is finished by the
 * next invocation (once its lease has lapsed), which skips the stores already started.
 *
 * A night comes an hour after local midnight (`lateAfterMs`): a fact of 23:50 written at 00:20 is
 * not late and marks nothing, so the run waits until the day's facts can only arrive late, and
 * late ones mark their hours stale for the next night. (An hour after midnight, not "01:00 on the
 * wall clock": on a day whose midnight is skipped by a DST change the two differ.)
 *
 * A stale marker names a UTC hour; the hour belongs to the local date of its start and to that of
 * its end (they differ in zones with :30 / :45 offsets), and both are rolled up again. Today and
 * later dates are not: today is rolled up tomorrow night, once it is over. A marker none of whose
 * dates is rolled up tonight is left for a later night.
 */
import { addDays, lateAfterMs, localDate } from '../domain/kpis.ts';
import type { Clock, IdGenerator } from '../domain/ports.ts';
import {
  enqueueJob,
  newRollupJob,
  type RollupJobs,
  rollableDays,
  type StaleMarker,
  type StaleMarkers,
} from './jobs.ts';
import type { RollupQueue } from './rollup-queue.ts';
import { timezoneChangedHour } from './stale-marker.ts';

export interface StoreRegistry {
  /** The zones in use. */
  zones(): Promise<string[]>;
  /** The ids of the zone's stores, a page at a time. */
  storesOfZone(timeZone: string): AsyncIterable<readonly string[]>;
}

export interface ZoneNights {
  /**
   * Takes the zone's night of `date` for one run until `at + nightLeaseMs`; false if that night
   * (or a later one) is done, or another run holds it.
   */
  claim(timeZone: string, date: string, at: Date): Promise<boolean>;
  /** Records that every store of the zone has started its night of `date`. */
  complete(timeZone: string, date: string, at: Date): Promise<void>;
}

export interface StoreNights {
  /** Whether the store's night of `date` was started (its job's days queued). */
  started(storeId: string, date: string): Promise<boolean>;
  recordStarted(storeId: string, date: string, jobId: string, at: Date): Promise<void>;
}

/**
 * How long a run holds a zone's night: longer than the scheduler's own timeout (60 s), shorter than
 * the 15 minutes to the next invocation, which takes over a night whose run died.
 */
export const nightLeaseMs = 5 * 60_000;

export interface SchedulerDependencies {
  readonly registry: StoreRegistry;
  readonly nights: ZoneNights;
  readonly storeNights: StoreNights;
  readonly markers: Pick<StaleMarkers, 'list'>;
  readonly jobs: Pick<RollupJobs, 'create' | 'fail'>;
  readonly queue: RollupQueue;
  readonly clock: Clock;
  readonly ids: IdGenerator;
}

/**
 * The markers one night handles per store, oldest first: the job item carries them, and an item
 * holds 400 KB. More wait for the next night.
 */
export const maxMarkersPerNight = 2_000;

/** Stores whose jobs are started at the same time. */
const concurrentStores = 10;

export interface NightlySummary {
  /** The zones whose night this invocation ran, with the local date of that night. */
  readonly zones: readonly { readonly timeZone: string; readonly date: string }[];
  /** Stores whose night this invocation started. */
  readonly stores: number;
  readonly days: number;
  /** Stores whose night an earlier run had started (it died or failed for other stores). */
  readonly alreadyStarted: number;
  readonly failedStores: number;
}

/**
 * The local date whose night may run now in the zone (its "today": the night rolls up the day
 * before), or undefined in the first hour after local midnight.
 */
export function nightDue(timeZone: string, now: Date): string | undefined {
  const today = localDate(now.toISOString(), timeZone);
  const anHourAgo = localDate(new Date(now.getTime() - lateAfterMs).toISOString(), timeZone);
  return anHourAgo === today ? today : undefined;
}

/** The local dates (before `today`) a UTC hour `yyyy-mm-ddThh` belongs to in the zone. */
export function localDatesOfHour(hour: string, timeZone: string, today: string): string[] {
  const start = localDate(`${hour}:00:00.000Z`, timeZone);
  const end = localDate(`${hour}:59:59.999Z`, timeZone);
  return [...new Set([start, end])].filter((date) => date < today);
}

/** The days a store's night rolls up, ascending, and the markers that makes handled. */
export function nightPlan(
  timeZone: string,
  today: string,
  markers: readonly StaleMarker[],
): { readonly dates: string[]; readonly handled: StaleMarker[] } {
  const dates = new Set([addDays(today, -1)]);
  const handled: StaleMarker[] = [];
  const oldest = addDays(today, -rollableDays);
  for (const marker of markers) {
    if (marker.hour === timezoneChangedHour) {
      // Every day still rollable, in the zone the store is in now.
      for (let date = oldest; date < today; date = addDays(date, 1)) dates.add(date);
      handled.push(marker);
      continue;
    }
    const stale = localDatesOfHour(marker.hour, timeZone, today);
    if (stale.length === 0) continue;
    // Days past the facts' retention keep their rows (jobs.ts `rollableDays`); their marker is
    // still handled, so that it does not wait for ever.
    for (const date of stale) if (date >= oldest) dates.add(date);
    handled.push(marker);
  }
  return { dates: [...dates].sort(), handled };
}

export async function runNightlyRollups(
  deps: SchedulerDependencies,
  onStoreError: (storeId: string, error: unknown) => void,
): Promise<NightlySummary> {
  const now = deps.clock.now();
  const zones: { timeZone: string; date: string }[] = [];
  let stores = 0;
  let days = 0;
  let alreadyStarted = 0;
  let failedStores = 0;
  for (const timeZone of await deps.registry.zones()) {
    const today = nightDue(timeZone, now);
    if (today === undefined || !(await deps.nights.claim(timeZone, today, now))) continue;
    zones.push({ timeZone, date: today });
    let failedInZone = 0;
    for await (const page of deps.registry.storesOfZone(timeZone)) {
      for (let start = 0; start < page.length; start += concurrentStores) {
        const results = await Promise.allSettled(
          page
            .slice(start, start + concurrentStores)
            .map((storeId) => startNightOnce(deps, storeId, timeZone, today)),
        );
        results.forEach((result, index) => {
          if (result.status === 'rejected') {
            failedInZone++;
            onStoreError(page[start + index] ?? '', result.reason);
          } else if (result.value === undefined) {
            alreadyStarted++;
          } else {
            stores++;
            days += result.value;
          }
        });
      }
    }
    failedStores += failedInZone;
    // Left undone, the night is taken again by the next invocation once this run's lease lapses.
    if (failedInZone === 0) await deps.nights.complete(timeZone, today, deps.clock.now());
  }
  return { zones, stores, days, alreadyStarted, failedStores };
}

/**
 * Starts the store's nightly job unless an earlier run did; returns its number of days, or
 * undefined if it was started already. A run that dies after queueing the days but before
 * recording it leaves the store to be started again: the job's days are rolled up twice, which
 * recomputes the same rows.
 */
async function startNightOnce(
  deps: SchedulerDependencies,
  storeId: string,
  timeZone: string,
  today: string,
): Promise<number | undefined> {
  if (await deps.storeNights.started(storeId, today)) return undefined;
  const markers = await deps.markers.list(storeId, maxMarkersPerNight);
  const { dates, handled } = nightPlan(timeZone, today, markers);
  const job = newRollupJob({
    id: deps.ids.next('rlp_'),
    storeId,
    origin: 'nightly',
    dates,
    staleMarkers: handled,
    now: deps.clock.now(),
  });
  await enqueueJob(deps, job);
  await deps.storeNights.recordStarted(storeId, today, job.id, deps.clock.now());
  return dates.length;
}
