/**
 * Contract section 7, second half, over HTTP on the running local stack: carriers post signed
 * tracking events to `POST /v1/webhooks/shipping/{storeId}`, which queues one message per event
 * for the shipping events consumer. Outcomes are polled with a deadline, never waited for with a
 * fixed sleep; "nothing recorded" is checked in DynamoDB Local, where it would have been recorded.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createStore, problem, putProduct, type TestStore } from '../support/api.ts';
import { eventually } from '../support/orders-flow.ts';
import {
  createShipment,
  paidOrder,
  type Shipment,
  type ShippedOrder,
  shippedOrder,
  type TrackingEvent,
} from '../support/shipments.ts';
import {
  deliver,
  earlyEventItem,
  hasEvents,
  nowSeconds,
  orderVersion,
  postTrackingEvents,
  shipmentWhen,
  shippingQueueDepth,
  signatureHeader,
  trackingEvent,
  trackingItems,
  uniqueTrackingNumber,
} from '../support/shipping-webhooks.ts';

let store: TestStore;

beforeAll(async () => {
  // Every order here pays with the same test card: velocity screening must not hold them for review.
  store = await createStore({ settings: { fraud: { maxOrdersPerCard: 1000, maxOrdersPerIp: 1000 } } });
  await putProduct(store, 'A', { unitAmount: 1500, stock: 1000 });
  await putProduct(store, 'B', { unitAmount: 900, stock: 1000 });
});

/** A paid order of one unit of A, shipped whole under a new tracking number. */
async function shipped(): Promise<{ order: ShippedOrder; shipment: Shipment }> {
  const order = await paidOrder(store, [{ sku: 'A', quantity: 1 }]);
  const shipment = await createShipment(store, order.id, { trackingNumber: uniqueTrackingNumber() });
  return { order, shipment };
}

const at = (base: number, seconds: number) => new Date(base + seconds * 1000).toISOString();
const drained = () => eventually(shippingQueueDepth, (depth) => depth === 0);
const withoutRequestId = (body: Record<string, unknown>) => {
  const { requestId: _requestId, ...rest } = body;
  return rest;
};

