/**
 * The shipping events consumer's use case (`applyTrackingEvent`) on the running stack's DynamoDB
 * Local, beside the shipment creation it races with (`createShipment`), with fixed clocks: what an
 * early event's item holds, that one kept more than 7 days before its shipment appears is not
 * applied, and that events kept while the shipment is being created all end on the shipment.
 *
 * Paid orders are written straight to the table (the shipping fixture's order, under a store of
 * the test's own), so no payment is involved.
 */
import { randomUUID } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import type { ShipmentsRepository as ShipmentsRepositoryType } from '../../functions/adapters/shipments-repository.ts';
import type { TrackingRepository as TrackingRepositoryType } from '../../functions/adapters/tracking-repository.ts';
import type { Order } from '../../functions/domain/order.ts';
import type { Shipment, TrackingEvent } from '../../functions/domain/shipping.ts';
import type {
  ApplyOutcome,
  applyTrackingEvent as ApplyTrackingEvent,
  TrackingEvents,
} from '../../functions/shipping/apply-tracking-event.ts';
import type {
  createShipment as CreateShipment,
  Shipments,
} from '../../functions/shipping/create-shipment.ts';
import { paidOrder } from '../domain/shipping-fixtures.ts';

let client: DynamoDBDocumentClient;
let tableName: string;
let tracking: TrackingRepositoryType;
let shipments: ShipmentsRepositoryType;
let applyTrackingEvent: typeof ApplyTrackingEvent;
let createShipment: typeof CreateShipment;
let keys: typeof import('../../functions/adapters/shipping-keys.ts');
let orderItems: typeof import('../../functions/adapters/order-items.ts');

beforeAll(async () => {
  Object.assign(process.env, inject('stackEnvironment'));
  const dynamodb = await import('../../functions/adapters/dynamodb.ts');
  client = dynamodb.documentClient;
  tableName = dynamodb.mainTableName();
  const { TrackingRepository } = await import('../../functions/adapters/tracking-repository.ts');
  const { ShipmentsRepository } = await import('../../functions/adapters/shipments-repository.ts');
  tracking = new TrackingRepository(client, tableName);
  shipments = new ShipmentsRepository(client, tableName);
  ({ applyTrackingEvent } = await import('../../functions/shipping/apply-tracking-event.ts'));
  ({ createShipment } = await import('../../functions/shipping/create-shipment.ts'));
  keys = await import('../../functions/adapters/shipping-keys.ts');
  orderItems = await import('../../functions/adapters/order-items.ts');
});

const receivedAt = '2026-11-28T12:00:00.000Z';
const days = (count: number) => count * 86_400_000;
const later = (from: string, ms: number) => new Date(Date.parse(from) + ms);
let sequence = 0;

