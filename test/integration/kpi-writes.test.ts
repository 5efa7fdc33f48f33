/**
 * KPI facts, stale markers and leads written with the order writes that cause them (issue 5
 * item 1, docs/kpis.md), on the running stack's DynamoDB Local: after real checkouts, captures,
 * shipments and tracking events over HTTP, every fact the stored order implies is in the table at
 * its key; the reservation sweeper leaves the abandoned checkout's lead; a write that loses its
 * version race leaves no fact. And the store registry the nightly scheduler reads follows store
 * creation and timezone changes.
 */
import { randomUUID } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import type { OrdersRepository } from '../../functions/adapters/orders-repository.ts';
import type { ShipmentsRepository } from '../../functions/adapters/shipments-repository.ts';
import type { TrackingRepository } from '../../functions/adapters/tracking-repository.ts';
import type { Fact } from '../../functions/domain/kpis.ts';
import type { Order } from '../../functions/domain/order.ts';
import type { PaymentEventsGateway, PaymentGateway } from '../../functions/domain/ports.ts';
import { timezoneChangedHour } from '../../functions/kpis/stale-marker.ts';
import type {
  expireReservations as ExpireReservations,
  ExpiringOrders,
} from '../../functions/orders/expire-reservations.ts';
import type { FraudCheckQueue } from '../../functions/payments/effects.ts';
import { paidOrder as paidOrderFixture } from '../domain/shipping-fixtures.ts';
import { checkoutBody, createStore, putProduct, type TestStore } from '../support/api.ts';
import { capturedOrder, eventually } from '../support/orders-flow.ts';
import {
  createShipment,
  deliver,
  paidOrder,
  shipmentWhen,
  trackingEvent,
  uniqueTrackingNumber,
} from '../support/shipping-webhooks.ts';

let client: DynamoDBDocumentClient;
let tableName: string;
let orders: OrdersRepository;
let shipments: ShipmentsRepository;
let tracking: TrackingRepository;
let payments: PaymentGateway & PaymentEventsGateway;
let fraudChecks: FraudCheckQueue;
let expireReservations: typeof ExpireReservations;
let kpis: typeof import('../../functions/domain/kpis.ts');
let keys: typeof import('../../functions/adapters/kpi-keys.ts');
let orderItems: typeof import('../../functions/adapters/order-items.ts');
let paymentsDomain: typeof import('../../functions/domain/payments.ts');
let shipping: typeof import('../../functions/domain/shipping.ts');
let store: TestStore;

beforeAll(async () => {
  Object.assign(process.env, inject('stackEnvironment'));
  const dynamodb = await import('../../functions/adapters/dynamodb.ts');
  client = dynamodb.documentClient;
  tableName = dynamodb.mainTableName();
  const { OrdersRepository } = await import('../../functions/adapters/orders-repository.ts');
  const { ShipmentsRepository } = await import('../../functions/adapters/shipments-repository.ts');
  const { TrackingRepository } = await import('../../functions/adapters/tracking-repository.ts');
  const { lazyStripeClient, stripeGateway } = await import('../../functions/adapters/stripe-gateway.ts');
  const { sqsFraudCheckQueue } = await import('../../functions/fraud/check-queue.ts');
  ({ expireReservations } = await import('../../functions/orders/expire-reservations.ts'));
  orders = new OrdersRepository(client, tableName);
  shipments = new ShipmentsRepository(client, tableName);
  tracking = new TrackingRepository(client, tableName);
  payments = stripeGateway(lazyStripeClient(async () => 'sk_test_kpi_writes'));
  fraudChecks = sqsFraudCheckQueue();
  kpis = await import('../../functions/domain/kpis.ts');
  keys = await import('../../functions/adapters/kpi-keys.ts');
  orderItems = await import('../../functions/adapters/order-items.ts');
  paymentsDomain = await import('../../functions/domain/payments.ts');
  shipping = await import('../../functions/domain/shipping.ts');
  // Every order here pays with the same test card: velocity screening must not hold them for review.
  store = await createStore({ settings: { fraud: { maxOrdersPerCard: 1000, maxOrdersPerIp: 1000 } } });
  await putProduct(store, 'A', { unitAmount: 1500, stock: 1000 });
});

async function getItem(key: { pk: string; sk: string }): Promise<Record<string, unknown> | undefined> {
  const { Item } = await client.send(
    new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }),
  );
  return Item;
}

const factItem = (storeId: string, fact: Fact) => getItem(kpis.factKey(storeId, fact));

async function storedOrder(storeId: string, orderId: string): Promise<Order> {
  const stored = await orders.get(storeId, orderId);
  if (stored === undefined) throw new Error(`order ${orderId} not found`);
  return stored.order;
}

