/**
 * The `kpi-rollups` consumer against the running stack's DynamoDB Local: the handler fails a job
 * whose day still fails on its last receive (`maxReceiveCount` of lib/topology.ts), and the use
 * case counts each day once, queues the job's periods once all its days are done, completes the
 * job and deletes the stale markers it handled, unless they were marked again meanwhile.
 *
 * Jobs are written for stores of the test's own that have no store item, so the real rollup of a
 * day fails (the store does not exist); the use case tests bind a recording rollup instead.
 */
import { randomUUID } from 'node:crypto';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Context, SQSEvent } from 'aws-lambda';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import type { RollupJobsRepository as RollupJobsRepositoryType } from '../../functions/adapters/rollup-jobs-repository.ts';
import type {
  ConsumerDependencies,
  getRollupJob as GetRollupJob,
  processRollupMessage as ProcessRollupMessage,
  RollupJob,
  RollupJobs,
  StaleMarker,
} from '../../functions/kpis/jobs.ts';
import { newRollupJob } from '../../functions/kpis/jobs.ts';
import { periodsOfDates } from '../../functions/kpis/rollup.ts';
import type { RollupMessage } from '../../functions/kpis/rollup-queue.ts';
import { queues } from '../../lib/topology.ts';

type Handler = typeof import('../../functions/kpis/rollups-handler.ts')['handler'];

let jobs: RollupJobsRepositoryType;
let handler: Handler;
let processRollupMessage: typeof ProcessRollupMessage;
let getRollupJob: typeof GetRollupJob;
let markers: ConsumerDependencies['markers'];
let documentClient: typeof import('../../functions/adapters/dynamodb.ts')['documentClient'];
let tableName: string;
let keys: typeof import('../../functions/adapters/kpi-keys.ts');

const maxReceiveCount = queues.find((queue) => queue.name === 'kpi-rollups')?.maxReceiveCount ?? 0;
const now = new Date('2026-05-04T10:00:00.000Z');
const clock = { now: () => now };

beforeAll(async () => {
  Object.assign(process.env, inject('stackEnvironment'));
  const dynamodb = await import('../../functions/adapters/dynamodb.ts');
  documentClient = dynamodb.documentClient;
  tableName = dynamodb.mainTableName();
  const { RollupJobsRepository } = await import('../../functions/adapters/rollup-jobs-repository.ts');
  const { KpiNightsRepository } = await import('../../functions/adapters/kpi-nights-repository.ts');
  jobs = new RollupJobsRepository(documentClient, tableName);
  markers = new KpiNightsRepository(documentClient, tableName);
  keys = await import('../../functions/adapters/kpi-keys.ts');
  ({ processRollupMessage, getRollupJob } = await import('../../functions/kpis/jobs.ts'));
  ({ handler } = await import('../../functions/kpis/rollups-handler.ts'));
});

const storeId = () => `str_it${randomUUID().replaceAll('-', '').slice(0, 16)}`;

async function writtenJob(dates: string[], staleMarkers: StaleMarker[] = []): Promise<RollupJob> {
  const job = newRollupJob({
    id: `rlp_${randomUUID().replaceAll('-', '').slice(0, 20)}`,
    storeId: storeId(),
    origin: staleMarkers.length > 0 ? 'nightly' : 'api',
    dates,
    staleMarkers,
    now,
  });
  await jobs.create(job);
  return job;
}

function sqsEvent(message: RollupMessage, receiveCount: number): SQSEvent {
  return {
    Records: [
      {
        messageId: randomUUID(),
        receiptHandle: randomUUID(),
        body: JSON.stringify(message),
        attributes: {
          ApproximateReceiveCount: String(receiveCount),
          SentTimestamp: String(now.getTime()),
          SenderId: '000000000000',
          ApproximateFirstReceiveTimestamp: String(now.getTime()),
        },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:salesops-kpi-rollups',
        awsRegion: 'us-east-1',
      },
    ],
  };
}

function withoutDeadlines(job: RollupJob): Omit<RollupJob, 'lastAttemptDeadlines' | 'doneDates'> {
  const { lastAttemptDeadlines: _deadlines, doneDates: _doneDates, ...rest } = job;
  return rest;
}

const context = { functionName: 'kpiRollups', getRemainingTimeInMillis: () => 60_000 } as Context;

