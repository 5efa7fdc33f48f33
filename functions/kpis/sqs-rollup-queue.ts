/**
 * The `kpi-rollups` queue on SQS, batched (functions/adapters/sqs-batch-sender.ts), so a
 * year-long job is queued in about one round trip. If SQS refuses some messages twice the send
 * fails, and the caller's own retry (the API's 5xx, the consumer's redelivery) sends them again.
 * `SQS_ENDPOINT` is set only by the local stack.
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import { queueUrlEnvVar } from '../../lib/runtime-env.ts';
import { optionalEnv, requiredEnv } from '../adapters/env.ts';
import { sqsBatchSender } from '../adapters/sqs-batch-sender.ts';
import { type RollupMessage, type RollupQueue, rollupsQueueName } from './rollup-queue.ts';

export { maxBatchEntries } from '../adapters/sqs-batch-sender.ts';

/** Reads the queue URL now, so a missing variable fails the cold start by name. */
export function sqsRollupQueue(): RollupQueue {
  const queueUrl = requiredEnv(queueUrlEnvVar(rollupsQueueName));
  const endpoint = optionalEnv('SQS_ENDPOINT');
  const sqs = new SQSClient(endpoint === undefined ? {} : { endpoint });
  return { send: sqsBatchSender<RollupMessage>(sqs, queueUrl, 'rollup messages') };
}
