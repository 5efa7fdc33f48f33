/**
 * A store's refund of a captured order (contract section 5). The refund is Stripe's: this use case
 * checks what may still be refunded, asks Stripe for it with an idempotency key of its own, and
 * answers with Stripe's refund. The order's `amounts.refunded` and `paymentStatus` are NOT
 * written here: they follow Stripe through the refund webhooks (`refunds_observed`), so the
 * order has one writer for money and cannot disagree with Stripe.
 *
 * What is left to refund is captured minus the refunds not failed, read from Stripe now when the
 * order knows its charge (a refund made a moment ago may not have reached the order through its
 * webhook yet), and never less than the order already knows. Stripe itself refuses a refund above
 * what is left, which settles two concurrent requests.
 */
import { createHash, randomUUID } from 'node:crypto';
import { InvalidState, NotFound, RefundExceedsCaptured, UpstreamUnavailable } from '../domain/errors.ts';
import type { Order } from '../domain/order.ts';
import {
  type PaymentEventsGateway,
  PaymentProviderRejected,
  PaymentProviderUnavailable,
  type RefundView,
} from '../domain/ports.ts';
import type { StoredOrderRef } from './cancel.ts';

export type RefundReason = 'duplicate' | 'fraudulent' | 'requested_by_customer';

export interface RefundDependencies {
  readonly orders: { get(storeId: string, orderId: string): Promise<StoredOrderRef | undefined> };
  readonly payments: Pick<PaymentEventsGateway, 'refund' | 'listRefunds'>;
}

export interface RefundRequest {
  readonly storeId: string;
  readonly orderId: string;
  readonly amount?: number | undefined;
  readonly reason?: RefundReason | undefined;
  /** The request's `Idempotency-Key`, when the store sent one. */
  readonly idempotencyKey?: string | undefined;
}

export interface RefundResult {
  readonly id: string;
  readonly amount: number;
  readonly status: string;
}

/** Money has been captured and no dispute holds it. */
const refundable: ReadonlySet<Order['paymentStatus']> = new Set([
  'captured',
  'partially_refunded',
  'refunded',
]);
const notCounted = new Set(['failed', 'canceled']);
/** Stripe's codes for "more than is left on the charge". */
const exceedsCodes = new Set(['amount_too_large', 'charge_already_refunded']);

export async function refundOrder(deps: RefundDependencies, request: RefundRequest): Promise<RefundResult> {
  const stored = await deps.orders.get(request.storeId, request.orderId);
  if (stored === undefined) throw new NotFound(`No order "${request.orderId}".`);
  const { order } = stored;
  if (order.paymentStatus === 'disputed') {
    throw new InvalidState(
      'The payment is disputed: the dispute, not a refund, decides where the money goes.',
    );
  }
  if (!refundable.has(order.paymentStatus) || order.amounts.captured <= 0) {
    throw new InvalidState(`The payment is ${order.paymentStatus}; only captured payments can be refunded.`);
  }
  const requestKey = refundIdempotencyKey(request);
  const { made, refunded } = await refundsSoFar(deps, order);
  // A retry of a request whose refund Stripe made before the answer was lost (a 5xx is not kept
  // for replay): that refund is this request's answer, not part of what it may still refund.
  const earlier =
    request.idempotencyKey === undefined ? undefined : made.find((r) => r.requestKey === requestKey);
  if (earlier !== undefined) return { id: earlier.id, amount: earlier.amount, status: earlier.status };
  const remaining = order.amounts.captured - refunded;
  const amount = request.amount ?? remaining;
  if (amount > remaining || amount <= 0) {
    throw new RefundExceedsCaptured(
      `At most ${Math.max(remaining, 0)} can still be refunded (captured ${order.amounts.captured}).`,
    );
  }
  let refund: RefundView;
  try {
    refund = await deps.payments.refund({
      paymentIntentId: order.payment.paymentIntentId,
      amount,
      ...(request.reason === undefined ? {} : { reason: request.reason }),
      metadata: { orderId: order.id, storeId: request.storeId, requestKey },
      idempotencyKey: requestKey,
    });
  } catch (error) {
    if (error instanceof PaymentProviderRejected) {
      if (exceedsCodes.has(error.providerCode ?? '')) {
        throw new RefundExceedsCaptured('More than is left on the charge (another refund was just made).', {
          cause: error,
        });
      }
      throw new InvalidState("The payment provider refused the refund in the payment's current state.", {
        cause: error,
      });
    }
    if (error instanceof PaymentProviderUnavailable) {
      throw new UpstreamUnavailable(
        'The payment provider is unavailable; retry with the same Idempotency-Key.',
        {
          cause: error,
        },
      );
    }
    throw error;
  }
  return { id: refund.id, amount: refund.amount, status: refund.status };
}

/** The refunds Stripe has for the order's charge, and how much of the capture they hold. */
async function refundsSoFar(
  deps: RefundDependencies,
  order: Order,
): Promise<{ readonly made: readonly RefundView[]; readonly refunded: number }> {
  const chargeId = order.paymentFacts?.authorization?.chargeId;
  if (chargeId === undefined) return { made: [], refunded: order.amounts.refunded };
  const made = await deps.payments.listRefunds(chargeId);
  const atStripe = made
    .filter((refund) => !notCounted.has(refund.status))
    .reduce((sum, refund) => sum + refund.amount, 0);
  return { made, refunded: Math.max(atStripe, order.amounts.refunded) };
}

/**
 * One Stripe key per refund request. With the store's Idempotency-Key, it is derived from it (and
 * the store and order): the idempotency guard replays a finished request, and a retry of one that
 * failed after Stripe made the refund (a 5xx is not kept for replay) reaches Stripe with the same
 * key and gets the same refund instead of a second one. Without a key, each request is a new
 * refund by the contract's own rule, so it gets a fresh key.
 */
export function refundIdempotencyKey(
  request: Pick<RefundRequest, 'storeId' | 'orderId' | 'idempotencyKey'>,
): string {
  const suffix =
    request.idempotencyKey === undefined
      ? randomUUID()
      : createHash('sha256').update(`${request.storeId}\u0000${request.idempotencyKey}`).digest('hex');
  return `${request.orderId}:refund:${suffix}`;
}
