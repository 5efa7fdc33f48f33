/**
 * The nightly KPI scheduler (functions/kpis/scheduler.ts) with fixed clocks, on the stack's
 * DynamoDB Local. The scheduler runs over EVERY zone in use, so it gets tables of its own here
 * (created beside the stack's): its night claims cannot hold back another test's night, and other
 * tests' stores are not in its registry. Its queue is a recording fake behind the `RollupQueue` port.
 *
 * Zones: `UTC`; `Asia/Kolkata` (UTC+05:30, so an hour of UTC straddles two local dates);
 * `America/Los_Angeles` (UTC−07:00 in the days used, after the March DST change).
 */
import { randomUUID } from 'node:crypto';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import type { KpiNightsRepository as KpiNightsRepositoryType } from '../../functions/adapters/kpi-nights-repository.ts';
import type { RollupJobsRepository as RollupJobsRepositoryType } from '../../functions/adapters/rollup-jobs-repository.ts';
import type { StoreRegistryReader as StoreRegistryReaderType } from '../../functions/adapters/store-registry-reader.ts';
import { rollableDays } from '../../functions/kpis/jobs.ts';
import type { RollupMessage } from '../../functions/kpis/rollup-queue.ts';
import type {
  runNightlyRollups as RunNightlyRollups,
  SchedulerDependencies,
} from '../../functions/kpis/scheduler.ts';
import { localDatesOfHour, nightDue, nightLeaseMs, nightPlan } from '../../functions/kpis/scheduler.ts';
import { timezoneChangedHour } from '../../functions/kpis/stale-marker.ts';

let client: typeof import('../../functions/adapters/dynamodb.ts')['documentClient'];
let keys: typeof import('../../functions/adapters/kpi-keys.ts');
let runNightlyRollups: typeof RunNightlyRollups;
let classes: {
  RollupJobsRepository: typeof RollupJobsRepositoryType;
  KpiNightsRepository: typeof KpiNightsRepositoryType;
  StoreRegistryReader: typeof StoreRegistryReaderType;
};

beforeAll(async () => {
  Object.assign(process.env, inject('stackEnvironment'));
  const dynamodb = await import('../../functions/adapters/dynamodb.ts');
  client = dynamodb.documentClient;
  keys = await import('../../functions/adapters/kpi-keys.ts');
  ({ runNightlyRollups } = await import('../../functions/kpis/scheduler.ts'));
  const { RollupJobsRepository } = await import('../../functions/adapters/rollup-jobs-repository.ts');
  const { KpiNightsRepository } = await import('../../functions/adapters/kpi-nights-repository.ts');
  const { StoreRegistryReader } = await import('../../functions/adapters/store-registry-reader.ts');
  classes = { RollupJobsRepository, KpiNightsRepository, StoreRegistryReader };
});

/** Tables of the test's own, and the scheduler's dependencies on them at a fixed `now`. */
async function world(zones: Record<string, string[]>) {
  const { createTables } = await import('../../bin/local/tables.ts');
  const { dynamoClient } = await import('../../functions/adapters/dynamodb.ts');
  const prefix = `kpisched${randomUUID().slice(0, 8)}`;
  const tableName = `${prefix}-main`;
  await createTables(dynamoClient, { main: tableName, idempotency: `${prefix}-idempotency` });
  const put = (item: Record<string, unknown>) =>
    client.send(new PutCommand({ TableName: tableName, Item: item }));
  await put({ ...keys.timeZonesKey, entity: 'timeZones', zones: new Set(Object.keys(zones)) });
  for (const [zone, storeIds] of Object.entries(zones)) {
    for (const storeId of storeIds) {
      await put({ ...keys.storeOfZoneKey(zone, storeId), entity: 'storeOfZone', storeId, timezone: zone });
    }
  }
  const sent: RollupMessage[] = [];
  /** Stores whose messages the queue refuses, as SQS might for a while. */
  const refusedStores = new Set<string>();
  const jobs = new classes.RollupJobsRepository(client, tableName);
  const nights = new classes.KpiNightsRepository(client, tableName);
  let sequence = 0;
  const dependencies = (now: string): SchedulerDependencies => ({
    registry: new classes.StoreRegistryReader(client, tableName),
    nights,
    storeNights: nights,
    markers: nights,
    jobs,
    queue: {
      send: async (messages) => {
        if (messages.some((message) => refusedStores.has(message.storeId))) throw new Error('SQS refused');
        sent.push(...messages);
      },
    },
    clock: { now: () => new Date(now) },
    ids: { next: (prefix) => `${prefix}${++sequence}` },
  });
  const mark = (storeId: string, hour: string, markedAt = '2026-03-09T12:00:00.000Z') =>
    put({ pk: keys.staleMarkersPartition(storeId), sk: hour, entity: 'staleMarker', markedAt });
  /** The dates queued per store, and whether each store's messages name one job. */
  const queued = () => {
    const byStore: Record<string, string[]> = {};
    for (const message of sent) {
      if (message.kind !== 'day') throw new Error(`the scheduler queued ${message.kind}`);
      byStore[message.storeId] = [...(byStore[message.storeId] ?? []), message.date];
    }
    return byStore;
  };
  return { dependencies, sent, jobs, nights, mark, queued, refusedStores };
}

