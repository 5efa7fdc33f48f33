/**
 * Fraud reviews (contract section 6): the queue of orders `on_hold`, oldest first, and a
 * reviewer's decision on one of them. The decision goes through the payment state machine like
 * any other fact, and its effects (capture on approve; on reject, the PaymentIntent cancelled and
 * the stock back) through the same code as the payment events consumer (`payments/effects.ts`).
 *
 * The machine resolves conflicting decisions reject > approve > review, so a decision must only
 * be recorded while the order is in review: the write is guarded by the version read, and a lost
 * race re-reads and re-checks `on_hold` before applying it.
 */
import type { Page } from '../adapters/pagination.ts';
import { InvalidState, NotFound, UpstreamUnavailable } from '../domain/errors.ts';
import type { Order, OrderStatus } from '../domain/order.ts';
import type { PaymentEvent } from '../domain/payments.ts';
import { type Clock, PaymentProviderUnavailable } from '../domain/ports.ts';
import { type EffectDependencies, type TransitionResult, transitionOrder } from '../payments/effects.ts';
import type { StoredOrderRef } from './cancel.ts';

export interface ReviewQueue {
  listOldestInStatus(
    storeId: string,
    status: OrderStatus,
    limit: number,
    cursor: string | undefined,
  ): Promise<Page<Order>>;
}

export interface ReviewDependencies extends EffectDependencies {
  readonly orders: EffectDependencies['orders'] & {
    get(storeId: string, orderId: string): Promise<StoredOrderRef | undefined>;
  };
  readonly clock: Clock;
}

export type ReviewDecision = 'approve' | 'reject';

/** The store's orders in review, oldest first. */
export function listReviews(
  orders: ReviewQueue,
  storeId: string,
  limit: number,
  cursor: string | undefined,
): Promise<Page<Order>> {
  return orders.listOldestInStatus(storeId, 'on_hold', limit, cursor);
}

/** Records a reviewer's decision on an order in review and performs what it calls for. */
export async function decideReview(
  deps: ReviewDependencies,
  request: {
    readonly storeId: string;
    readonly orderId: string;
    readonly decision: ReviewDecision;
    readonly note?: string | undefined;
  },
): Promise<Order> {
  const { storeId, orderId } = request;
  const decidedAt = deps.clock.now().toISOString();
  const eventFor = (order: Order): PaymentEvent => ({
    kind: 'fraud_decided',
    decision: {
      decision: request.decision,
      score: order.fraud?.score ?? 0,
      reasons: order.fraud?.reasons ?? [],
      decidedAt,
      decidedBy: 'reviewer',
      ...(request.note === undefined ? {} : { note: request.note }),
    },
  });
  const current = await deps.orders.get(storeId, orderId);
  if (current === undefined) throw new NotFound(`No order "${orderId}".`);
  if (!isDecidable(current.order, request.decision)) {
    // Decided already: a retry after a 503 (the provider failed after the decision was written)
    // performs the capture or cancel still owed before answering that the order is not in review.
    await performOwedEffects(deps, storeId, orderId);
    refuseUnlessDecidable(current.order, request.decision);
  }

  let result: TransitionResult;
  try {
    // The guard runs on every fresh read: a decision is recorded only while the order is in review.
    result = await transitionOrder(deps, { storeId, orderId }, (order) =>
      isDecidable(order, request.decision) ? eventFor(order) : undefined,
    );
  } catch (error) {
    if (error instanceof PaymentProviderUnavailable) {
      throw new UpstreamUnavailable(
        'The decision is recorded, but the payment provider is unavailable: the payment was not yet captured or cancelled.',
        { cause: error },
      );
    }
    throw error;
  }
  if (result.order === undefined) throw new NotFound(`No order "${orderId}".`);
  // Unchanged: another decision (or a webhook) took the order out of review in between.
  if (result.outcome === 'unchanged') refuseUnlessDecidable(result.order, request.decision);
  return result.order;
}

async function performOwedEffects(deps: ReviewDependencies, storeId: string, orderId: string): Promise<void> {
  try {
    await transitionOrder(deps, { storeId, orderId }, () => undefined);
  } catch (error) {
    if (error instanceof PaymentProviderUnavailable) {
      throw new UpstreamUnavailable(
        'The decision is recorded, but the payment provider is still unavailable: retry.',
        { cause: error },
      );
    }
    throw error;
  }
}

function isDecidable(order: Order, decision: ReviewDecision): boolean {
  // A PaymentIntent that does not match the order is never captured (the machine holds it): such
  // an order can only be rejected or cancelled.
  return order.status === 'on_hold' && !(decision === 'approve' && order.holdReason === 'payment_mismatch');
}

function refuseUnlessDecidable(order: Order, decision: ReviewDecision) {
  if (order.status !== 'on_hold') {
    throw new InvalidState(`The order is ${order.status}; only orders on_hold can be reviewed.`);
  }
  if (!isDecidable(order, decision)) {
    throw new InvalidState(
      "The order's PaymentIntent does not match it (payment_mismatch): it cannot be approved, only rejected.",
    );
  }
}
