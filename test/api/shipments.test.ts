/**
 * Contract section 7, shipments, over HTTP on the running local stack: creating whole and partial
 * shipments of paid orders, the order's `fulfilmentStatus`, lines and timeline following them,
 * reading a shipment, and every refusal (state, quantities, validation, duplicate tracking
 * numbers, other stores), including 20 concurrent requests for the last unshipped unit.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createStore, problem, putProduct, type TestStore } from '../support/api.ts';
import { placeOrder } from '../support/orders-flow.ts';
import { paidOrder, type Shipment, ship, shippedOrder } from '../support/shipments.ts';

async function storeWithProducts(): Promise<TestStore> {
  const store = await createStore();
  await putProduct(store, 'A', { unitAmount: 1500, stock: 100 });
  await putProduct(store, 'B', { unitAmount: 900, stock: 100 });
  return store;
}

const trackingNumber = () => `1Z${randomUUID().replaceAll('-', '').slice(0, 16).toUpperCase()}`;

describe('POST /v1/orders/{orderId}/shipments', () => {
  it('ships every unshipped unit by default', async () => {
    const store = await storeWithProducts();
    const order = await paidOrder(store, [
      { sku: 'A', quantity: 2 },
      { sku: 'B', quantity: 1 },
    ]);
    const number = trackingNumber();

    const response = await ship(store, order.id, {
      carrier: 'ups',
      trackingNumber: number,
      service: 'ground',
    });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({
      orderId: order.id,
      carrier: 'ups',
      trackingNumber: number,
      service: 'ground',
      status: 'label_created',
      events: [],
      lines: [
        { sku: 'A', quantity: 2 },
        { sku: 'B', quantity: 1 },
      ],
    });
    expect(response.body.id).toMatch(/^shp_/);
    expect(response.body.createdAt).toBe(response.body.updatedAt);

    const shipped = await shippedOrder(store, order.id);
    expect(shipped.fulfilmentStatus).toBe('shipped');
    expect(shipped.lines.map((line) => [line.sku, line.shippedQuantity])).toEqual([
      ['A', 2],
      ['B', 1],
    ]);
    expect(shipped.shipments).toEqual([response.body]);

    // Nothing is left to ship.
    const again = await ship(store, order.id, { carrier: 'ups', trackingNumber: trackingNumber() });
    expect(problem(again)).toMatchObject({ status: 422, code: 'over_fulfilment' });
  });

  it('ships part of an order, then the rest; the order, its timeline and GET follow', async () => {
    const store = await storeWithProducts();
    const order = await paidOrder(store, [
      { sku: 'A', quantity: 2 },
      { sku: 'B', quantity: 1 },
    ]);
    expect(order.fulfilmentStatus).toBe('unfulfilled');

    const first = await ship(store, order.id, {
      carrier: 'dhl_express',
      trackingNumber: trackingNumber(),
      lines: [{ sku: 'A', quantity: 1 }],
    });
    expect(first.status).toBe(201);
    expect(first.body.lines).toEqual([{ sku: 'A', quantity: 1 }]);
    const partial = await shippedOrder(store, order.id);
    expect(partial.fulfilmentStatus).toBe('partially_shipped');
    expect(partial.lines.map((line) => [line.sku, line.shippedQuantity])).toEqual([
      ['A', 1],
      ['B', 0],
    ]);

    const rest = await ship(store, order.id, { carrier: 'fedex', trackingNumber: trackingNumber() });
    expect(rest.status).toBe(201);
    expect(rest.body.lines).toEqual([
      { sku: 'A', quantity: 1 },
      { sku: 'B', quantity: 1 },
    ]);

    const shipped = await shippedOrder(store, order.id);
    expect(shipped.fulfilmentStatus).toBe('shipped');
    expect(shipped.lines.map((line) => line.shippedQuantity)).toEqual([2, 1]);
    expect(shipped.shipments).toEqual([first.body, rest.body]);
    const created = shipped.timeline.filter((entry) => entry.type === 'shipment_created');
    expect(created.map((entry) => entry.detail)).toEqual([
      expect.stringContaining(first.body.id),
      expect.stringContaining(rest.body.id),
    ]);
    const fulfilment = shipped.timeline.filter((entry) => entry.type === 'fulfilment_status');
    expect(fulfilment.map((entry) => entry.detail)).toEqual(['partially_shipped', 'shipped']);

    const read = await store.call<Shipment>('GET', `/v1/shipments/${first.body.id}`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(first.body);
  });

  it('replays a request with the same Idempotency-Key instead of shipping again', async () => {
    const store = await storeWithProducts();
    const order = await paidOrder(store, [{ sku: 'A', quantity: 3 }]);
    const body = { carrier: 'ups', trackingNumber: trackingNumber(), lines: [{ sku: 'A', quantity: 1 }] };
    const key = { 'idempotency-key': `ship-${order.id}` };

    const first = await ship(store, order.id, body, key);
    const replay = await ship(store, order.id, body, key);
    expect(first.status).toBe(201);
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body).toEqual(first.body);

    const after = await shippedOrder(store, order.id);
    expect(after.shipments.map((shipment) => shipment.id)).toEqual([first.body.id]);
    expect(after.lines[0]?.shippedQuantity).toBe(1);
  });

  it('refuses orders that are not paid with 409 invalid_state', async () => {
    const store = await storeWithProducts();
    const unpaid = await placeOrder(store, 'A');
    const pending = await ship(store, unpaid.id, { carrier: 'ups', trackingNumber: trackingNumber() });
    expect(problem(pending)).toMatchObject({ status: 409, code: 'invalid_state' });

    const cancelled = await placeOrder(store, 'A');
    expect((await store.call('POST', `/v1/orders/${cancelled.id}/cancel`, { body: {} })).status).toBe(200);
    const refused = await ship(store, cancelled.id, { carrier: 'ups', trackingNumber: trackingNumber() });
    expect(problem(refused)).toMatchObject({ status: 409, code: 'invalid_state' });

    for (const id of [unpaid.id, cancelled.id]) {
      const order = await shippedOrder(store, id);
      expect(order.shipments).toEqual([]);
      expect(order.fulfilmentStatus).toBe('unfulfilled');
    }
  });

  it('refuses more units than remain unshipped, or a sku not on the order, with 422 over_fulfilment', async () => {
    const store = await storeWithProducts();
    const order = await paidOrder(store, [
      { sku: 'A', quantity: 2 },
      { sku: 'B', quantity: 1 },
    ]);
    const tooMany = await ship(store, order.id, {
      carrier: 'ups',
      trackingNumber: trackingNumber(),
      lines: [{ sku: 'A', quantity: 3 }],
    });
    expect(problem(tooMany)).toMatchObject({ status: 422, code: 'over_fulfilment' });
    expect(problem(tooMany).body.errors?.map((error) => error.path)).toEqual(['/lines/0/quantity']);

    const unknown = await ship(store, order.id, {
      carrier: 'ups',
      trackingNumber: trackingNumber(),
      lines: [{ sku: 'ZZZ', quantity: 1 }],
    });
    expect(problem(unknown)).toMatchObject({ status: 422, code: 'over_fulfilment' });
    expect(problem(unknown).body.errors?.map((error) => error.path)).toEqual(['/lines/0/sku']);

    const after = await shippedOrder(store, order.id);
    expect(after.shipments).toEqual([]);
    expect(after.lines.map((line) => line.shippedQuantity)).toEqual([0, 0]);
  });

  it('rejects bad bodies with 400 validation_failed before anything else', async () => {
    const store = await storeWithProducts();
    const order = await paidOrder(store, [
      { sku: 'A', quantity: 1 },
      { sku: 'B', quantity: 1 },
    ]);
    const badCarrier = await ship(store, order.id, {
      carrier: 'UPS Ground',
      trackingNumber: trackingNumber(),
    });
    expect(problem(badCarrier)).toMatchObject({ status: 400, code: 'validation_failed' });
    expect(problem(badCarrier).body.errors?.map((error) => error.path)).toEqual(['/carrier']);

    const duplicateSkus = await ship(store, order.id, {
      carrier: 'ups',
      trackingNumber: trackingNumber(),
      lines: [
        { sku: 'A', quantity: 1 },
        { sku: 'A', quantity: 1 },
      ],
    });
    expect(problem(duplicateSkus)).toMatchObject({ status: 400, code: 'validation_failed' });
    expect(problem(duplicateSkus).body.errors?.map((error) => error.path)).toEqual(['/lines/1/sku']);

    const unknownProperty = await ship(store, order.id, {
      carrier: 'ups',
      trackingNumber: trackingNumber(),
      shippingCost: 500,
    });
    expect(problem(unknownProperty)).toMatchObject({ status: 400, code: 'validation_failed' });

    // 400 comes before 404.
    const missingOrder = await ship(store, 'ord_missing', { carrier: 'UPS Ground', trackingNumber: 'X' });
    expect(problem(missingOrder)).toMatchObject({ status: 400, code: 'validation_failed' });

    expect((await shippedOrder(store, order.id)).shipments).toEqual([]);
  });

  it('keeps carrier + tracking number unique per store, not across stores', async () => {
    const store = await storeWithProducts();
    const [first, second] = await Promise.all([
      paidOrder(store, [{ sku: 'A', quantity: 1 }]),
      paidOrder(store, [{ sku: 'A', quantity: 1 }]),
    ]);
    const number = trackingNumber();
    expect((await ship(store, first.id, { carrier: 'ups', trackingNumber: number })).status).toBe(201);

    const duplicate = await ship(store, second.id, { carrier: 'ups', trackingNumber: number });
    expect(problem(duplicate)).toMatchObject({ status: 409, code: 'duplicate_tracking_number' });
    expect((await shippedOrder(store, second.id)).shipments).toEqual([]);
    // The same request for the order that has it is a duplicate too, not a second shipment.
    const repeated = await ship(store, first.id, { carrier: 'ups', trackingNumber: number });
    expect(problem(repeated)).toMatchObject({ status: 409, code: 'duplicate_tracking_number' });

    // Another carrier's number space is its own.
    expect((await ship(store, second.id, { carrier: 'usps', trackingNumber: number })).status).toBe(201);

    const other = await storeWithProducts();
    const foreign = await paidOrder(other, [{ sku: 'A', quantity: 1 }]);
    const reused = await ship(other, foreign.id, { carrier: 'ups', trackingNumber: number });
    expect(reused.status).toBe(201);
    expect(reused.body.trackingNumber).toBe(number);
  });

  it("answers 404 for another store's orders and shipments", async () => {
    const store = await storeWithProducts();
    const order = await paidOrder(store, [{ sku: 'A', quantity: 2 }]);
    const shipment = await ship(store, order.id, {
      carrier: 'ups',
      trackingNumber: trackingNumber(),
      lines: [{ sku: 'A', quantity: 1 }],
    });
    expect(shipment.status).toBe(201);

    const other = await createStore();
    const foreignShip = await ship(other, order.id, { carrier: 'ups', trackingNumber: trackingNumber() });
    expect(problem(foreignShip)).toMatchObject({ status: 404, code: 'not_found' });
    const foreignRead = await other.call('GET', `/v1/shipments/${shipment.body.id}`);
    expect(problem(foreignRead)).toMatchObject({ status: 404, code: 'not_found' });

    const missing = await ship(store, 'ord_missing', { carrier: 'ups', trackingNumber: trackingNumber() });
    expect(problem(missing)).toMatchObject({ status: 404, code: 'not_found' });
    expect(problem(await store.call('GET', '/v1/shipments/shp_missing'))).toMatchObject({
      status: 404,
      code: 'not_found',
    });

    const after = await shippedOrder(store, order.id);
    expect(after.shipments.map((item) => item.id)).toEqual([shipment.body.id]);
    expect(after.lines[0]?.shippedQuantity).toBe(1);
  });

  it('of 20 concurrent requests for the last unshipped unit, exactly one ships it', async () => {
    const store = await storeWithProducts();
    const order = await paidOrder(store, [{ sku: 'A', quantity: 2 }]);
    const first = await ship(store, order.id, {
      carrier: 'ups',
      trackingNumber: trackingNumber(),
      lines: [{ sku: 'A', quantity: 1 }],
    });
    expect(first.status).toBe(201);

    const responses = await Promise.all(
      Array.from({ length: 20 }, () =>
        ship(store, order.id, {
          carrier: 'ups',
          trackingNumber: trackingNumber(),
          lines: [{ sku: 'A', quantity: 1 }],
        }),
      ),
    );
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 201)).toHaveLength(1);
    expect(
      responses.filter((response) => response.status !== 201).map((response) => problem(response).code),
    ).toEqual(Array.from({ length: 19 }, () => 'over_fulfilment'));

    const after = await shippedOrder(store, order.id);
    expect(after.lines[0]).toMatchObject({ quantity: 2, shippedQuantity: 2 });
    expect(after.shipments).toHaveLength(2);
    expect(after.fulfilmentStatus).toBe('shipped');
    const winner = responses.find((response) => response.status === 201);
    expect(after.shipments.map((shipment) => shipment.id)).toEqual([first.body.id, winner?.body.id]);
  });
});
