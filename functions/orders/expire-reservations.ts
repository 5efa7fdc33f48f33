/**
 * The sweeper's reservation expiry (contract sections 2 and 5): an order not authorised within
 * `reservationMinutes` is cancelled as `payment_expired` and its stock released. The
 * PaymentIntent is re-read first: one authorised meanwhile is treated as authorised, not
 * cancelled (its webhook may simply be late).
 */
import type { Order } from '../domain/order.ts';
import type { Clock, PaymentGateway } from '../domain/ports.ts';
import { type CancellableOrders, cancelStoreOrder, type StoredOrderRef } from './cancel.ts';

export interface ExpiringOrders extends CancellableOrders {
  expiredReservations(now: string, limitPerShard: number): Promise<StoredOrderRef[]>;
  save(stored: StoredOrderRef, next: Order): Promise<'saved' | 'conflict'>;
}

export interface ExpiryReport {
  readonly expired: number;
  readonly authorised: number;
  readonly failed: number;
}

const authorisedStatuses = new Set(['requires_capture', 'processing', 'succeeded']);

export async function expireReservations(
  deps: { readonly orders: ExpiringOrders; readonly payments: PaymentGateway; readonly clock: Clock },
  onFailure: (orderId: string, error: unknown) => void,
): Promise<ExpiryReport> {
  const due = await deps.orders.expiredReservations(deps.clock.now().toISOString(), 100);
  let expired = 0;
  let authorised = 0;
  let failed = 0;
  for (const stored of due) {
    try {
      const intent = await deps.payments.retrievePaymentIntent(stored.order.payment.paymentIntentId);
      if (authorisedStatuses.has(intent.status)) {
        if ((await deps.orders.save(stored, markAuthorised(stored.order, deps.clock.now()))) === 'saved')
          authorised++;
        continue;
      }
      await cancelStoreOrder(deps, {
        storeId: stored.storeId,
        orderId: stored.order.id,
        reason: 'payment_expired',
        from: ['pending_payment'],
        stripeReason: 'abandoned',
      });
      expired++;
    } catch (error) {
      failed++;
      onFailure(stored.order.id, error);
    }
  }
  return { expired, authorised, failed };
}

/** Leaves the due index; the payment events consumer takes the order on from here. */
function markAuthorised(order: Order, now: Date): Order {
  const at = now.toISOString();
  return {
    ...order,
    status: 'processing',
    paymentStatus: 'authorized',
    timeline: [
      ...order.timeline,
      { at, type: 'payment_authorized', detail: 'found authorised at reservation expiry' },
    ],
    updatedAt: at,
  };
}
