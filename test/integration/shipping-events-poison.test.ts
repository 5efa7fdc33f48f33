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
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { LocalQueue } from '../../bin/local/queues.ts';
import type { TrackingEvent } from '../../functions/domain/shipping.ts';
import type { ShippingEventMessage } from '../../functions/shipping/event-message.ts';
import { functionDefinition } from '../../lib/topology.ts';
import { paidOrder } from '../domain/shipping-fixtures.ts';
import {
  countBy,
  createTestQueues,
  recordOrderWrites,
  runPoisonBatch,
  startTestSqs,
  type TestSqs,
} from '../support/fauxqs.ts';

type Handler = typeof import('../../functions/shipping/events-handler.ts')['handler'];

/** Failed records come back after one second, so three receives take a few seconds. */
const visibilityTimeoutSeconds = 1;
/** Production's shipping-events queue uses 5 (lib/topology.ts); 3 keeps this test short. */
const maxReceiveCount = 3;
/** Truncated JSON: parsing it throws on every receive, as a corrupted message would. */
const poisonBody = '{"storeId": "str_poison", "event": {"eventId": "evt_poison", ';
const WAIT = { timeout: 45_000, interval: 100 };

let handler: Handler;
let fauxqs: TestSqs;
let queue: LocalQueue;
/** The main table's keys of every order item this process wrote. */
let orderWrites: string[];

beforeAll(async () => {
  Object.assign(process.env, inject('stackEnvironment'));
  fauxqs = await startTestSqs();
  const queues = await createTestQueues(
    fauxqs.sqs,
    [{ name: 'shipping-events', maxReceiveCount, batchSize: 10 }],
    { prefix: 'poison', visibilityTimeoutSeconds },
  );
  queue = queues['shipping-events'];
  const { dynamoClient } = await import('../../functions/adapters/dynamodb.ts');
  orderWrites = recordOrderWrites(dynamoClient);
  ({ handler } = await import('../../functions/shipping/events-handler.ts'));
});

afterAll(async () => {
  await fauxqs?.stop();
});

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
    const writesBefore = orderWrites.length;

    // Act
    const run = await runPoisonBatch({
      sqs: fauxqs.sqs,
      queue,
      bodies,
      poisonBody,
      poller: {
        batchSize: 10,
        visibilityTimeoutSeconds,
        functionName: 'shippingEvents',
        timeoutSeconds: functionDefinition('shippingEvents').timeoutSeconds,
        handler: (event, context) => handler(event, context),
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
    // Redeliveries of the poison record alone fail their whole (one-record) batch: Powertools says so by throwing.
    expect(
      run.errors.every((error) => error instanceof Error && error.name === 'FullBatchFailureError'),
    ).toBe(true);
  }, 90_000);
});
