import { createHash } from 'node:crypto';
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LocalQueue } from '../../bin/local/queues.ts';
import { startSqsPoller } from '../../bin/local/sqs-poller.ts';
import type { QueueDefinition } from '../../lib/topology.ts';
import {
  countBy,
  createTestQueues,
  queueDepth,
  runPoisonBatch,
  sendBatch,
  startTestSqs,
  type TestSqs,
} from '../support/fauxqs.ts';

/** Failed messages come back after one second, which keeps the redrive tests short. */
const VISIBILITY_TIMEOUT_SECONDS = 1;
const WAIT = { timeout: 30_000, interval: 100 };

let fauxqs: TestSqs;
let client: SQSClient;
/** Receipt handles in every DeleteMessage(Batch) request the client sent. */
const deletedReceiptHandles: string[] = [];

beforeAll(async () => {
  fauxqs = await startTestSqs();
  client = fauxqs.sqs;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const { input } = args;
      if (context.commandName === 'DeleteMessageBatchCommand' && 'Entries' in input) {
        for (const entry of input.Entries ?? []) {
          if ('ReceiptHandle' in entry && entry.ReceiptHandle !== undefined) {
            deletedReceiptHandles.push(entry.ReceiptHandle);
          }
        }
      }
      if (context.commandName === 'DeleteMessageCommand' && 'ReceiptHandle' in input && input.ReceiptHandle) {
        deletedReceiptHandles.push(input.ReceiptHandle);
      }
      return next(args);
    },
    { step: 'initialize', name: 'recordDeletes' },
  );
});

afterAll(async () => {
  await fauxqs?.stop();
});

async function createQueue(definition: Omit<QueueDefinition, 'name'>): Promise<LocalQueue> {
  const { orders } = await createTestQueues(client, [{ name: 'orders', ...definition }], {
    prefix: 't',
    visibilityTimeoutSeconds: VISIBILITY_TIMEOUT_SECONDS,
  });
  return orders;
}

const attributes = {
  kind: { DataType: 'String', StringValue: 'order.paid' },
  checksum: { DataType: 'Binary', BinaryValue: Buffer.from([1, 2, 3]) },
};

const sendBodies = (queueUrl: string, bodies: readonly string[]) =>
  sendBatch(client, queueUrl, bodies, attributes);

describe('createQueues', () => {
  it('gives each queue a dead-letter queue, its maxReceiveCount and the visibility timeout', async () => {
    const queue = await createQueue({ maxReceiveCount: 4, batchSize: 10 });

    const { Attributes } = await client.send(
      new GetQueueAttributesCommand({ QueueUrl: queue.url, AttributeNames: ['All'] }),
    );

    expect(queue.arn).toMatch(/^arn:aws:sqs:us-east-1:\d{12}:t[0-9a-f]{8}-orders$/);
    expect(queue.dlqArn).toBe(`${queue.arn}-dlq`);
    expect(queue.dlqUrl).toMatch(/-orders-dlq$/);
    expect(Attributes?.VisibilityTimeout).toBe(String(VISIBILITY_TIMEOUT_SECONDS));
    expect(JSON.parse(Attributes?.RedrivePolicy ?? '{}')).toEqual({
      deadLetterTargetArn: queue.dlqArn,
      maxReceiveCount: 4,
    });
  });
});

