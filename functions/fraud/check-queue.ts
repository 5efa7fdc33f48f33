/**
 * The `fraud-checks` queue as the payment events consumer sends to it: one message per
 * authorised order, `{ storeId, orderId }`. `SQS_ENDPOINT` is set only by the local stack.
 */
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { queueUrlEnvVar } from '../../lib/runtime-env.ts';
import { optionalEnv, requiredEnv } from '../adapters/env.ts';
import type { FraudCheck, FraudCheckQueue } from '../payments/effects.ts';

export const fraudChecksQueueName = 'fraud-checks';

/** Reads the queue URL now, so a missing variable fails the cold start by name. */
export function sqsFraudCheckQueue(): FraudCheckQueue {
  const queueUrl = requiredEnv(queueUrlEnvVar(fraudChecksQueueName));
  const endpoint = optionalEnv('SQS_ENDPOINT');
  const sqs = new SQSClient(endpoint === undefined ? {} : { endpoint });
  return {
    async enqueue(check: FraudCheck) {
      const body: FraudCheck = { storeId: check.storeId, orderId: check.orderId };
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(body) }));
    },
  };
}