const noErrors = (storeId: string, error: unknown) => {
  throw new Error(`store ${storeId} failed: ${String(error)}`);
};

describe('nightDue and localDatesOfHour', () => {
  it('lets a night run an hour after local midnight, and maps an hour to each local date it touches', () => {
    expect(nightDue('UTC', new Date('2026-03-10T00:59:59.999Z'))).toBeUndefined();
    expect(nightDue('UTC', new Date('2026-03-10T01:00:00.000Z'))).toBe('2026-03-10');
    expect(nightDue('Asia/Kolkata', new Date('2026-03-09T19:15:00.000Z'))).toBeUndefined(); // 00:45 IST
    expect(nightDue('Asia/Kolkata', new Date('2026-03-09T19:30:00.000Z'))).toBe('2026-03-10'); // 01:00 IST
    // 18:00–18:59 UTC is 23:30–00:29 IST: both dates, unless the second is today.
    expect(localDatesOfHour('2026-03-08T18', 'Asia/Kolkata', '2026-03-10')).toEqual([
      '2026-03-08',
      '2026-03-09',
    ]);
    expect(localDatesOfHour('2026-03-09T18', 'Asia/Kolkata', '2026-03-10')).toEqual(['2026-03-09']);
    expect(localDatesOfHour('2026-03-09T20', 'Asia/Kolkata', '2026-03-10')).toEqual([]);
  });

  it("rolls up every day still kept after a timezone change, in the store's new zone", () => {
    const markedAt = '2026-03-09T08:00:00.000Z';
    const plan = nightPlan('Asia/Kolkata', '2026-03-10', [
      { hour: timezoneChangedHour, markedAt },
      { hour: '2026-03-08T18', markedAt },
    ]);
    expect(plan.dates).toHaveLength(rollableDays);
    expect(plan.dates[0]).toBe('2025-02-13');
    expect(plan.dates.at(-1)).toBe('2026-03-09');
    expect(new Set(plan.dates).size).toBe(plan.dates.length);
    expect(plan.handled).toEqual([
      { hour: timezoneChangedHour, markedAt },
      { hour: '2026-03-08T18', markedAt },
    ]);
  });

  it("handles a marker past the facts' retention without rolling its day up again", () => {
    const markedAt = '2026-03-10T00:30:00.000Z';
    const plan = nightPlan('UTC', '2026-03-10', [
      { hour: '2025-01-05T12', markedAt },
      { hour: '2026-03-05T12', markedAt },
    ]);
    expect(plan.dates).toEqual(['2026-03-05', '2026-03-09']);
    expect(plan.handled).toHaveLength(2);
  });
});

