/**
 * The sweeper's review timeout (contract section 6): an order `on_hold` for longer than its
 * store's `fraud.reviewTimeoutHours` is rejected (`review_timed_out`: PaymentIntent cancelled,
 * order `cancelled` with `review_timeout`, stock back) through the payment state machine.
 *
 * Found without a Scan through the sparse due index: the repository files every order on hold
 * under `DUE#review#<shard>` at its hold time plus the SHORTEST timeout a store may set (1 h),
 * because the order's write does not read store settings. Here each due order is re-checked
 * against its store's current setting: one not due yet is deferred to its store's own due time,
 * so an order is read about twice, not every minute. (A store that shortens its timeout later
 * sees already-deferred orders time out at the deferred time.)
 */

import type { Order } from '../domain/order.ts';
import type { Clock } from '../domain/ports.ts';
import { reviewDueAt } from '../domain/review.ts';
import { type EffectDependencies, transitionOrder } from '../payments/effects.ts';
import type { StoredOrderRef } from './cancel.ts';

export interface ReviewTimeoutOrders {
  dueReviews(now: string, limitPerShard: number): Promise<StoredOrderRef[]>;
  deferReviewDue(stored: StoredOrderRef, dueAt: string): Promise<'deferred' | 'conflict'>;
}

export interface ReviewTimeoutDependencies extends EffectDependencies {
  readonly orders: EffectDependencies['orders'] & ReviewTimeoutOrders;
  readonly clock: Clock;
  /** The store's `fraud.reviewTimeoutHours`, or undefined when the store is gone. */
  readonly reviewTimeoutHours: (storeId: string) => Promise<number | undefined>;
}

export interface ReviewTimeoutReport {
  readonly timedOut: number;
  readonly deferred: number;
  readonly failed: number;
}

/** The contract's default, for an order whose store cannot be read any more. */
const defaultTimeoutHours = 72;

export async function expireReviews(
  deps: ReviewTimeoutDependencies,
  onFailure: (orderId: string, error: unknown) => void,
): Promise<ReviewTimeoutReport> {
  const now = deps.clock.now().toISOString();
  const due = await deps.orders.dueReviews(now, 100);
  const timeouts = new Map<string, Promise<number | undefined>>();
  let timedOut = 0;
  let deferred = 0;
  let failed = 0;
  for (const stored of due) {
    try {
      let hours = timeouts.get(stored.storeId);
      if (hours === undefined) {
        hours = deps.reviewTimeoutHours(stored.storeId);
        timeouts.set(stored.storeId, hours);
      }
      const dueAt = reviewDueAt(stored.order, (await hours) ?? defaultTimeoutHours);
      if (dueAt > now) {
        if ((await deps.orders.deferReviewDue(stored, dueAt)) === 'deferred') deferred++;
        continue;
      }
      const result = await transitionOrder(
        deps,
        { storeId: stored.storeId, orderId: stored.order.id },
        (order: Order) => (order.status === 'on_hold' ? { kind: 'review_timed_out', at: now } : undefined),
      );
      if (result.outcome === 'applied') timedOut++;
    } catch (error) {
      failed++;
      onFailure(stored.order.id, error);
    }
  }
  return { timedOut, deferred, failed };
}
