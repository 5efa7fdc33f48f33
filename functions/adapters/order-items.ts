/**
 * How an order is stored on the main table: its keys, its item with the index attributes, and
 * the way back. Shared by every repository that writes orders (checkout, orders), so the item's
 * shape is decided in one place.
 */
import { createHash } from 'node:crypto';
import type { Order } from '../domain/order.ts';
import { reviewDueAt, shortestReviewTimeoutHours } from '../domain/review.ts';
import { shipDueAt, shortestShipWithinHours } from '../domain/ship-deadline.ts';

export const orderKey = (storeId: string, orderId: string) => ({
  pk: `STORE#${storeId}#ORDER#${orderId}`,
  sk: '#ORDER',
});
export const paymentIntentKey = (paymentIntentId: string) => ({
  pk: `PAYMENT_INTENT#${paymentIntentId}`,
  sk: '#REF',
});

/** Reservation deadlines are spread over shards so that no one partition takes every order. */
export const dueShards = 8;
export const dueShard = (orderId: string) =>
  (createHash('sha1').update(orderId).digest()[0] ?? 0) % dueShards;

export interface StoredOrder {
  readonly storeId: string;
  readonly version: number;
  readonly order: Order;
}

/**
 * The order's item with its index keys; `pending_payment`, `on_hold` and paid orders that can
 * still become late to ship are in the due index.
 */
export function orderItem(storeId: string, order: Order, version: number): Record<string, unknown> {
  const sortKey = `${order.createdAt}#${order.id}`;
  const shipDue = shipDueAt(order, shortestShipWithinHours);
  return {
    ...orderKey(storeId, order.id),
    entity: 'order',
    storeId,
    version,
    gsi1pk: `ORDERS#${storeId}`,
    gsi1sk: sortKey,
    gsi2pk: `ORDERS#${storeId}#${order.status}`,
    gsi2sk: sortKey,
    ...(order.status === 'pending_payment'
      ? { duepk: `DUE#reservation#${dueShard(order.id)}`, duesk: `${order.reservationExpiresAt}#${order.id}` }
      : {}),
    // Due at the earliest timeout a store may set; the sweeper re-checks the store's own setting
    // and defers the order to it (`deferReviewDue`), so no store's timeout is read here.
    ...(order.status === 'on_hold'
      ? {
          duepk: `DUE#review#${dueShard(order.id)}`,
          duesk: `${reviewDueAt(order, shortestReviewTimeoutHours)}#${order.id}`,
        }
      : {}),
    // As for reviews: due at the shortest `fulfilment.shipWithinHours`, deferred by the sweeper
    // (`flagLateShipments`) to the store's own. Shipped or flagged orders leave the index.
    ...(shipDue === undefined
      ? {}
      : { duepk: `DUE#ship#${dueShard(order.id)}`, duesk: `${shipDue}#${order.id}` }),
    ...order,
  };
}

export function storedOrder(item: Record<string, unknown>): StoredOrder {
  const {
    pk: _pk,
    sk: _sk,
    entity: _entity,
    gsi1pk: _gsi1pk,
    gsi1sk: _gsi1sk,
    gsi2pk: _gsi2pk,
    gsi2sk: _gsi2sk,
    duepk: _duepk,
    duesk: _duesk,
    storeId,
    version,
    ...order
  } = item;
  return { storeId: storeId as string, version: version as number, order: order as Order };
}