describe('runNightlyRollups', () => {
  it('runs only the zones past an hour after their local midnight, each night once', async () => {
    const { dependencies, queued } = await world({
      UTC: ['str_utc1'],
      'Asia/Kolkata': ['str_ist1'],
      'America/Los_Angeles': ['str_la1'],
    });

    // 00:30 UTC: UTC is in its grace hour; 06:00 in Kolkata; 17:30 the day before in Los Angeles.
    const early = await runNightlyRollups(dependencies('2026-03-10T00:30:00.000Z'), noErrors);
    expect(early.zones).toEqual([
      { timeZone: 'America/Los_Angeles', date: '2026-03-09' },
      { timeZone: 'Asia/Kolkata', date: '2026-03-10' },
    ]);
    expect(queued()).toEqual({ str_la1: ['2026-03-08'], str_ist1: ['2026-03-09'] });

    // 01:15 UTC: only UTC is left to run tonight.
    const later = await runNightlyRollups(dependencies('2026-03-10T01:15:00.000Z'), noErrors);
    expect(later.zones).toEqual([{ timeZone: 'UTC', date: '2026-03-10' }]);
    expect(queued()).toEqual({ str_la1: ['2026-03-08'], str_ist1: ['2026-03-09'], str_utc1: ['2026-03-09'] });

    // The next night comes with the next local date (18:15 on the 10th in Los Angeles).
    const next = await runNightlyRollups(dependencies('2026-03-11T01:15:00.000Z'), noErrors);
    expect(next.zones).toEqual([
      { timeZone: 'America/Los_Angeles', date: '2026-03-10' },
      { timeZone: 'Asia/Kolkata', date: '2026-03-11' },
      { timeZone: 'UTC', date: '2026-03-11' },
    ]);
    expect(queued().str_utc1).toEqual(['2026-03-09', '2026-03-10']);
  });

  it('runs a night once when invoked twice at the same time', async () => {
    const { dependencies, queued, sent } = await world({ UTC: ['str_a', 'str_b', 'str_c'] });

    const runs = await Promise.all([
      runNightlyRollups(dependencies('2026-03-10T02:00:00.000Z'), noErrors),
      runNightlyRollups(dependencies('2026-03-10T02:00:00.000Z'), noErrors),
    ]);

    expect(runs.map((run) => run.zones.length).sort()).toEqual([0, 1]);
    expect(queued()).toEqual({ str_a: ['2026-03-09'], str_b: ['2026-03-09'], str_c: ['2026-03-09'] });
    expect(new Set(sent.map((message) => message.jobId)).size).toBe(3);
  });

  it('finishes a night that failed for some stores at the next invocation, without starting the others again', async () => {
    const { dependencies, queued, refusedStores } = await world({
      UTC: ['str_ok1', 'str_refused', 'str_ok2'],
    });
    refusedStores.add('str_refused');
    const errors: string[] = [];

    const first = await runNightlyRollups(dependencies('2026-03-10T01:15:00.000Z'), (storeId) =>
      errors.push(storeId),
    );
    expect(first).toMatchObject({ stores: 2, alreadyStarted: 0, failedStores: 1 });
    expect(errors).toEqual(['str_refused']);

    // Inside the failed run's lease, the night is left alone.
    refusedStores.clear();
    const duringLease = await runNightlyRollups(dependencies('2026-03-10T01:18:00.000Z'), noErrors);
    expect(duringLease.zones).toEqual([]);

    // The next invocation takes the night over and starts only the store that failed.
    const next = await runNightlyRollups(dependencies('2026-03-10T01:30:00.000Z'), noErrors);
    expect(next).toEqual({
      zones: [{ timeZone: 'UTC', date: '2026-03-10' }],
      stores: 1,
      days: 1,
      alreadyStarted: 2,
      failedStores: 0,
    });
    expect(queued()).toEqual({
      str_ok1: ['2026-03-09'],
      str_refused: ['2026-03-09'],
      str_ok2: ['2026-03-09'],
    });

    // Now every store has started, the night is done: later invocations leave it.
    const after = await runNightlyRollups(dependencies('2026-03-10T02:30:00.000Z'), noErrors);
    expect(after.zones).toEqual([]);
  });

  it('takes over a night whose run died holding it, once the lease has lapsed', async () => {
    const { dependencies, nights, queued } = await world({ UTC: ['str_d1', 'str_d2'] });
    // A run took the night at 01:15, then died before starting any store.
    expect(await nights.claim('UTC', '2026-03-10', new Date('2026-03-10T01:15:00.000Z'))).toBe(true);

    const held = await runNightlyRollups(dependencies('2026-03-10T01:15:00.000Z'), noErrors);
    expect(held.zones).toEqual([]);
    const lapsedAt = new Date(Date.parse('2026-03-10T01:15:00.000Z') + nightLeaseMs).toISOString();
    const takenOver = await runNightlyRollups(dependencies(lapsedAt), noErrors);
    expect(takenOver).toMatchObject({ zones: [{ timeZone: 'UTC', date: '2026-03-10' }], stores: 2 });
    expect(queued()).toEqual({ str_d1: ['2026-03-09'], str_d2: ['2026-03-09'] });
  });

  it("queues each store's previous day and the local days of its stale markers, never today", async () => {
    const { dependencies, queued, sent, jobs, mark } = await world({ 'Asia/Kolkata': ['str_k1', 'str_k2'] });
    await mark('str_k1', '2026-03-05T10'); // 15:30–16:29 IST on the 5th
    await mark('str_k1', '2026-03-08T18'); // 23:30 on the 8th – 00:29 on the 9th
    await mark('str_k1', '2026-03-09T18'); // 23:30 on the 9th – 00:29 on the 10th (today)
    await mark('str_k1', '2026-03-09T20'); // 01:30 today: left for tomorrow night
    await mark('str_k1', '2026-03-10T05'); // later today

    // 02:00 IST on 2026-03-10.
    const summary = await runNightlyRollups(dependencies('2026-03-09T20:30:00.000Z'), noErrors);

    expect(summary).toEqual({
      zones: [{ timeZone: 'Asia/Kolkata', date: '2026-03-10' }],
      stores: 2,
      days: 4,
      alreadyStarted: 0,
      failedStores: 0,
    });
    expect(queued()).toEqual({ str_k1: ['2026-03-05', '2026-03-08', '2026-03-09'], str_k2: ['2026-03-09'] });
    const jobId = sent.find((message) => message.storeId === 'str_k1')?.jobId;
    if (jobId === undefined) throw new Error('the store night has no job');
    expect(
      sent.filter((message) => message.storeId === 'str_k1').every((message) => message.jobId === jobId),
    ).toBe(true);
    // The job counts the night's days and carries the markers it handles, with their markedAt.
    expect(await jobs.get('str_k1', jobId)).toMatchObject({
      origin: 'nightly',
      status: 'queued',
      total: 3,
      done: 0,
      dates: ['2026-03-05', '2026-03-08', '2026-03-09'],
      staleMarkers: [
        { hour: '2026-03-05T10', markedAt: '2026-03-09T12:00:00.000Z' },
        { hour: '2026-03-08T18', markedAt: '2026-03-09T12:00:00.000Z' },
        { hour: '2026-03-09T18', markedAt: '2026-03-09T12:00:00.000Z' },
      ],
    });
  });
});
