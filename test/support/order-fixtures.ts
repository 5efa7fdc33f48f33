/**
 * In-memory stand-ins for unit tests of the payment use cases: a one-line 50.00 USD order as
 * checkout creates it, and an order store with the repository's version guard and pending effects.
 */
import type { StoredOrder } from '../../functions/adapters/order-items.ts';
import type { PendingEffect } from '../../functions/adapters/orders-repository.ts';
import { newOrder, type Order } from '../../functions/domain/order.ts';
import type { TransitionOrders } from '../../functions/payments/effects.ts';

export const fixtureStoreId = 'str_1';

/** `ord_1`, paid through `pi_1`: one unit of `A` at 5000, nothing else on top. */
export function placedOrder(now: Date = new Date('2026-11-28T10:00:00.000Z')): Order {
  return newOrder({
    id: 'ord_1',
    request: {
      currency: 'usd',
      customer: { email: 'ada@example.com', type: 'b2c', marketingConsent: false },
      shippingAddress: { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' },
    },
    price: {
      lines: [{ sku: 'A', name: 'A', quantity: 1, unitAmount: 5000, amount: 5000 }],
      subtotal: 5000,
      discount: 0,
      shipping: 0,
      tax: 0,
      total: 5000,
    },
    paymentIntentId: 'pi_1',
    reservationMinutes: 30,
    now,
  });
}

/** One order kept in memory, with the version guard and the pending effects of the real repository. */
export function memoryOrders(start: Order, storeId: string = fixtureStoreId) {
  let stored: StoredOrder = { storeId, version: 1, order: start };
  const pending = new Map<string, PendingEffect>();
  const releases: unknown[] = [];
  const orders: TransitionOrders & {
    findByPaymentIntent(id: string): Promise<{ storeId: string; orderId: string } | undefined>;
  } = {
    findByPaymentIntent: async (id) =>
      id === start.payment.paymentIntentId ? { storeId, orderId: start.id } : undefined,
    getWithPendingEffects: async () => ({ stored, pendingEffects: [...pending.values()] }),
    saveTransition: async (read, next, commitments) => {
      if (read.version !== stored.version) return 'conflict';
      stored = { storeId, version: read.version + 1, order: next };
      for (const effect of commitments.pendingEffects) pending.set(effect.id, effect);
      if (commitments.release !== undefined) releases.push(commitments.release);
      return 'saved';
    },
    claimEffect: async (_store, _order, id) => pending.has(id),
    settleEffect: async (_store, _order, id) => {
      pending.delete(id);
    },
    recordPriorDispute: async () => {},
  };
  return { orders, pending, releases, current: () => stored.order, stored: () => stored };
}
