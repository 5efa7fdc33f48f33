/**
 * The sweeper's reservation expiry (contract sections 2 and 5): an order not authorised within
 * `reservationMinutes` is cancelled as `payment_expired` and its stock released. The
 * PaymentIntent is re-read first: one authorised meanwhile is treated as authorised, not
 * cancelled (its webhook may simply be late) — through the payment state machine, exactly as
 * that webhook would be, so it is queued for fraud screening now and the late webhook changes
 * nothing.
 */
import type { Clock } from '../domain/ports.ts';
import { type EffectDependencies, type TransitionOrders, transitionOrder } from '../payments/effects.ts';
import { type CancellableOrders, cancelStoreOrder, type StoredOrderRef } from './cancel.ts';

export interface ExpiringOrders extends CancellableOrders, TransitionOrders {
  expiredReservations(now: string, limitPerShard: number): Promise<StoredOrderRef[]>;
}

export interface ExpiryReport {
  readonly expired: number;
  readonly authorised: number;
  readonly failed: number;
}

const authorisedStatuses = new Set(['requires_capture', 'processing', 'succeeded']);

export async function expireReservations(
  deps: EffectDependencies & { readonly orders: ExpiringOrders; readonly clock: Clock },
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
        const at = deps.clock.now().toISOString();
        const { outcome } = await transitionOrder(
          deps,
          { storeId: stored.storeId, orderId: stored.order.id },
          (order) =>
            order.status === 'pending_payment'
              ? {
                  kind: 'authorized',
                  at,
                  intent: {
                    id: intent.id,
                    amount: intent.amount,
                    currency: intent.currency,
                    metadata: intent.metadata,
                  },
                  // Screening reads Radar's outcome and the card from this charge.
                  ...(intent.latestChargeId === undefined ? {} : { chargeId: intent.latestChargeId }),
                }
              : undefined,
        );
        if (outcome === 'applied') authorised++;
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