describe('POST /v1/webhooks/shipping/{storeId}', () => {
  it('answers 202 with the number of events accepted, and applies each to its shipment', async () => {
    const { shipment } = await shipped();
    const base = Date.now();
    const events = [
      trackingEvent({
        trackingNumber: shipment.trackingNumber,
        status: 'in_transit',
        occurredAt: at(base, 1),
      }),
      trackingEvent({
        trackingNumber: shipment.trackingNumber,
        status: 'out_for_delivery',
        occurredAt: at(base, 2),
        location: 'Austin, TX',
      }),
    ];
    const response = await postTrackingEvents(store.id, store.shippingWebhookSecret, events);
    expect(response.status).toBe(202);
    expect(response.body).toEqual({ accepted: 2 });
    const updated = await shipmentWhen(store, shipment.id, (current) => current.events.length === 2);
    expect(updated.events).toEqual(events);
    expect(updated.status).toBe('out_for_delivery');
  });

  it('answers forged, stale, tampered, unsigned, wrong-secret and unknown-store deliveries 400 invalid_signature and records nothing', async () => {
    const { shipment } = await shipped();
    const other = await createStore();
    const unknownNumber = uniqueTrackingNumber();
    const unknownStoreId = `str_${randomUUID().replaceAll('-', '').slice(0, 20)}`;
    const base = Date.now();
    // Were any of these applied, the shipment would be delivered and the unknown number kept.
    const badEvents = (label: string) => [
      trackingEvent({
        eventId: `evt_bad_${label}_${randomUUID()}`,
        trackingNumber: shipment.trackingNumber,
        status: 'delivered',
        occurredAt: at(base, 60),
      }),
      trackingEvent({
        eventId: `evt_bad_${label}_${randomUUID()}`,
        trackingNumber: unknownNumber,
        status: 'in_transit',
      }),
    ];
    const secret = store.shippingWebhookSecret;
    const body = (events: TrackingEvent[]) => JSON.stringify({ events });

    const forged = badEvents('forged');
    const stale = badEvents('stale');
    const tampered = badEvents('tampered');
    const tamperedBody = body(tampered);
    const attempts = [
      postTrackingEvents(store.id, secret, forged, {
        signature: `t=${nowSeconds()},v1=${randomBytes(32).toString('hex')}`,
      }),
      postTrackingEvents(store.id, secret, stale, { timestamp: nowSeconds() - 301 }),
      postTrackingEvents(store.id, secret, tampered, {
        rawBody: tamperedBody.replace('"delivered"', '"returned"'),
        signature: signatureHeader(secret, tamperedBody),
      }),
      postTrackingEvents(store.id, secret, badEvents('unsigned'), { signature: null }),
      postTrackingEvents(store.id, other.shippingWebhookSecret, badEvents('wrong_secret')),
      postTrackingEvents(unknownStoreId, secret, badEvents('unknown_store')),
    ];
    const responses = await Promise.all(attempts);
    for (const response of responses) {
      expect(problem(response)).toMatchObject({
        status: 400,
        code: 'invalid_signature',
        contentType: 'application/problem+json',
      });
    }
    // An unknown store is indistinguishable from a bad signature.
    const bodies = responses.map((response) => withoutRequestId(response.body));
    for (const each of bodies) expect(each).toEqual(bodies[0]);

    // A valid delivery after them, to the same shipment and to another unknown number.
    const marker = uniqueTrackingNumber();
    const good = trackingEvent({
      trackingNumber: shipment.trackingNumber,
      status: 'in_transit',
      occurredAt: at(base, 1),
    });
    const kept = trackingEvent({ trackingNumber: marker, status: 'in_transit' });
    await deliver(store, [good, kept]);
    await shipmentWhen(store, shipment.id, (current) => hasEvents(current, [good.eventId]));
    await eventually(
      () => earlyEventItem(store.id, kept),
      (item) => item !== undefined,
    );
    await drained();

    const final = await shipmentWhen(store, shipment.id, () => true);
    expect(final.events.map((event) => event.eventId)).toEqual([good.eventId]);
    expect(final.status).toBe('in_transit');
    expect(await trackingItems(store.id, 'ups', unknownNumber)).toEqual([]);
    expect(await trackingItems(unknownStoreId, 'ups', unknownNumber)).toEqual([]);
    expect(await trackingItems(unknownStoreId, 'ups', shipment.trackingNumber)).toEqual([]);
  });

  it('ends at the status of the latest occurredAt whatever order the events arrive in', async () => {
    const { order, shipment } = await shipped();
    const base = Date.now();
    const number = shipment.trackingNumber;
    const inTransit = trackingEvent({
      trackingNumber: number,
      status: 'in_transit',
      occurredAt: at(base, 1),
    });
    const outForDelivery = trackingEvent({
      trackingNumber: number,
      status: 'out_for_delivery',
      occurredAt: at(base, 2),
    });
    const delivered = trackingEvent({ trackingNumber: number, status: 'delivered', occurredAt: at(base, 3) });
    for (const event of [delivered, inTransit, outForDelivery]) await deliver(store, [event]);

    const final = await shipmentWhen(store, shipment.id, (current) => current.events.length === 3);
    expect(final.status).toBe('delivered');
    expect(final.events.map((event) => event.eventId)).toEqual([
      inTransit.eventId,
      outForDelivery.eventId,
      delivered.eventId,
    ]);
    expect((await shippedOrder(store, order.id)).fulfilmentStatus).toBe('delivered');
  });

  it('ranks events of the same instant as the contract says: delivered > returned > exception > out_for_delivery > in_transit', async () => {
    const first = await shipped();
    const second = await shipped();
    const instant = at(Date.now(), 5);
    const ofFirst = (status: TrackingEvent['status']) =>
      trackingEvent({ trackingNumber: first.shipment.trackingNumber, status, occurredAt: instant });
    const ofSecond = (status: TrackingEvent['status']) =>
      trackingEvent({ trackingNumber: second.shipment.trackingNumber, status, occurredAt: instant });

    // Sent most final first, so that arrival order cannot explain the outcome.
    const firstEvents = [
      ofFirst('returned'),
      ofFirst('exception'),
      ofFirst('out_for_delivery'),
      ofFirst('in_transit'),
    ];
    const secondEvents = [ofSecond('delivered'), ofSecond('returned'), ofSecond('in_transit')];
    await deliver(store, [...firstEvents, ...secondEvents]);

    const firstFinal = await shipmentWhen(store, first.shipment.id, (current) => current.events.length === 4);
    expect(firstFinal.status).toBe('returned');
    expect(firstFinal.events.map((event) => event.status)).toEqual([
      'in_transit',
      'out_for_delivery',
      'exception',
      'returned',
    ]);
    const secondFinal = await shipmentWhen(
      store,
      second.shipment.id,
      (current) => current.events.length === 3,
    );
    expect(secondFinal.status).toBe('delivered');

    // Same instant and status: the greater eventId is the later one.
    const low = trackingEvent({
      eventId: 'evt_tie_a',
      trackingNumber: first.shipment.trackingNumber,
      status: 'delivered',
      occurredAt: instant,
      location: 'A',
    });
    const high = { ...low, eventId: 'evt_tie_b', location: 'B' };
    await deliver(store, [high, low]);
    const tied = await shipmentWhen(store, first.shipment.id, (current) => current.events.length === 6);
    expect(tied.status).toBe('delivered');
    expect(tied.events.slice(-2).map((event) => event.eventId)).toEqual(['evt_tie_a', 'evt_tie_b']);
  });

  it('changes nothing when the same eventId is delivered again, in one delivery or many', async () => {
    const { order, shipment } = await shipped();
    const versionBefore = await orderVersion(store.id, order.id);
    const event = trackingEvent({ trackingNumber: shipment.trackingNumber, status: 'in_transit' });
    await deliver(store, [event, event, event]);
    await Promise.all([deliver(store, [event]), deliver(store, [event]), deliver(store, [event])]);
    await shipmentWhen(store, shipment.id, (current) => hasEvents(current, [event.eventId]));
    await drained();

    const final = await shipmentWhen(store, shipment.id, () => true);
    expect(final.events).toEqual([event]);
    const finalOrder = await shippedOrder(store, order.id);
    expect(finalOrder.timeline.filter((entry) => entry.type === 'shipment_update')).toHaveLength(1);
    // Six deliveries of one event: a single write of the order.
    expect(await orderVersion(store.id, order.id)).toBe((versionBefore ?? Number.NaN) + 1);
  });

  it('derives the order’s fulfilmentStatus from its shipments: shipped, delivered, and exception while one is exception or returned', async () => {
    const order = await paidOrder(store, [
      { sku: 'A', quantity: 2 },
      { sku: 'B', quantity: 1 },
    ]);
    const first = await createShipment(store, order.id, {
      trackingNumber: uniqueTrackingNumber(),
      lines: [{ sku: 'A', quantity: 2 }],
    });
    expect((await shippedOrder(store, order.id)).fulfilmentStatus).toBe('partially_shipped');
    const second = await createShipment(store, order.id, { trackingNumber: uniqueTrackingNumber() });
    expect((await shippedOrder(store, order.id)).fulfilmentStatus).toBe('shipped');

    const base = Date.now();
    const fulfilment = (expected: string) =>
      eventually(
        () => shippedOrder(store, order.id),
        (current) => current.fulfilmentStatus === expected,
      );
    const event = (shipment: Shipment, status: TrackingEvent['status'], seconds: number) =>
      trackingEvent({ trackingNumber: shipment.trackingNumber, status, occurredAt: at(base, seconds) });

    await deliver(store, [event(first, 'delivered', 1)]);
    await shipmentWhen(store, first.id, (shipment) => shipment.status === 'delivered');
    expect((await shippedOrder(store, order.id)).fulfilmentStatus).toBe('shipped');

    await deliver(store, [event(second, 'exception', 2)]);
    expect((await fulfilment('exception')).fulfilmentStatus).toBe('exception');

    await deliver(store, [event(second, 'delivered', 3)]);
    expect((await fulfilment('delivered')).fulfilmentStatus).toBe('delivered');

    await deliver(store, [event(first, 'returned', 4)]);
    const returned = await fulfilment('exception');
    expect(returned.fulfilmentStatus).toBe('exception');
    expect(
      returned.timeline.filter((entry) => entry.type === 'fulfilment_status').map((entry) => entry.detail),
    ).toEqual(['partially_shipped', 'shipped', 'exception', 'delivered', 'exception']);
  });

  it('keeps an event for a tracking number not yet known and applies it once its shipment is created', async () => {
    const order = await paidOrder(store, [{ sku: 'A', quantity: 1 }]);
    const number = uniqueTrackingNumber();
    const early = trackingEvent({
      trackingNumber: number,
      status: 'in_transit',
      occurredAt: at(Date.now(), 1),
    });
    const sentAt = Date.now();
    await deliver(store, [early]);
    const kept = await eventually(
      () => earlyEventItem(store.id, early),
      (item) => item !== undefined,
    );
    expect(kept).toMatchObject({ entity: 'earlyTrackingEvent', storeId: store.id, event: early });
    const receivedAt = Date.parse(String(kept?.receivedAt));
    expect(receivedAt).toBeGreaterThanOrEqual(sentAt - 1_000);
    expect(kept?.ttl).toBe(Math.floor(receivedAt / 1000) + 8 * 86_400);

    const shipment = await createShipment(store, order.id, { trackingNumber: number });
    expect(shipment.events).toEqual([early]);
    expect(shipment.status).toBe('in_transit');

    const later = trackingEvent({
      trackingNumber: number,
      status: 'delivered',
      occurredAt: at(Date.now(), 2),
    });
    await deliver(store, [later]);
    const final = await shipmentWhen(store, shipment.id, (current) => current.status === 'delivered');
    expect(final.events).toEqual([early, later]);
  });

  it('answers 400 validation_failed naming the field when a well-signed body is not valid, and queues nothing', async () => {
    const number = uniqueTrackingNumber();
    const events: unknown[] = Array.from({ length: 5 }, () =>
      trackingEvent({ trackingNumber: number, status: 'in_transit' }),
    );
    events[3] = { ...(events[3] as TrackingEvent), status: 'lost' };
    const rawBody = JSON.stringify({ events });
    const response = await postTrackingEvents(store.id, store.shippingWebhookSecret, [], { rawBody });
    expect(problem(response)).toMatchObject({ status: 400, code: 'validation_failed' });
    expect(problem(response).body.errors).toEqual([
      { path: '/events/3/status', message: expect.any(String) },
    ]);

    const empty = await postTrackingEvents(store.id, store.shippingWebhookSecret, []);
    expect(problem(empty)).toMatchObject({ status: 400, code: 'validation_failed' });
    expect(problem(empty).body.errors?.map((error) => error.path)).toEqual(['/events']);

    const extra = await postTrackingEvents(store.id, store.shippingWebhookSecret, [], {
      rawBody: JSON.stringify({
        events: [trackingEvent({ trackingNumber: number, status: 'in_transit' })],
        note: 1,
      }),
    });
    expect(problem(extra).body.errors?.map((error) => error.path)).toEqual(['/note']);

    const notJson = await postTrackingEvents(store.id, store.shippingWebhookSecret, [], {
      rawBody: '{"events": [',
    });
    expect(problem(notJson)).toMatchObject({ status: 400, code: 'validation_failed' });

    await drained();
    expect(await trackingItems(store.id, 'ups', number)).toEqual([]);
  });

  it('answers 413 to a body over 256 KiB', async () => {
    const rawBody = JSON.stringify({ events: [], padding: 'x'.repeat(256 * 1024) });
    const response = await postTrackingEvents(store.id, store.shippingWebhookSecret, [], { rawBody });
    expect(problem(response)).toMatchObject({ status: 413, code: 'payload_too_large' });
  });
});

