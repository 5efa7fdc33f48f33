/**
 * The `shipping-events` queue as the receiver sends to it: one message per tracking event, batched
 * (functions/adapters/sqs-batch-sender.ts). If SQS refuses some events twice the whole delivery
 * fails (500), so the carrier retries it: events sent twice are applied once, by `eventId`.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import { sqsBatchSender } from '../adapters/sqs-batch-sender.ts';
import type { ShippingEventMessage } from './event-message.ts';

export { maxBatchEntries } from '../adapters/sqs-batch-sender.ts';

export function sqsShippingEventsQueue(sqs: SQSClient, queueUrl: string) {
  return { enqueue: sqsBatchSender<ShippingEventMessage>(sqs, queueUrl, 'shipping events') };
}
