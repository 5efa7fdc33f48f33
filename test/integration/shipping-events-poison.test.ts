/**
 * The shipping events consumer (functions/shipping/events-handler.ts) on a real fauxqs queue, driven
 * by the local Lambda-like poller, against the running stack's DynamoDB Local: one poison record in
 * a batch of ten must not hold back the nine good ones, and must end in the dead-letter queue.
 *
 * Nine paid orders, each with a shipment, are written through the shipment creation use case on
 * the table; each good record is a tracking event of one of them. "Applied exactly once" is
 * counted at the effect: one write of each order.
 */
import { randomUUID } from 'node:crypto';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import {
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { createQueues, type LocalQueue } from '../../bin/local/queues.ts';
import { type SqsEmulator, startSqsEmulator } from '../../bin/local/sqs-emulator.ts';
import { startSqsPoller } from '../../bin/local/sqs-poller.ts';
import type { TrackingEvent } from '../../functions/domain/shipping.ts';
import type { ShippingEventMessage } from '../../functions/shipping/event-message.ts';
import { functionDefinition } from '../../lib/topology.ts';
import { paidOrder } from '../domain/shipping-fixtures.ts';

type Handler = typeof import('../../functions/shipping/events-handler.ts')['handler'];

/** Failed records come back after one second, so three receives take a few seconds. */
const visibilityTimeoutSeconds = 1;
/** Production's shipping-events queue uses 5 (lib/topology.ts); 3 keeps this test short. */
const maxReceiveCount = 3;
/** Truncated JSON: parsing it throws on every receive, as a corrupted message would. */
const poisonBody = '{"storeId": "str_poison", "event": {"eventId": "evt_poison", ';
const WAIT = { timeout: 45_000, interval: 100 };

let handler: Handler;
let emulator: SqsEmulator;
let sqs: SQSClient;
let queue: LocalQueue;
/** The main table's keys of every order item this process wrote. */
const orderWrites: string[] = [];

beforeAll(async () => {
  Object.assign(process.env, inject('stackEnvironment'));
  emulator = await startSqsEmulator();
  sqs = new SQSClient({
    endpoint: emulator.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const created = await createQueues(
    sqs,
    [{ name: 'shipping-events', maxReceiveCount, batchSize: 10 }],
    `poison${randomUUID().slice(0, 8)}-`,
    { visibilityTimeoutSeconds },
  );
  const shippingEvents = created['shipping-events'];
  if (shippingEvents === undefined) throw new Error('createQueues missed the queue');
  queue = shippingEvents;
  const { dynamoClient } = await import('../../functions/adapters/dynamodb.ts');
  dynamoClient.middlewareStack.add(
    (next, context) => async (args) => {
      const { input } = args;
      if (context.commandName === 'PutItemCommand' && 'Item' in input) recordOrderWrite(input.Item);
      if (context.commandName === 'TransactWriteItemsCommand' && 'TransactItems' in input) {
        for (const item of input.TransactItems ?? []) {
          if ('Put' in item) recordOrderWrite(item.Put?.Item);
        }
      }
      return next(args);
    },
    // At `build` the document client has marshalled the items into attribute values.
    { step: 'build', name: 'recordOrderWrites' },
  );
  ({ handler } = await import('../../functions/shipping/events-handler.ts'));
});

afterAll(async () => {
  sqs?.destroy();
  await emulator?.stop();
});

function recordOrderWrite(item: Record<string, AttributeValue> | undefined): void {
  const pk = item?.pk?.S;
  if (item?.sk?.S === '#ORDER' && pk !== undefined) orderWrites.push(pk);
}

/** Nine paid orders of one store, each with a shipment under its own tracking number. */
async function shippedOrders(storeId: string) {
  const { documentClient, mainTableName } = await import('../../functions/adapters/dynamodb.ts');
  const { orderItem } = await import('../../functions/adapters/order-items.ts');
  const { ShipmentsRepository } = await import('../../functions/adapters/shipments-repository.ts');
  const { createShipment } = await import('../../functions/shipping/create-shipment.ts');
  const shipments = new ShipmentsRepository(documentClient, mainTableName());
  const now = new Date();
  return Promise.all(
    Array.from({ length: 9 }, async (_, index) => {
      const order = { ...paidOrder(), id: `ord_poison${index}` };
      await documentClient.send(
        new PutCommand({ TableName: mainTableName(), Item: orderItem(storeId, order, 1) }),
      );
      const shipment = await createShipment(
        { shipments, clock: { now: () => now }, ids: { next: (prefix) => `${prefix}poison${index}` } },
        { storeId, orderId: order.id, body: { carrier: 'ups', trackingNumber: `1ZPOISON${index}` } },
      );
      return { order, shipment };
    }),
  );
}

async function queueDepth(queueUrl: string): Promise<{ visible: number; inFlight: number }> {
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

function countBy<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

describe('shipping events consumer on fauxqs', () => {
  it('applies the 9 good records of a batch of 10 exactly once and dead-letters the poison one after maxReceiveCount', async () => {
    // Prepare
    const storeId = `str_poison${randomUUID().replaceAll('-', '').slice(0, 12)}`;
    const shipped = await shippedOrders(storeId);
    const events: TrackingEvent[] = shipped.map(({ shipment }) => ({
      eventId: `evt_${randomUUID()}`,
      carrier: 'ups',
      trackingNumber: shipment.trackingNumber,
      status: 'out_for_delivery',
      occurredAt: new Date().toISOString(),
    }));
    const bodies = events.map((event) =>
      JSON.stringify({ storeId, event, receivedAt: new Date().toISOString() } satisfies ShippingEventMessage),
    );
    // The poison record sits in the middle of the batch: it must not fail its neighbours.
    bodies.splice(4, 0, poisonBody);
    const sent = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queue.url,
        Entries: bodies.map((body, index) => ({ Id: String(index), MessageBody: body })),
      }),
    );
    expect(sent.Failed ?? []).toEqual([]);
    const seen: SQSRecord[] = [];
    const errors: unknown[] = [];
    const writesBefore = orderWrites.length;

    // Act
    const poller = startSqsPoller({
      client: sqs,
      queueUrl: queue.url,
      queueArn: queue.arn,
      batchSize: 10,
      visibilityTimeoutSeconds,
      functionName: 'shippingEvents',
      timeoutSeconds: functionDefinition('shippingEvents').timeoutSeconds,
      onError: (error) => errors.push(error),
      handler: async (event, context) => {
        seen.push(...event.Records);
        return handler(event, context);
      },
    });
    try {
      await vi.waitFor(async () => expect((await queueDepth(queue.dlqUrl)).visible).toBe(1), WAIT);
    } finally {
      await poller.stop();
    }

    // Assess
    expect(countBy(seen, (record) => record.body)).toEqual(
      Object.fromEntries(bodies.map((body) => [body, body === poisonBody ? maxReceiveCount : 1])),
    );
    expect(
      seen
        .filter((record) => record.body === poisonBody)
        .map((record) => record.attributes.ApproximateReceiveCount),
    ).toEqual(['1', '2', '3']);
    // One write of each order, none for the poison record.
    expect(countBy(orderWrites.slice(writesBefore), (pk) => pk)).toEqual(
      Object.fromEntries(shipped.map(({ order }) => [`STORE#${storeId}#ORDER#${order.id}`, 1])),
    );
    const { documentClient, mainTableName } = await import('../../functions/adapters/dynamodb.ts');
    const { TrackingRepository } = await import('../../functions/adapters/tracking-repository.ts');
    const tracking = new TrackingRepository(documentClient, mainTableName());
    for (const [index, { order, shipment }] of shipped.entries()) {
      const stored = await tracking.order(storeId, order.id);
      expect(stored?.version).toBe(3);
      expect(stored?.order.shipments.find((candidate) => candidate.id === shipment.id)).toMatchObject({
        status: 'out_for_delivery',
        events: [events[index]],
      });
    }
    expect(await queueDepth(queue.url)).toEqual({ visible: 0, inFlight: 0 });
    const deadLetters = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queue.dlqUrl }));
    expect(deadLetters.Messages?.map((message) => message.Body)).toEqual([poisonBody]);
    // Redeliveries of the poison record alone fail their whole (one-record) batch: Powertools says so by throwing.
    expect(errors.every((error) => error instanceof Error && error.name === 'FullBatchFailureError')).toBe(
      true,
    );
  }, 90_000);
});