describe('startSqsPoller', () => {
  it('deletes the messages that succeeded exactly once and sends the reported failure to the DLQ after maxReceiveCount', async () => {
    // Prepare
    const maxReceiveCount = 3;
    const queue = await createQueue({ maxReceiveCount, batchSize: 10 });
    const bodies = Array.from({ length: 10 }, (_, index) =>
      JSON.stringify({ orderId: `order-${index}`, poison: index === 4 }),
    );
    const poisonBody = JSON.stringify({ orderId: 'order-4', poison: true });
    const requestIds: string[] = [];
    const deletesBefore = deletedReceiptHandles.length;

    // Act
    const run = await runPoisonBatch({
      sqs: client,
      queue,
      bodies,
      poisonBody,
      attributes,
      poller: {
        batchSize: 10,
        visibilityTimeoutSeconds: VISIBILITY_TIMEOUT_SECONDS,
        functionName: 'fulfilment',
        handler: async (event, context) => {
          requestIds.push(context.awsRequestId);
          expect(context.functionName).toBe('fulfilment');
          expect(context.getRemainingTimeInMillis()).toBeGreaterThan(0);
          return {
            batchItemFailures: event.Records.filter((record) => record.body === poisonBody).map((record) => ({
              itemIdentifier: record.messageId,
            })),
          };
        },
      },
      wait: WAIT,
    });

    // Assess
    expect(run).toMatchObject({
      receives: Object.fromEntries(bodies.map((body) => [body, body === poisonBody ? maxReceiveCount : 1])),
      poisonReceiveCounts: ['1', '2', '3'],
      remaining: { visible: 0, inFlight: 0 },
      deadLetters: [poisonBody],
    });
    const bodyByReceiptHandle = new Map(run.seen.map((record) => [record.receiptHandle, record.body]));
    const deletedPerBody = countBy(
      deletedReceiptHandles.slice(deletesBefore),
      (handle) => bodyByReceiptHandle.get(handle) ?? 'unknown receipt handle',
    );
    expect(deletedPerBody).toEqual(
      Object.fromEntries(bodies.filter((body) => body !== poisonBody).map((body) => [body, 1])),
    );
    expect(new Set(requestIds).size).toBe(requestIds.length);
    expect(run.errors).toEqual([]);
  }, 60_000);

  it('builds records exactly as the Lambda SQS event source does', async () => {
    // Prepare
    const queue = await createQueue({ maxReceiveCount: 3, batchSize: 1 });
    const body = JSON.stringify({ orderId: 'order-42' });
    await sendBodies(queue.url, [body]);
    const seen: SQSRecord[] = [];

    // Act
    const poller = startSqsPoller({
      client,
      queueUrl: queue.url,
      queueArn: queue.arn,
      batchSize: 1,
      visibilityTimeoutSeconds: VISIBILITY_TIMEOUT_SECONDS,
      handler: async (event) => {
        seen.push(...event.Records);
      },
    });
    await vi.waitFor(() => expect(seen).toHaveLength(1), WAIT);
    await poller.stop();

    // Assess
    expect(seen[0]).toEqual({
      messageId: expect.any(String),
      receiptHandle: expect.any(String),
      body,
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: expect.stringMatching(/^\d{13}$/),
        SenderId: expect.stringMatching(/^\S+$/),
        ApproximateFirstReceiveTimestamp: expect.stringMatching(/^\d{13}$/),
      },
      messageAttributes: {
        kind: { stringValue: 'order.paid', stringListValues: [], binaryListValues: [], dataType: 'String' },
        checksum: {
          binaryValue: Buffer.from([1, 2, 3]).toString('base64'),
          stringListValues: [],
          binaryListValues: [],
          dataType: 'Binary',
        },
      },
      md5OfBody: createHash('md5').update(body).digest('hex'),
      md5OfMessageAttributes: expect.stringMatching(/^[0-9a-f]{32}$/),
      eventSource: 'aws:sqs',
      eventSourceARN: queue.arn,
      awsRegion: 'us-east-1',
    });
    await vi.waitFor(
      async () => expect(await queueDepth(client, queue.url)).toEqual({ visible: 0, inFlight: 0 }),
      WAIT,
    );
  }, 60_000);

  it('leaves every message of a batch whose handler throws, so all of them come back', async () => {
    // Prepare
    const queue = await createQueue({ maxReceiveCount: 10, batchSize: 10 });
    const bodies = ['a', 'b', 'c'].map((letter) => JSON.stringify({ orderId: letter }));
    await sendBodies(queue.url, bodies);
    const failure = new Error('downstream unavailable');
    const seen: SQSRecord[] = [];
    const errors: unknown[] = [];
    const deletesBefore = deletedReceiptHandles.length;

    // Act
    const poller = startSqsPoller({
      client,
      queueUrl: queue.url,
      queueArn: queue.arn,
      batchSize: 10,
      visibilityTimeoutSeconds: VISIBILITY_TIMEOUT_SECONDS,
      onError: (error) => errors.push(error),
      handler: async (event) => {
        seen.push(...event.Records);
        throw failure;
      },
    });
    await vi.waitFor(() => {
      const redelivered = seen.filter((record) => record.attributes.ApproximateReceiveCount === '2');
      expect(new Set(redelivered.map((record) => record.body))).toEqual(new Set(bodies));
    }, WAIT);
    await poller.stop();

    // Assess
    expect(deletedReceiptHandles.length).toBe(deletesBefore);
    expect(errors.length).toBeGreaterThanOrEqual(2);
    expect(errors.every((error) => error === failure)).toBe(true);
    const counts = await queueDepth(client, queue.url);
    expect(counts.visible + counts.inFlight).toBe(bodies.length);
    expect((await queueDepth(client, queue.dlqUrl)).visible).toBe(0);
  }, 60_000);

  it('fails the whole batch when batchItemFailures names a message that is not in it', async () => {
    // Prepare
    const queue = await createQueue({ maxReceiveCount: 10, batchSize: 10 });
    const bodies = ['x', 'y'].map((letter) => JSON.stringify({ orderId: letter }));
    await sendBodies(queue.url, bodies);
    const invocations: SQSRecord[][] = [];
    const errors: unknown[] = [];

    // Act
    const poller = startSqsPoller({
      client,
      queueUrl: queue.url,
      queueArn: queue.arn,
      batchSize: 10,
      visibilityTimeoutSeconds: VISIBILITY_TIMEOUT_SECONDS,
      onError: (error) => errors.push(error),
      handler: async (event) => {
        invocations.push(event.Records);
        return invocations.length === 1
          ? { batchItemFailures: [{ itemIdentifier: 'not-in-this-batch' }] }
          : undefined;
      },
    });
    await vi.waitFor(async () => {
      expect(invocations.length).toBeGreaterThanOrEqual(2);
      expect(await queueDepth(client, queue.url)).toEqual({ visible: 0, inFlight: 0 });
    }, WAIT);
    await poller.stop();

    // Assess
    const [firstBatch = [], ...laterBatches] = invocations;
    const redelivered = laterBatches
      .flat()
      .filter((record) => record.attributes.ApproximateReceiveCount === '2')
      .map((record) => record.body);
    expect(firstBatch.length).toBeGreaterThan(0);
    expect(redelivered).toEqual(expect.arrayContaining(firstBatch.map((record) => record.body)));
    expect(new Set(invocations.flat().map((record) => record.body))).toEqual(new Set(bodies));
    expect(errors).toEqual([
      expect.objectContaining({ message: expect.stringMatching(/batchItemFailures/) }),
    ]);
  }, 60_000);
});
