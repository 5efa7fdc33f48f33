/**
 * The `shipping-events` queue as the receiver sends to it: one message per tracking event, sent
 * with SendMessageBatch, ten to a call and the calls in parallel, so a delivery of 100 events
 * costs about one round trip. SQS may refuse single entries of a batch (throttling, an internal
 * error); those are sent once more, and if any is still refused the whole delivery fails (500),
 * so the carrier retries it: events sent twice are applied once, by `eventId`.
 */
import {
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { ShippingEventMessage } from './event-message.ts';

/** SQS's limit on the entries of one SendMessageBatch. */
export const maxBatchEntries = 10;

export function sqsShippingEventsQueue(sqs: SQSClient, queueUrl: string) {
  return {
    async enqueue(messages: readonly ShippingEventMessage[]): Promise<void> {
      let lastError: unknown;
      /** The entries SQS did not take. */
      const send = async (entries: readonly SendMessageBatchRequestEntry[]) => {
        try {
          const { Failed = [] } = await sqs.send(
            new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: [...entries] }),
          );
          const failed = new Set(Failed.map((failure) => failure.Id));
          return entries.filter((entry) => failed.has(entry.Id));
        } catch (error) {
          // The SDK has retried the call itself; its entries get one more try, like refused ones.
          lastError = error;
          return entries;
        }
      };
      const entries = messages.map(
        (message, index): SendMessageBatchRequestEntry => ({
          Id: String(index),
          MessageBody: JSON.stringify(message),
        }),
      );
      const refused = (await Promise.all(chunks(entries).map(send))).flat();
      if (refused.length === 0) return;
      const stillRefused = (await Promise.all(chunks(refused).map(send))).flat();
      if (stillRefused.length > 0) {
        throw new Error(`SQS refused ${stillRefused.length} of ${messages.length} shipping events twice`, {
          cause: lastError,
        });
      }
    },
  };
}

function chunks<T>(items: readonly T[]): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < items.length; start += maxBatchEntries) {
    result.push(items.slice(start, start + maxBatchEntries));
  }
  return result;
}
