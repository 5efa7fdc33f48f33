/** The `kpi-nightly` schedule (every 15 minutes): starts the nights that are due (scheduler.ts). */
import type { ScheduledEvent } from 'aws-lambda';
import { documentClient, mainTableName } from '../adapters/dynamodb.ts';
import { KpiNightsRepository } from '../adapters/kpi-nights-repository.ts';
import { logger } from '../adapters/logger.ts';
import { RollupJobsRepository } from '../adapters/rollup-jobs-repository.ts';
import { StoreRegistryReader } from '../adapters/store-registry-reader.ts';
import { randomIds, systemClock } from '../adapters/system.ts';
import { runNightlyRollups } from './scheduler.ts';
import { sqsRollupQueue } from './sqs-rollup-queue.ts';

const tableName = mainTableName();
const nights = new KpiNightsRepository(documentClient, tableName);
const dependencies = {
  registry: new StoreRegistryReader(documentClient, tableName),
  nights,
  storeNights: nights,
  markers: nights,
  jobs: new RollupJobsRepository(documentClient, tableName),
  queue: sqsRollupQueue(),
  clock: systemClock,
  ids: randomIds,
};

export async function handler(_event: ScheduledEvent) {
  const summary = await runNightlyRollups(dependencies, (storeId, error) =>
    logger.error('could not start a store night', { storeId, error: String(error) }),
  );
  if (summary.zones.length > 0) logger.info('KPI nights started', { ...summary });
  // The next invocation starts those stores; failing this one raises the errors alarm meanwhile.
  if (summary.failedStores > 0) {
    throw new Error(`${summary.failedStores} store night(s) could not start; the log lines above name them.`);
  }
  return summary;
}
