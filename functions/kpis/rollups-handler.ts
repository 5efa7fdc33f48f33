/**
 * The `kpi-rollups` consumer: one store-day, or one store's periods, per record (batch size 1).
 * A record that fails is retried on its own (partial batch responses); on its last receive
 * (`maxReceiveCount`, lib/topology.ts) its job is failed before the error sends it to the DLQ, and
 * the job records by when that attempt ends, so that a timeout or an out-of-memory stop, which
 * runs none of our code, shows the job failed too (jobs.ts `effectiveStatus`).
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { functionDefinition, queues } from '../../lib/topology.ts';
import { documentClient, mainTableName } from '../adapters/dynamodb.ts';
import { KpiNightsRepository } from '../adapters/kpi-nights-repository.ts';
import { KpiRepository } from '../adapters/kpi-repository.ts';
import { logger } from '../adapters/logger.ts';
import { RollupJobsRepository } from '../adapters/rollup-jobs-repository.ts';
import { StoresRepository } from '../adapters/stores-repository.ts';
import { systemClock } from '../adapters/system.ts';
import { type ConsumerDependencies, processRollupMessage } from './jobs.ts';
import { type RollupDependencies, rollupPeriods, rollupStoreDay } from './rollup.ts';
import { RollupMessage, rollupsQueueName } from './rollup-queue.ts';
import { sqsRollupQueue } from './sqs-rollup-queue.ts';

const maxReceiveCount = receiveLimitOf(rollupsQueueName);
const functionTimeoutMs = functionDefinition('kpiRollups').timeoutSeconds * 1000;

const tableName = mainTableName();
const processor = new BatchProcessor(EventType.SQS);

const rollup: RollupDependencies = {
  kpis: new KpiRepository(documentClient, tableName),
  stores: new StoresRepository(documentClient, tableName),
  clock: systemClock,
};

const dependencies: ConsumerDependencies = {
  jobs: new RollupJobsRepository(documentClient, tableName),
  markers: new KpiNightsRepository(documentClient, tableName),
  rollups: {
    storeDay: (input) => rollupStoreDay(rollup, input),
    periods: (input) => rollupPeriods(rollup, input),
  },
  queue: sqsRollupQueue(),
  clock: systemClock,
};

/** Beyond the function's own stop: the time for its record to be released to the DLQ. */
const stopMarginMs = 60_000;

async function processRecord(record: SQSRecord, context?: Context): Promise<void> {
  // Throws on a malformed body, so the record is retried and then dead-lettered, never dropped.
  const message = RollupMessage.parse(JSON.parse(record.body));
  const lastAttempt = Number(record.attributes.ApproximateReceiveCount) >= maxReceiveCount;
  const remainingMs = context?.getRemainingTimeInMillis() ?? functionTimeoutMs;
  const endsBy = new Date(Date.now() + remainingMs + stopMarginMs);
  const outcome = await processRollupMessage(dependencies, message, { lastAttempt, endsBy });
  logger.debug('rollup message processed', { storeId: message.storeId, jobId: message.jobId, outcome });
}

function receiveLimitOf(queueName: string): number {
  const queue = queues.find((candidate) => candidate.name === queueName);
  if (queue === undefined) throw new Error(`lib/topology.ts declares no ${queueName} queue`);
  return queue.maxReceiveCount;
}

export async function handler(event: SQSEvent, context: Context) {
  return processPartialResponse(event, processRecord, processor, { context });
}
