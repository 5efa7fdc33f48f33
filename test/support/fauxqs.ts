/**
 * A test file's own fauxqs, and the poison test the consumers and the local poller share: a batch
 * with one poison record sent to a queue of its own, the handler run by the Lambda-like poller
 * (bin/local/sqs-poller.ts) until that record reaches the dead-letter queue, and what is then left
 * where, for the test to assert on. The queues are private to the test, so that the stack's own
 * consumers never take its messages.
 */
import { randomUUID } from 'node:crypto';
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  GetQueueAttributesCommand,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { vi } from 'vitest';
import { createQueues, type LocalQueue } from '../../bin/local/queues.ts';
import { startSqsEmulator } from '../../bin/local/sqs-emulator.ts';
import { type SqsPollerOptions, startSqsPoller } from '../../bin/local/sqs-poller.ts';
import type { QueueDefinition } from '../../lib/topology.ts';

export interface TestSqs {
  /** The emulator's `http://127.0.0.1:<port>`, for code that builds its own client. */
  readonly endpoint: string;
  readonly sqs: SQSClient;
  stop(): Promise<void>;
}

/** A fauxqs on a free port and a client on it; `stop()` in `afterAll`. */
export async function startTestSqs(): Promise<TestSqs> {
  const emulator = await startSqsEmulator();
  const sqs = new SQSClient({
    endpoint: emulator.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  return {
    endpoint: emulator.endpoint,
    sqs,
    stop: async () => {
      sqs.destroy();
      await emulator.stop();
    },
  };
}

/**
 * Each queue with its dead-letter queue, named `<prefix><8 random hex>-<name>` so that runs never
 * share one. A small visibility timeout makes a failed record come back quickly.
 */
export async function createTestQueues<const Name extends string>(
  sqs: SQSClient,
  definitions: readonly (QueueDefinition & { readonly name: Name })[],
  options: { prefix: string; visibilityTimeoutSeconds: number },
): Promise<Record<Name, LocalQueue>> {
  const created = await createQueues(sqs, definitions, `${options.prefix}${randomUUID().slice(0, 8)}-`, {
    visibilityTimeoutSeconds: options.visibilityTimeoutSeconds,
  });
  const queues: Partial<Record<Name, LocalQueue>> = {};
  for (const { name } of definitions) {
    const queue = created[name];
    if (queue === undefined) throw new Error(`createQueues missed ${name}`);
    queues[name] = queue;
  }
  return queues as Record<Name, LocalQueue>;
}

/** Sends `bodies` as one batch (at most 10), each with `attributes`; throws if SQS refuses any. */
export async function sendBatch(
  sqs: SQSClient,
  queueUrl: string,
  bodies: readonly string[],
  attributes?: Record<string, MessageAttributeValue>,
): Promise<void> {
  const { Failed = [] } = await sqs.send(
    new SendMessageBatchCommand({
      QueueUrl: queueUrl,
      Entries: bodies.map((body, index) => ({
        Id: String(index),
        MessageBody: body,
        ...(attributes === undefined ? {} : { MessageAttributes: attributes }),
      })),
    }),
  );
  if (Failed.length > 0) throw new Error(`SQS refused ${JSON.stringify(Failed)}`);
}

export async function queueDepth(
  sqs: SQSClient,
  queueUrl: string,
): Promise<{ visible: number; inFlight: number }> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return {
    visible: Number(Attributes?.ApproximateNumberOfMessages),
    inFlight: Number(Attributes?.ApproximateNumberOfMessagesNotVisible),
  };
}

export function countBy<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

export interface PoisonBatch {
  readonly sqs: SQSClient;
  readonly queue: LocalQueue;
  /** The batch, the poison record among the good ones. */
  readonly bodies: readonly string[];
  readonly poisonBody: string;
  readonly attributes?: Record<string, MessageAttributeValue>;
  /** How the poller runs the handler (the queue and the error sink are this helper's). */
  readonly poller: Omit<SqsPollerOptions, 'client' | 'queueUrl' | 'queueArn' | 'onError'>;
  /** How long the poison record gets to reach the dead-letter queue. */
  readonly wait: { readonly timeout: number; readonly interval: number };
}

export interface PoisonRun {
  /** Every record the handler was given, redeliveries included. */
  readonly seen: readonly SQSRecord[];
  /** Everything the poller reported: handler, receive and delete errors. */
  readonly errors: readonly unknown[];
  /** How many times the handler was given each body. */
  readonly receives: Record<string, number>;
  /** `ApproximateReceiveCount` of each delivery of the poison record, in order. */
  readonly poisonReceiveCounts: readonly string[];
  /** The queue once the poller has stopped. */
  readonly remaining: { visible: number; inFlight: number };
  /** The bodies in the dead-letter queue. */
  readonly deadLetters: readonly string[];
}

/**
 * Sends the batch, runs the poller until the dead-letter queue holds one message, stops it, and
 * reports what the handler saw and what is left in both queues.
 */
export async function runPoisonBatch(batch: PoisonBatch): Promise<PoisonRun> {
  const { sqs, queue, poller: options } = batch;
  await sendBatch(sqs, queue.url, batch.bodies, batch.attributes);
  const seen: SQSRecord[] = [];
  const errors: unknown[] = [];
  const poller = startSqsPoller({
    ...options,
    client: sqs,
    queueUrl: queue.url,
    queueArn: queue.arn,
    onError: (error) => errors.push(error),
    handler: async (event, context) => {
      seen.push(...event.Records);
      return options.handler(event, context);
    },
  });
  try {
    await vi.waitFor(async () => {
      const depth = await queueDepth(sqs, queue.dlqUrl);
      if (depth.visible !== 1) throw new Error(`dead-letter queue: ${JSON.stringify(depth)}`);
    }, batch.wait);
  } finally {
    await poller.stop();
  }
  const deadLetters = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queue.dlqUrl }));
  return {
    seen,
    errors,
    receives: countBy(seen, (record) => record.body),
    poisonReceiveCounts: seen
      .filter((record) => record.body === batch.poisonBody)
      .map((record) => record.attributes.ApproximateReceiveCount),
    remaining: await queueDepth(sqs, queue.url),
    deadLetters: deadLetters.Messages?.map((message) => message.Body ?? '') ?? [],
  };
}

/**
 * The main table's `pk` of every order item `client` writes from now on, whether by Put or by a
 * Put inside a transaction: "applied exactly once" counted at the effect.
 */
export function recordOrderWrites(client: DynamoDBClient): string[] {
  const writes: string[] = [];
  const record = (item: Record<string, AttributeValue> | undefined) => {
    const pk = item?.pk?.S;
    if (item?.sk?.S === '#ORDER' && pk !== undefined) writes.push(pk);
  };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const { input } = args;
      if (context.commandName === 'PutItemCommand' && 'Item' in input) record(input.Item);
      if (context.commandName === 'TransactWriteItemsCommand' && 'TransactItems' in input) {
        for (const item of input.TransactItems ?? []) {
          if ('Put' in item) record(item.Put?.Item);
        }
      }
      return next(args);
    },
    // At `build` the document client has marshalled the items into attribute values.
    { step: 'build', name: 'recordOrderWrites' },
  );
  return writes;
}