/** The facts of `order` that have no item at their key (none, when every write carried its facts). */
async function missingFacts(storeId: string, order: Order): Promise<Fact[]> {
  const facts = kpis.factsOf(order);
  const items = await Promise.all(facts.map((fact) => factItem(storeId, fact)));
  return facts.filter((_, index) => items[index] === undefined);
}

function factOf(order: Order, type: Fact['type'], subId?: string): Fact {
  const fact = kpis
    .factsOf(order)
    .find((candidate) => candidate.type === type && (subId === undefined || candidate.subId === subId));
  if (fact === undefined) throw new Error(`order ${order.id} implies no ${type} fact`);
  return fact;
}

describe('facts written with the order writes that cause them', () => {
  it('the checkout puts its checkout_created fact in its transaction', async () => {
    const response = await store.call<{ id: string; createdAt: string }>('POST', '/v1/checkouts', {
      body: checkoutBody([{ sku: 'A', quantity: 1 }]),
    });
    expect(response.status).toBe(201);
    const fact = {
      type: 'checkout_created',
      at: response.body.createdAt,
      orderId: response.body.id,
    } as const;
    expect(await factItem(store.id, fact)).toEqual({
      ...kpis.factKey(store.id, fact),
      entity: 'fact',
      ...fact,
      ttl: expect.any(Number),
    });
  });

  it('the capture puts payment_captured, and every fact of the paid order is in the table', async () => {
    const captured = await capturedOrder(store, 'A');
    const order = await storedOrder(store.id, captured.id);
    const fact = factOf(order, 'payment_captured');
    expect(fact.at).toBe(order.paymentFacts?.capture?.at);
    expect(await factItem(store.id, fact)).toMatchObject({ entity: 'fact', type: 'payment_captured' });
    expect(await missingFacts(store.id, order)).toEqual([]);
  });

  it('a shipment created over HTTP puts shipment_created; a delivery puts shipment_delivered', async () => {
    const paid = await paidOrder(store, [{ sku: 'A', quantity: 1 }]);
    const shipment = await createShipment(store, paid.id, { trackingNumber: uniqueTrackingNumber() });
    const shippedOrder = await storedOrder(store.id, paid.id);
    expect(await factItem(store.id, factOf(shippedOrder, 'shipment_created', shipment.id))).toMatchObject({
      entity: 'fact',
      subId: shipment.id,
    });

    // An exception scanned three hours ago and only sent now: its hour is marked stale.
    const exceptionAt = new Date(Date.now() - 3 * 3_600_000).toISOString();
    const { trackingNumber } = shipment;
    await deliver(store, [trackingEvent({ trackingNumber, status: 'exception', occurredAt: exceptionAt })]);
    await shipmentWhen(store, shipment.id, (current) => current.events.length === 1);
    await deliver(store, [trackingEvent({ trackingNumber, status: 'delivered' })]);
    const delivered = await shipmentWhen(store, shipment.id, (current) => current.status === 'delivered');
    expect(delivered.status).toBe('delivered');

    const order = await storedOrder(store.id, paid.id);
    const deliveredFact = factOf(order, 'shipment_delivered', shipment.id);
    expect(await factItem(store.id, deliveredFact)).toMatchObject({ entity: 'fact', at: deliveredFact.at });
    const exceptionFact = factOf(order, 'shipment_exception');
    expect(exceptionFact.at).toBe(new Date(exceptionAt).toISOString());
    expect(await missingFacts(store.id, order)).toEqual([]);
    expect(
      await getItem({ pk: keys.staleMarkersPartition(store.id), sk: kpis.utcHourOf(exceptionAt) }),
    ).toMatchObject({ entity: 'staleMarker', markedAt: expect.any(String) });
  });

  it('the sweeper that expires a reservation puts the abandoned-checkout lead', async () => {
    const expiring = await createStore({ settings: { reservationMinutes: 1 } });
    await putProduct(expiring, 'A', { unitAmount: 1200, stock: 10 });
    const customer = {
      email: `lead-${randomUUID().slice(0, 8)}@example.com`,
      phone: '+1 415 555 0100',
      name: 'Grace Hopper',
      type: 'b2b',
      companyName: 'Navy',
      marketingConsent: true,
    };
    const placed = await expiring.call<{ id: string; createdAt: string }>('POST', '/v1/checkouts', {
      body: checkoutBody([{ sku: 'A', quantity: 2 }], {
        customer,
        attribution: { channel: 'outbound', salesRepId: 'rep_1' },
      }),
    });
    expect(placed.status).toBe(201);
    const later = { now: () => new Date(Date.now() + 90_000) };
    // Only this store's orders: the reservation expiry test counts what its own sweeps expire.
    const ownOrders: ExpiringOrders = {
      get: (...args) => orders.get(...args),
      cancel: (...args) => orders.cancel(...args),
      getWithPendingEffects: (...args) => orders.getWithPendingEffects(...args),
      saveTransition: (...args) => orders.saveTransition(...args),
      claimEffect: (...args) => orders.claimEffect(...args),
      settleEffect: (...args) => orders.settleEffect(...args),
      recordPriorDispute: (...args) => orders.recordPriorDispute(...args),
      expiredReservations: async (...args) =>
        (await orders.expiredReservations(...args)).filter((due) => due.storeId === expiring.id),
    };
    const failures: unknown[] = [];
    await expireReservations({ orders: ownOrders, payments, fraudChecks, clock: later }, (_id, error) =>
      failures.push(error),
    );
    // The reservation expiry test's sweeps see every store: one of them may have expired it first.
    expect(failures.filter((error) => !/invalid_?state/i.test(String(error)))).toEqual([]);
    const order = await eventually(
      () => storedOrder(expiring.id, placed.body.id),
      (current) => current.status === 'cancelled',
    );
    expect(order.cancelReason).toBe('payment_expired');

    const lead = await getItem(keys.leadKey(expiring.id, placed.body.createdAt, placed.body.id));
    expect(lead).toEqual({
      ...keys.leadKey(expiring.id, placed.body.createdAt, placed.body.id),
      entity: 'lead',
      orderId: placed.body.id,
      customer,
      total: 2400,
      currency: 'usd',
      lines: order.lines,
      attribution: { channel: 'outbound', salesRepId: 'rep_1' },
      createdAt: placed.body.createdAt,
      paymentFailures: 0,
    });
  });
});

