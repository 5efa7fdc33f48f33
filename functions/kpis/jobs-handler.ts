import { documentClient, idempotencyTableName, mainTableName } from '../adapters/dynamodb.ts';
import { dynamoIdempotencyGuard } from '../adapters/idempotency.ts';
import { RollupJobsRepository } from '../adapters/rollup-jobs-repository.ts';
import { adminToken } from '../adapters/secrets.ts';
import { StoresRepository } from '../adapters/stores-repository.ts';
import { randomIds, systemClock } from '../adapters/system.ts';
import { NotFound } from '../domain/errors.ts';
import { adminRoute, type HttpResult, httpHandler, ok, storeRoute } from '../http/api.ts';
import { getRollupJob, startRollupJob } from './jobs.ts';
import {
  adminGetRollupOperation,
  adminStartRollupOperation,
  getRollupOperation,
  startRollupOperation,
} from './jobs-api.ts';
import { sqsRollupQueue } from './sqs-rollup-queue.ts';

const tableName = mainTableName();
const jobs = new RollupJobsRepository(documentClient, tableName);
const stores = new StoresRepository(documentClient, tableName);
const idempotency = dynamoIdempotencyGuard(documentClient, idempotencyTableName());
const startDependencies = { jobs, queue: sqsRollupQueue(), clock: systemClock, ids: randomIds };

const accepted = (body: unknown): HttpResult => ({ status: 202, body });

async function existingStore(storeId: string): Promise<string> {
  if ((await stores.get(storeId)) === undefined) throw new NotFound(`No store "${storeId}".`);
  return storeId;
}

export const handler = httpHandler([
  storeRoute(startRollupOperation, { authenticator: stores, idempotency }, async ({ store, body }) =>
    accepted(await startRollupJob(startDependencies, { storeId: store.id, ...body })),
  ),

  storeRoute(getRollupOperation, { authenticator: stores }, async ({ store, params }) =>
    ok(await getRollupJob(startDependencies, store.id, params.rollupId)),
  ),

  adminRoute(adminStartRollupOperation, adminToken, async ({ params, body }) =>
    accepted(
      await startRollupJob(startDependencies, { storeId: await existingStore(params.storeId), ...body }),
    ),
  ),

  adminRoute(adminGetRollupOperation, adminToken, async ({ params }) =>
    ok(await getRollupJob(startDependencies, await existingStore(params.storeId), params.rollupId)),
  ),
]);
