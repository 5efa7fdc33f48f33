/**
 * The sweeper's late-shipping flag on the running stack's DynamoDB Local, with the clock moved
 * past the orders' capture. This test's store ships within 2 h, longer than the shortest setting
 * (1 h) under which orders are filed in the due index, so its orders are first deferred to the
 * store's own time and flagged only after it. Every other store keeps the default 48 h, so these
 * sweeps only defer their orders.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { orderKey } from '../../functions/adapters/order-items.ts';
import type { OrdersRepository } from '../../functions/adapters/orders-repository.ts';
import type { StoresRepository } from '../../functions/adapters/stores-repository.ts';
import type { flagLateShipments as FlagLateShipments } from '../../functions/orders/ship-late.ts';
import { createStore, putProduct, type TestStore } from '../support/api.ts';
import { paidOrder, ship, shippedOrder } from '../support/shipments.ts';

let client: DynamoDBDocumentClient;
let tableName: string;
let orders: OrdersRepository;
let stores: StoresRepository;
let flagLateShipments: typeof FlagLateShipments;

beforeAll(async () => {
  Object.assign(process.env, inject('stackEnvironment'));
  const { documentClient, mainTableName } = await import('../../functions/adapters/dynamodb.ts');
  const { OrdersRepository } = await import('../../functions/adapters/orders-repository.ts');
  const { StoresRepository } = await import('../../functions/adapters/stores-repository.ts');
  ({ flagLateShipments } = await import('../../functions/orders/ship-late.ts'));
  client = documentClient;
  tableName = mainTableName();
  orders = new OrdersRepository(client, tableName);
  stores = new StoresRepository(client, tableName);
});

const hourMs = 3_600_000;

async function capturedAt(store: TestStore, orderId: string): Promise<number> {
  const at = (await orders.get(store.id, orderId))?.order.paymentFacts?.capture?.at;
  if (at === undefined) throw new Error(`order ${orderId} has no capture`);
  return new Date(at).getTime();
}

/** The order's raw item: its due-index attributes are not part of the order. */
async function dueIndexEntry(store: TestStore, orderId: string) {
  const { Item } = await client.send(
    new GetCommand({ TableName: tableName, Key: orderKey(store.id, orderId), ConsistentRead: true }),
  );
  return { duepk: Item?.duepk as string | undefined, duesk: Item?.duesk as string | undefined };
}

const lateEntries = async (store: TestStore, orderId: string) =>
  (await shippedOrder(store, orderId)).timeline.filter((entry) => entry.type === 'ship_late');

describe('late shipping', () => {
  it('defers to the store’s hours, then flags each unshipped order once; shipped orders never', async () => {
    const store = await createStore({ settings: { fulfilment: { shipWithinHours: 2 } } });
    await putProduct(store, 'A', { unitAmount: 1500, stock: 50 });
    const [unshipped, shippedInTime, partial] = await Promise.all([
      paidOrder(store, [{ sku: 'A', quantity: 1 }]),
      paidOrder(store, [{ sku: 'A', quantity: 1 }]),
      paidOrder(store, [{ sku: 'A', quantity: 2 }]),
    ]);
    expect(
      (await ship(store, shippedInTime.id, { carrier: 'ups', trackingNumber: `T${shippedInTime.id}` }))
        .status,
    ).toBe(201);
    expect(
      (
        await ship(store, partial.id, {
          carrier: 'ups',
          trackingNumber: `T${partial.id}`,
          lines: [{ sku: 'A', quantity: 1 }],
        })
      ).status,
    ).toBe(201);
    const ours = [unshipped.id, shippedInTime.id, partial.id];
    const captures = await Promise.all(ours.map((id) => capturedAt(store, id)));
    const latest = Math.max(...captures);
    const failures: { orderId: string; error: unknown }[] = [];
    const sweepAt = (at: number) =>
      flagLateShipments(
        {
          orders,
          clock: { now: () => new Date(at) },
          shipWithinHours: async (storeId) =>
            (await stores.get(storeId))?.settings.fulfilment.shipWithinHours,
        },
        (orderId, error) => failures.push({ orderId, error }),
      );

    // Filed at capture + 1 h (the shortest setting); the shipped order is not filed at all.
    const unshippedCapture = captures[0] ?? 0;
    expect(await dueIndexEntry(store, unshipped.id)).toEqual({
      duepk: expect.stringMatching(/^DUE#ship#[0-7]$/),
      duesk: `${new Date(unshippedCapture + hourMs).toISOString()}#${unshipped.id}`,
    });
    expect((await dueIndexEntry(store, shippedInTime.id)).duepk).toBeUndefined();

    // Before even the shortest setting: nothing is due.
    await sweepAt(latest + 0.5 * hourMs);
    for (const id of ours) expect(await lateEntries(store, id)).toEqual([]);

    // Past 1 h, before the store's 2 h: deferred to the store's own due time, not flagged.
    await sweepAt(latest + 1.5 * hourMs);
    for (const id of ours) expect(await lateEntries(store, id)).toEqual([]);
    expect((await dueIndexEntry(store, unshipped.id)).duesk).toBe(
      `${new Date(unshippedCapture + 2 * hourMs).toISOString()}#${unshipped.id}`,
    );

    // Past the store's 2 h, twice at once and once more: each unshipped order is flagged once.
    const after = latest + 2.5 * hourMs;
    await Promise.all([sweepAt(after), sweepAt(after)]);
    await sweepAt(after + hourMs);
    expect(failures.filter((failure) => ours.includes(failure.orderId))).toEqual([]);
    for (const id of [unshipped.id, partial.id]) {
      const entries = await lateEntries(store, id);
      expect(entries).toEqual([
        { at: expect.any(String), type: 'ship_late', detail: 'not shipped within 2 h of capture' },
      ]);
      expect(await dueIndexEntry(store, id)).toEqual({ duepk: undefined, duesk: undefined });
    }
    expect(await lateEntries(store, shippedInTime.id)).toEqual([]);

    // Shipping the rest later does not take the flag back, nor add another.
    expect(
      (await ship(store, unshipped.id, { carrier: 'ups', trackingNumber: `L${unshipped.id}` })).status,
    ).toBe(201);
    await sweepAt(after + 2 * hourMs);
    expect(await lateEntries(store, unshipped.id)).toHaveLength(1);
    expect((await shippedOrder(store, unshipped.id)).fulfilmentStatus).toBe('shipped');
  });
});