describe('POST /v1/store/shipping-webhook-secrets', () => {
  it('rotates: the new secret works at once, the previous one too, and never more than two', async () => {
    const rotating = await createStore();
    const original = rotating.shippingWebhookSecret;
    const key = randomUUID();
    const rotate = (idempotencyKey: string) =>
      rotating.call<{ shippingWebhookSecret: string; previousSecretExpiresAt: string }>(
        'POST',
        '/v1/store/shipping-webhook-secrets',
        { headers: { 'idempotency-key': idempotencyKey } },
      );
    const before = Date.now();
    const first = await rotate(key);
    expect(first.status).toBe(201);
    const second = first.body.shippingWebhookSecret;
    expect(second).toMatch(/^whsec_ship_/);
    expect(second).not.toBe(original);
    const expiresAt = Date.parse(first.body.previousSecretExpiresAt);
    expect(expiresAt).toBeGreaterThanOrEqual(before + 24 * 3_600_000 - 1_000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 24 * 3_600_000);

    // A retry with the same key replays the rotation instead of rotating again.
    const replay = await rotate(key);
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body).toEqual(first.body);

    const accepted = async (secret: string) =>
      (
        await postTrackingEvents(rotating.id, secret, [
          trackingEvent({ trackingNumber: uniqueTrackingNumber(), status: 'in_transit' }),
        ])
      ).status;
    expect(await accepted(original)).toBe(202);
    expect(await accepted(second)).toBe(202);

    const third = (await rotate(randomUUID())).body.shippingWebhookSecret;
    expect(await accepted(third)).toBe(202);
    expect(await accepted(second)).toBe(202);
    expect(await accepted(original)).toBe(400);

    // The store's other secrets are untouched and never shown again.
    const view = await rotating.call('GET', '/v1/store');
    expect(view.status).toBe(200);
    expect(JSON.stringify(view.body)).not.toContain('whsec_ship_');
  });

  it('requires the store’s API key', async () => {
    const response = await store.call('POST', '/v1/store/shipping-webhook-secrets', {
      token: 'sok_nobody.x',
    });
    expect(problem(response)).toMatchObject({ status: 401, code: 'unauthorized' });
  });
});
