/**
 * When an order in review (`on_hold`) is due to time out (contract section 6: the sweeper rejects
 * reviews older than the store's `fraud.reviewTimeoutHours`). Pure, so the repository can put the
 * due time in its index and the sweeper can re-check it against the store's setting.
 */
import type { Order } from './order.ts';

/** The shortest `fraud.reviewTimeoutHours` a store may set (see `settings.ts`). */
export const shortestReviewTimeoutHours = 1;

const hourMs = 3_600_000;

/**
 * When the order went on hold, from its payment facts, so that later writes (a timeline entry,
 * a late webhook) do not push it: a mismatch holds it from the authorisation, a fraud review from
 * the first `review` decision.
 */
export function heldSince(order: Order): string {
  const facts = order.paymentFacts;
  if (order.holdReason === 'payment_mismatch' && facts?.authorization !== undefined) {
    return facts.authorization.at;
  }
  const reviews = (facts?.decisions ?? [])
    .filter((decision) => decision.decision === 'review')
    .map((decision) => decision.decidedAt)
    .sort();
  return reviews[0] ?? order.updatedAt;
}

/** When the review of `order` times out under a timeout of `hours`. */
export function reviewDueAt(order: Order, hours: number): string {
  return new Date(new Date(heldSince(order)).getTime() + hours * hourMs).toISOString();
}