/** A rollup that records what it is asked, and a queue that records what is sent. */
function recordingDependencies(): ConsumerDependencies & { sent: RollupMessage[]; rolled: string[] } {
  const sent: RollupMessage[] = [];
  const rolled: string[] = [];
  return {
    sent,
    rolled,
    jobs,
    markers,
    clock,
    queue: { send: async (messages) => void sent.push(...messages) },
    rollups: {
      storeDay: async ({ date }) => {
        rolled.push(date);
        return { facts: 0, rows: 0 };
      },
      periods: async ({ periods }) => {
        rolled.push(...periods);
        return { rows: 0 };
      },
    },
  };
}

describe('kpi-rollups consumer', () => {
  it('fails the job when a day still fails on its last receive, and only then', async () => {
    const job = await writtenJob(['2026-05-01', '2026-05-02']);
    const day: RollupMessage = { kind: 'day', storeId: job.storeId, date: '2026-05-01', jobId: job.id };
    expect(maxReceiveCount).toBeGreaterThan(1);

    // The store does not exist: the rollup throws on every receive.
    await expect(handler(sqsEvent(day, maxReceiveCount - 1), context)).rejects.toThrow();
    expect((await jobs.get(job.storeId, job.id))?.status).toBe('queued');
    await expect(handler(sqsEvent(day, maxReceiveCount), context)).rejects.toThrow();

    expect(await jobs.get(job.storeId, job.id)).toMatchObject({ status: 'failed', done: 0, total: 2 });
  });

  it('shows the job failed once a last attempt that was stopped (timeout, out of memory) is past its end', async () => {
    const job = await writtenJob(['2026-05-01', '2026-05-02']);
    const deps = recordingDependencies();
    // A rollup that never returns: the function is stopped, and no code of ours sees it.
    const stopped = { ...deps, rollups: { ...deps.rollups, storeDay: () => new Promise<never>(() => {}) } };
    const endsBy = new Date(now.getTime() + 180_000);
    void processRollupMessage(
      stopped,
      { kind: 'day', storeId: job.storeId, date: '2026-05-02', jobId: job.id },
      { lastAttempt: true, endsBy },
    );
    // Its other day, on a first receive, is done meanwhile.
    await processRollupMessage(
      deps,
      { kind: 'day', storeId: job.storeId, date: '2026-05-01', jobId: job.id },
      { lastAttempt: false, endsBy },
    );
    await expect
      .poll(async () => (await jobs.get(job.storeId, job.id))?.lastAttemptDeadlines)
      .toEqual({
        '2026-05-02': endsBy.toISOString(),
      });

    const at = (time: Date) => getRollupJob({ jobs, clock: { now: () => time } }, job.storeId, job.id);
    await expect(at(endsBy)).resolves.toMatchObject({ status: 'running', progress: { done: 1, total: 2 } });
    await expect(at(new Date(endsBy.getTime() + 1))).resolves.toMatchObject({ status: 'failed' });
  });

  it('records a last attempt on a job written before jobs had deadlines, and fails a job whose recording fails', async () => {
    const job = await writtenJob(['2026-05-01']);
    // As the code before lastAttemptDeadlines wrote it.
    await documentClient.send(
      new PutCommand({
        TableName: tableName,
        Item: { ...keys.rollupJobKey(job.storeId, job.id), entity: 'rollupJob', ...withoutDeadlines(job) },
      }),
    );
    const endsBy = new Date(now.getTime() + 180_000);
    await jobs.recordLastAttempt(job.storeId, job.id, '2026-05-01', endsBy);
    expect((await jobs.get(job.storeId, job.id))?.lastAttemptDeadlines).toEqual({
      '2026-05-01': endsBy.toISOString(),
    });

    // Recording is best effort: the rollup runs, and its failure on the last receive fails the job.
    const other = await writtenJob(['2026-05-02']);
    const deps = recordingDependencies();
    const throttledRecording: RollupJobs = {
      create: (created) => jobs.create(created),
      get: (store, id) => jobs.get(store, id),
      recordDay: (store, id, date, at) => jobs.recordDay(store, id, date, at),
      complete: (store, id, at) => jobs.complete(store, id, at),
      fail: (store, id, at) => jobs.fail(store, id, at),
      recordLastAttempt: () => Promise.reject(new Error('throttled')),
    };
    const failing = {
      ...deps,
      jobs: throttledRecording,
      rollups: { ...deps.rollups, storeDay: () => Promise.reject(new Error('rollup failed')) },
    };
    await expect(
      processRollupMessage(
        failing,
        { kind: 'day', storeId: other.storeId, date: '2026-05-02', jobId: other.id },
        { lastAttempt: true, endsBy },
      ),
    ).rejects.toThrow('rollup failed');
    expect((await jobs.get(other.storeId, other.id))?.status).toBe('failed');
  });

  it('counts each day once, queues the periods once the last day is done, and completes the job', async () => {
    const dates = ['2026-04-29', '2026-04-30', '2026-05-01'];
    const job = await writtenJob(dates);
    const deps = recordingDependencies();
    const day = (date: string): RollupMessage => ({ kind: 'day', storeId: job.storeId, date, jobId: job.id });

    await processRollupMessage(deps, day('2026-05-01'), { lastAttempt: false, endsBy: now });
    // SQS delivers at least once: the same day again is rolled up again, but not counted again.
    await processRollupMessage(deps, day('2026-05-01'), { lastAttempt: false, endsBy: now });
    await processRollupMessage(deps, day('2026-04-29'), { lastAttempt: false, endsBy: now });
    expect(await jobs.get(job.storeId, job.id)).toMatchObject({ status: 'running', done: 2, total: 3 });
    expect(deps.sent).toEqual([]);

    await processRollupMessage(deps, day('2026-04-30'), { lastAttempt: false, endsBy: now });

    const periods = { kind: 'periods', storeId: job.storeId, periods: periodsOfDates(dates), jobId: job.id };
    expect(periods.periods).toEqual(['2026-W18', '2026-04', '2026-05', '2026-Q2']);
    expect(deps.sent).toEqual([periods]);
    expect(await jobs.get(job.storeId, job.id)).toMatchObject({ status: 'running', done: 3, total: 3 });
    await processRollupMessage(deps, periods as RollupMessage, { lastAttempt: false, endsBy: now });
    expect(await jobs.get(job.storeId, job.id)).toMatchObject({ status: 'completed', done: 3, total: 3 });
    expect(deps.rolled).toEqual([
      ...['2026-05-01', '2026-05-01', '2026-04-29', '2026-04-30'],
      ...periods.periods,
    ]);
  });

  it('deletes the stale markers the job handled, except one marked again since', async () => {
    const handled: StaleMarker[] = [
      { hour: '2026-05-01T23', markedAt: '2026-05-02T08:00:00.000Z' },
      { hour: '2026-05-02T03', markedAt: '2026-05-02T09:00:00.000Z' },
    ];
    const job = await writtenJob(['2026-05-01', '2026-05-02'], handled);
    const markerKey = (hour: string) => ({ pk: keys.staleMarkersPartition(job.storeId), sk: hour });
    const putMarker = (hour: string, markedAt: string) =>
      documentClient.send(
        new PutCommand({
          TableName: tableName,
          Item: { ...markerKey(hour), entity: 'staleMarker', markedAt },
        }),
      );
    await putMarker('2026-05-01T23', '2026-05-02T08:00:00.000Z');
    // A late fact marked this hour again after the night read it: it must survive for the next night.
    await putMarker('2026-05-02T03', '2026-05-04T09:30:00.000Z');
    const deps = recordingDependencies();
    for (const date of job.dates) {
      await processRollupMessage(
        deps,
        { kind: 'day', storeId: job.storeId, date, jobId: job.id },
        { lastAttempt: false, endsBy: now },
      );
    }
    const [periods] = deps.sent;
    if (periods === undefined) throw new Error('no periods message was queued');

    const outcome = await processRollupMessage(deps, periods, { lastAttempt: false, endsBy: now });

    expect(outcome).toEqual({ kind: 'periods', rows: 0, markersDeleted: 1 });
    const read = async (hour: string) =>
      (
        await documentClient.send(
          new GetCommand({ TableName: tableName, Key: markerKey(hour), ConsistentRead: true }),
        )
      ).Item;
    expect(await read('2026-05-01T23')).toBeUndefined();
    expect(await read('2026-05-02T03')).toMatchObject({ markedAt: '2026-05-04T09:30:00.000Z' });
    expect((await jobs.get(job.storeId, job.id))?.status).toBe('completed');
  });
});
