/**
 * Cancelling an order, by the store (`requested`) or by the sweeper when a reservation expires
 * (`payment_expired`). The PaymentIntent is cancelled first: if Stripe says it can no longer be
 * (it was captured), the order is not touched. Stock and coupon go back exactly once, guarded by
 * the order's version.
 */
import { InvalidState, NotFound, UpstreamUnavailable } from '../domain/errors.ts';
import { type CancelReason, cancelOrder, type Order, type OrderStatus } from '../domain/order.ts';
import {
  type CancellationReason,
  type Clock,
  type PaymentGateway,
  PaymentProviderRejected,
  PaymentProviderUnavailable,
} from '../domain/ports.ts';

export interface StoredOrderRef {
  readonly storeId: string;
  readonly version: number;
  readonly order: Order;
}

export interface CancellableOrders {
  get(storeId: string, orderId: string): Promise<StoredOrderRef | undefined>;
  cancel(stored: StoredOrderRef, cancelled: Order): Promise<'cancelled' | 'conflict'>;
}

export interface CancelDependencies {
  readonly orders: CancellableOrders;
  readonly payments: PaymentGateway;
  readonly clock: Clock;
}

const attempts = 5;

export async function cancelStoreOrder(
  deps: CancelDependencies,
  request: {
    readonly storeId: string;
    readonly orderId: string;
    readonly reason: CancelReason;
    readonly from: readonly OrderStatus[];
    readonly stripeReason: CancellationReason;
    readonly note?: string | undefined;
  },
): Promise<Order> {
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const stored = await deps.orders.get(request.storeId, request.orderId);
    if (stored === undefined) throw new NotFound(`No order "${request.orderId}".`);
    const { order } = stored;
    if (!request.from.includes(order.status)) {
      throw new InvalidState(
        `The order is ${order.status}; only ${request.from.join(', ')} orders can be cancelled.`,
      );
    }
    await cancelPaymentIntent(deps, order, request.stripeReason, attempt);
    const cancelled = cancelOrder(order, request.reason, deps.clock.now(), request.note);
    if ((await deps.orders.cancel(stored, cancelled)) === 'cancelled') return cancelled;
  }
  throw new UpstreamUnavailable('The order kept changing while it was being cancelled; retry.');
}

async function cancelPaymentIntent(
  deps: CancelDependencies,
  order: Order,
  reason: CancellationReason,
  attempt: number,
) {
  try {
    await deps.payments.cancelPaymentIntent(
      order.payment.paymentIntentId,
      reason,
      `${order.id}:cancel:${deps.clock.now().getTime()}:${attempt}`,
    );
  } catch (error) {
    if (error instanceof PaymentProviderRejected) {
      throw new InvalidState('The payment can no longer be cancelled (it was captured); refund it instead.', {
        cause: error,
      });
    }
    if (error instanceof PaymentProviderUnavailable) {
      throw new UpstreamUnavailable(
        'The payment provider is unavailable; the order was not cancelled. Retry.',
        {
          cause: error,
        },
      );
    }
    throw error;
  }
}