describe('a write that loses its version race writes no fact', () => {
  /** A paid order of a store of its own, on the table at version 2 (so version 1 is stale). */
  async function seeded(): Promise<{ storeId: string; order: Order }> {
    const storeId = `str_kw${randomUUID().replaceAll('-', '').slice(0, 16)}`;
    const order: Order = { ...paidOrderFixture(), id: `ord_kw${randomUUID().slice(0, 8)}` };
    await client.send(
      new PutCommand({ TableName: tableName, Item: orderItems.orderItem(storeId, order, 2) }),
    );
    return { storeId, order };
  }

  it('an order save: the refund fact exists only when the order is written', async () => {
    const { storeId, order } = await seeded();
    const refund = { id: `re_${randomUUID().slice(0, 8)}`, amount: 500, status: 'succeeded' as const };
    const refunded = paymentsDomain.applyPaymentEvent(
      order,
      {
        kind: 'refunds_observed',
        at: '2026-11-28T12:00:00.000Z',
        refunds: [{ ...refund, created: '2026-11-28T12:00:00.000Z' }],
      },
      { storeId },
    ).order;
    const fact = factOf(refunded, 'refund_created', refund.id);

    expect(await orders.save({ storeId, version: 1, order }, refunded)).toBe('conflict');
    expect(await factItem(storeId, fact)).toBeUndefined();
    expect(await getItem({ pk: keys.staleMarkersPartition(storeId), sk: '2026-11-28T12' })).toBeUndefined();
    expect((await orders.get(storeId, order.id))?.version).toBe(2);

    expect(await orders.save({ storeId, version: 2, order }, refunded)).toBe('saved');
    expect(await factItem(storeId, fact)).toMatchObject({ entity: 'fact', subId: refund.id });
    // Written long after it happened: its hour is marked for the next scheduled run.
    expect(await getItem({ pk: keys.staleMarkersPartition(storeId), sk: '2026-11-28T12' })).toMatchObject({
      entity: 'staleMarker',
    });
  });

  it('a shipment creation and a tracking event: no fact from the stale write, then the fact', async () => {
    const { storeId, order } = await seeded();
    const trackingNumber = uniqueTrackingNumber();
    const shipmentId = `shp_kw${randomUUID().slice(0, 8)}`;
    const planned = shipping.planShipment(
      order,
      { carrier: 'ups', trackingNumber },
      { shipmentId, now: new Date('2026-11-28T13:00:00.000Z') },
    );
    const created = factOf(planned.order, 'shipment_created', shipmentId);
    const write = { order: planned.order, shipment: planned.shipment, earlyEventCount: 0 };

    expect(await shipments.create({ ...write, stored: { storeId, version: 1, order } })).toBe('conflict');
    expect(await factItem(storeId, created)).toBeUndefined();
    expect(await shipments.create({ ...write, stored: { storeId, version: 2, order } })).toBe('created');
    expect(await factItem(storeId, created)).toMatchObject({ entity: 'fact', subId: shipmentId });

    const { order: delivered } = shipping.applyTrackingEvents(planned.order, shipmentId, [
      {
        eventId: `evt_${randomUUID()}`,
        carrier: 'ups',
        trackingNumber,
        status: 'delivered',
        occurredAt: '2026-11-29T09:00:00.000Z',
      },
    ]);
    const deliveredFact = factOf(delivered, 'shipment_delivered', shipmentId);
    expect(await tracking.saveOrder(storeId, { version: 2, order: planned.order }, delivered)).toBe(
      'conflict',
    );
    expect(await factItem(storeId, deliveredFact)).toBeUndefined();
    expect(await tracking.saveOrder(storeId, { version: 3, order: planned.order }, delivered)).toBe('saved');
    expect(await factItem(storeId, deliveredFact)).toMatchObject({
      entity: 'fact',
      type: 'shipment_delivered',
    });
    expect(await missingFacts(storeId, await storedOrder(storeId, order.id))).toEqual([
      // Seeded without its write's facts: only those of the writes made here are in the table.
      ...kpis.factsOf(order),
    ]);
  });
});