/** A paid order of a store of its own, on the table at version 1. */
async function seededOrder(): Promise<{ storeId: string; order: Order }> {
  const storeId = `str_it${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  const order = { ...paidOrder(), id: `ord_it${++sequence}` };
  await client.send(new PutCommand({ TableName: tableName, Item: orderItems.orderItem(storeId, order, 1) }));
  return { storeId, order };
}

function event(trackingNumber: string, overrides: Partial<TrackingEvent> = {}): TrackingEvent {
  return {
    eventId: `evt_${randomUUID()}`,
    carrier: 'ups',
    trackingNumber,
    status: 'in_transit',
    occurredAt: '2026-11-28T11:30:00.000Z',
    ...overrides,
  };
}

const ids = { next: (prefix: string) => `${prefix}${randomUUID().replaceAll('-', '').slice(0, 20)}` };

function ship(
  storeId: string,
  orderId: string,
  trackingNumber: string,
  now: Date,
  port: Shipments = shipments,
): Promise<Shipment> {
  return createShipment(
    { shipments: port, clock: { now: () => now }, ids },
    { storeId, orderId, body: { carrier: 'ups', trackingNumber } },
  );
}

async function storedOrder(storeId: string, orderId: string) {
  const { Item } = await client.send(
    new GetCommand({
      TableName: tableName,
      Key: orderItems.orderKey(storeId, orderId),
      ConsistentRead: true,
    }),
  );
  if (Item === undefined) throw new Error(`order ${orderId} missing`);
  return orderItems.storedOrder(Item);
}

async function item(key: { pk: string; sk: string }) {
  const { Item } = await client.send(
    new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }),
  );
  return Item;
}

describe('an event for a tracking number no shipment has', () => {
  it('is kept once with its receivedAt and a TTL of receivedAt + 8 days, and counted on the head once', async () => {
    const { storeId } = await seededOrder();
    const early = event('1ZKEPT');
    expect(await applyTrackingEvent({ tracking }, { storeId, event: early, receivedAt })).toBe('kept');
    expect(
      await applyTrackingEvent(
        { tracking },
        { storeId, event: early, receivedAt: later(receivedAt, 5_000).toISOString() },
      ),
    ).toBe('already_kept');

    expect(await item(keys.earlyEventKey(storeId, 'ups', '1ZKEPT', early.eventId))).toEqual({
      ...keys.earlyEventKey(storeId, 'ups', '1ZKEPT', early.eventId),
      entity: 'earlyTrackingEvent',
      storeId,
      event: early,
      receivedAt,
      ttl: Date.parse('2026-12-06T12:00:00.000Z') / 1000,
    });
    expect(await item(keys.trackingHeadKey(storeId, 'ups', '1ZKEPT'))).toEqual({
      ...keys.trackingHeadKey(storeId, 'ups', '1ZKEPT'),
      entity: 'trackingHead',
      storeId,
      carrier: 'ups',
      trackingNumber: '1ZKEPT',
      earlyEvents: 1,
    });
  });

  it('is applied when its shipment appears within 7 days of its receipt', async () => {
    const { storeId, order } = await seededOrder();
    const early = event('1ZINTIME');
    await applyTrackingEvent({ tracking }, { storeId, event: early, receivedAt });
    const shipment = await ship(storeId, order.id, '1ZINTIME', later(receivedAt, days(7)));
    expect(shipment.events).toEqual([early]);
    expect(shipment.status).toBe('in_transit');
  });

  it('is not applied when its shipment appears more than 7 days after its receipt', async () => {
    const { storeId, order } = await seededOrder();
    const stale = event('1ZSTALE');
    await applyTrackingEvent({ tracking }, { storeId, event: stale, receivedAt });
    const shipment = await ship(storeId, order.id, '1ZSTALE', later(receivedAt, days(7) + 1));
    expect(shipment.events).toEqual([]);
    expect(shipment.status).toBe('label_created');

    // Events that come once the shipment exists are applied to it directly, and once.
    const fresh = event('1ZSTALE', { status: 'delivered', occurredAt: '2026-12-06T09:00:00.000Z' });
    expect(await applyTrackingEvent({ tracking }, { storeId, event: fresh, receivedAt })).toBe('applied');
    expect(await applyTrackingEvent({ tracking }, { storeId, event: fresh, receivedAt })).toBe('unchanged');
    const stored = await storedOrder(storeId, order.id);
    expect(stored.version).toBe(3);
    expect(stored.order.shipments[0]?.events).toEqual([fresh]);
    expect(stored.order.fulfilmentStatus).toBe('delivered');
  });
});

describe('events kept while the shipment is being created', () => {
  /** As SQS would: a message whose processing threw is delivered again. */
  async function consume(
    message: Parameters<typeof ApplyTrackingEvent>[1],
    port: TrackingEvents = tracking,
  ): Promise<ApplyOutcome> {
    for (let delivery = 1; ; delivery++) {
      try {
        return await applyTrackingEvent({ tracking: port }, message);
      } catch (error) {
        if (delivery >= 5) throw error;
      }
    }
  }

  it('an event kept between the creation’s read and its write makes the write fail, and the retry takes it', async () => {
    const { storeId, order } = await seededOrder();
    const early = event('1ZBETWEEN');
    const outcomes: ApplyOutcome[] = [];
    let reads = 0;
    const racing: Shipments = {
      getOrder: (...args) => shipments.getOrder(...args),
      readTracking: async (...args) => {
        const state = await shipments.readTracking(...args);
        if (++reads === 1) outcomes.push(await consume({ storeId, event: early, receivedAt }));
        return state;
      },
      create: (write) => shipments.create(write),
      orderIdOf: (...args) => shipments.orderIdOf(...args),
    };
    const shipment = await ship(storeId, order.id, '1ZBETWEEN', later(receivedAt, 60_000), racing);
    expect(outcomes).toEqual(['kept']);
    expect(reads).toBe(2);
    expect(shipment.events).toEqual([early]);
  });

  it('an event that read the head before the creation and keeps after it is applied to the new shipment', async () => {
    const { storeId, order } = await seededOrder();
    const late = event('1ZAFTER');
    let created: Shipment | undefined;
    const racing: TrackingEvents = {
      head: async (...args) => {
        const head = await tracking.head(...args);
        // The shipment is created after this read, before the keep that follows it.
        created ??= await ship(storeId, order.id, '1ZAFTER', later(receivedAt, 60_000));
        return head;
      },
      order: (...args) => tracking.order(...args),
      saveOrder: (...args) => tracking.saveOrder(...args),
      keepEarlyEvent: (...args) => tracking.keepEarlyEvent(...args),
    };
    expect(await applyTrackingEvent({ tracking: racing }, { storeId, event: late, receivedAt })).toBe(
      'applied',
    );
    expect(created?.events).toEqual([]);
    const final = (await storedOrder(storeId, order.id)).order.shipments[0];
    expect(final?.events).toEqual([late]);
    expect(await item(keys.earlyEventKey(storeId, 'ups', '1ZAFTER', late.eventId))).toBeUndefined();
  });

  /** The tracking port, with a promise settled once its first head read has returned. */
  function signallingHeadReads(): { port: TrackingEvents; headRead: Promise<void> } {
    let signal = () => {};
    const headRead = new Promise<void>((resolve) => {
      signal = resolve;
    });
    const port: TrackingEvents = {
      head: async (...args) => {
        const head = await tracking.head(...args);
        signal();
        return head;
      },
      order: (...args) => tracking.order(...args),
      saveOrder: (...args) => tracking.saveOrder(...args),
      keepEarlyEvent: (...args) => tracking.keepEarlyEvent(...args),
    };
    return { port, headRead };
  }

  it.each([0, 5, 10, 19])(
    'all end on the shipment: 20 concurrent events, the creation started after %i of them',
    async (startedBefore) => {
      const { storeId, order } = await seededOrder();
      const number = `1ZRACE${startedBefore}`;
      const events = Array.from({ length: 20 }, (_, index) =>
        event(number, {
          occurredAt: new Date(Date.parse('2026-11-28T11:00:00.000Z') + index * 1000).toISOString(),
        }),
      );
      const now = later(receivedAt, 60_000);
      const applications: Promise<ApplyOutcome>[] = [];
      let creation: Promise<Shipment> | undefined;
      for (const [index, tracked] of events.entries()) {
        if (index === startedBefore) creation = ship(storeId, order.id, number, now);
        // Each event starts once the one before has read the head, so that they spread over every
        // step of the creation (its reads, its write, its retries) instead of all preceding it.
        const { port, headRead } = signallingHeadReads();
        applications.push(consume({ storeId, event: tracked, receivedAt }, port));
        await headRead;
      }
      const [outcomes, shipment] = await Promise.all([Promise.all(applications), creation]);
      if (shipment === undefined) throw new Error('the shipment was not created');

      // Each event was either applied to the shipment or kept and counted before its creation read.
      expect(outcomes.every((outcome) => outcome === 'applied' || outcome === 'kept')).toBe(true);
      const final = (await storedOrder(storeId, order.id)).order.shipments[0];
      expect(final?.id).toBe(shipment.id);
      expect(final?.events.map((tracked) => tracked.eventId).sort()).toEqual(
        events.map((tracked) => tracked.eventId).sort(),
      );
      expect(final?.status).toBe('in_transit');
      // The kept ones are exactly those the shipment started with, and the head counted each once.
      const kept = events.filter((_, index) => outcomes[index] === 'kept').map((tracked) => tracked.eventId);
      expect(shipment.events.map((tracked) => tracked.eventId).sort()).toEqual(kept.sort());
      const head = await item(keys.trackingHeadKey(storeId, 'ups', number));
      expect(head).toMatchObject({ shipmentId: shipment.id, orderId: order.id, earlyEvents: kept.length });
    },
  );
});
