/**
 * Sends many messages to one SQS queue with SendMessageBatch, ten to a call and the calls in
 * parallel, so a hundred messages cost about one round trip. SQS may refuse single entries of a
 * batch (throttling, an internal error); those are sent once more, and if any is still refused the
 * send fails, so that the caller's own retry (an API's 5xx, a carrier's or a consumer's redelivery)
 * sends them again: every consumer of these queues is idempotent.
 */
import {
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';

/** SQS's limit on the entries of one SendMessageBatch. */
export const maxBatchEntries = 10;

/** Sends each message as JSON; `what` names them in the error ("shipping events"). */
export function sqsBatchSender<M>(sqs: SQSClient, queueUrl: string, what: string) {
  return async (messages: readonly M[]): Promise<void> => {
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
      throw new Error(`SQS refused ${stillRefused.length} of ${messages.length} ${what} twice`, {
        cause: lastError,
      });
    }
  };
}

function chunks<T>(items: readonly T[]): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < items.length; start += maxBatchEntries) {
    result.push(items.slice(start, start + maxBatchEntries));
  }
  return result;
}