describe('the store registry of the nightly scheduler', () => {
  const zonesInUse = async (): Promise<ReadonlySet<string>> => {
    const item = await getItem(keys.timeZonesKey);
    return item?.zones instanceof Set ? (item.zones as Set<string>) : new Set();
  };
  const storesOfZone = async (timeZone: string): Promise<string[]> => {
    const { Items = [] } = await client.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :store)',
        ExpressionAttributeValues: { ':pk': keys.storesOfZonePartition(timeZone), ':store': 'str_' },
        ConsistentRead: true,
      }),
    );
    return Items.map((item) => String(item.sk));
  };

  it('files a new store under its zone and adds the zone to the set, even for stores created at once', async () => {
    const zones = ['Europe/Paris', 'Asia/Kolkata', 'America/Los_Angeles', 'Australia/Lord_Howe', 'UTC'];
    const created = await Promise.all(zones.map((timezone) => createStore({ timezone })));
    for (const [index, timezone] of zones.entries()) {
      const storeId = created[index]?.id ?? '';
      expect(await getItem(keys.storeOfZoneKey(timezone, storeId))).toMatchObject({
        entity: 'storeOfZone',
        storeId,
        timezone,
      });
      expect(await storesOfZone(timezone)).toContain(storeId);
    }
    const inUse = await zonesInUse();
    for (const timezone of zones) expect(inUse.has(timezone)).toBe(true);
  });

  it('moves the store with a timezone change, in the same write as the store', async () => {
    const moving = await createStore({ timezone: 'Europe/Berlin' });
    const settingsOnly = await moving.call('PATCH', '/v1/store', {
      body: { settings: { reservationMinutes: 20 } },
    });
    expect(settingsOnly.status).toBe(200);
    expect(await storesOfZone('Europe/Berlin')).toContain(moving.id);
    const timezoneMarker = { pk: keys.staleMarkersPartition(moving.id), sk: timezoneChangedHour };
    expect(await getItem(timezoneMarker)).toBeUndefined();

    const moved = await moving.call('PATCH', '/v1/store', { body: { timezone: 'Pacific/Chatham' } });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ timezone: 'Pacific/Chatham', settings: { reservationMinutes: 20 } });
    expect(await getItem(keys.storeOfZoneKey('Europe/Berlin', moving.id))).toBeUndefined();
    expect(await storesOfZone('Europe/Berlin')).not.toContain(moving.id);
    expect(await storesOfZone('Pacific/Chatham')).toContain(moving.id);
    expect((await zonesInUse()).has('Pacific/Chatham')).toBe(true);
    // The zone it left stays in the set: a zone without stores costs one empty Query a night.
    expect((await zonesInUse()).has('Europe/Berlin')).toBe(true);
    // Its KPI days now hold other hours: the marker that has its next night roll them all up again.
    const marked = await getItem(timezoneMarker);
    expect(marked).toMatchObject({ entity: 'staleMarker', markedAt: expect.any(String) });

    const same = await moving.call('PATCH', '/v1/store', { body: { timezone: 'Pacific/Chatham' } });
    expect(same.status).toBe(200);
    expect(await storesOfZone('Pacific/Chatham')).toContain(moving.id);
    // No change of zone, no new marker.
    expect(await getItem(timezoneMarker)).toEqual(marked);
  });
});
