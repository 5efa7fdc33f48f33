/**
 * What one fact adds to the KPIs of its day, read through its order AS IT IS NOW (contract section
 * 8: "captured by the time of the rollup", "finally approved … as of the rollup"). The rollup
 * applies contributions; order writers compare them before and after a change to find the days
 * whose numbers the change altered (`revisedFactsBetween`), so those days are rolled up again.
 */
import type { Order } from '../order.ts';
import { utcHourOf } from './calendar.ts';
import {
  deliveredAtOf,
  type Fact,
  factsBetween,
  factsOf,
  firstShipmentOf,
  isCurrentFact,
  isLate,
} from './facts.ts';
import type { Counter } from './metrics.ts';

export interface Contribution {
  readonly counts: Readonly<Partial<Record<Counter, number>>>;
  /** Capture → first shipment, for `hoursToShip` and `onTimeShipRate`. */
  readonly millisToShip?: number;
  /** Shipment created → delivered, for `hoursToDeliver`. */
  readonly millisToDeliver?: number;
  /** `deliveryExceptions` counts each shipment once per day: the rollup counts this id once. */
  readonly exceptionShipmentId?: string;
}

/** Refund statuses that move no money: such a refund counts for nothing (as in `amounts.refunded`). */
const refundsNotCounted: ReadonlySet<string> = new Set(['failed', 'canceled']);

/**
 * What `fact` adds to its day, given its order now; undefined when it adds nothing: the order no
 * longer implies it (its time moved), a refund failed or was cancelled, a shipment that is not the
 * order's first, a failed attempt (counted through the checkout's cohort instead).
 */
export function contributionOf(order: Order, fact: Fact): Contribution | undefined {
  if (!isCurrentFact(order, fact)) return undefined;
  const payment = order.paymentFacts;
  const amounts = order.amounts;
  switch (fact.type) {
    case 'checkout_created': {
      const abandoned = order.status === 'cancelled' && order.cancelReason === 'payment_expired';
      return {
        counts: {
          checkoutsStarted: 1,
          checkoutsPaid: payment?.capture === undefined ? 0 : 1,
          checkoutsAbandoned: abandoned ? 1 : 0,
          abandonedValue: abandoned ? amounts.total : 0,
          checkoutsWithFailedPayment: (payment?.failedAttempts.length ?? 0) > 0 ? 1 : 0,
        },
      };
    }
    case 'payment_failed':
      return undefined;
    case 'payment_captured':
      return {
        counts: {
          ordersPaid: 1,
          grossSales: amounts.subtotal,
          discounts: amounts.discount,
          shippingCharged: amounts.shipping,
          taxCollected: amounts.tax,
          unitsSold: order.lines.reduce((units, line) => units + line.quantity, 0),
        },
      };
    case 'refund_created': {
      const refund = payment?.refunds.find((item) => item.id === fact.subId);
      if (refund === undefined || refundsNotCounted.has(refund.status)) return undefined;
      return { counts: { refunds: refund.amount } };
    }
    case 'fraud_screened': {
      const outcome = fraudOutcomeOf(order);
      return {
        counts: {
          fraudScreened: 1,
          fraudApproved: outcome.approved ? 1 : 0,
          fraudReviewed: outcome.reviewed ? 1 : 0,
          fraudRejected: outcome.rejected ? 1 : 0,
        },
      };
    }
    case 'dispute_opened': {
      const dispute = payment?.disputes.find((item) => item.id === fact.subId);
      return dispute === undefined
        ? undefined
        : { counts: { disputesOpened: 1, disputedAmount: dispute.amount } };
    }
    case 'dispute_lost':
      return { counts: { disputesLost: 1 } };
    case 'shipment_created': {
      const first = firstShipmentOf(order);
      if (first === undefined || first.id !== fact.subId) return undefined;
      const capturedAt = payment?.capture?.at;
      // Only a paid order ships, so the capture is there; without it nothing can be timed.
      if (capturedAt === undefined) return { counts: { ordersShipped: 1 } };
      return { counts: { ordersShipped: 1 }, millisToShip: millisBetween(capturedAt, first.createdAt) };
    }
    case 'shipment_delivered': {
      const shipment = order.shipments.find((item) => item.id === fact.subId);
      const deliveredAt = shipment === undefined ? undefined : deliveredAtOf(shipment);
      if (shipment === undefined || deliveredAt === undefined) return undefined;
      return {
        counts: { shipmentsDelivered: 1 },
        millisToDeliver: millisBetween(shipment.createdAt, deliveredAt),
      };
    }
    case 'shipment_exception': {
      const shipmentId = fact.subId?.split('#')[0];
      return shipmentId === undefined ? undefined : { counts: {}, exceptionShipmentId: shipmentId };
    }
  }
}

/**
 * The screening cohort's outcome as of now, by rules or by a reviewer: a rejection wins over an
 * approval (as in the payment state machine); `reviewed` if it was ever sent to review. An order
 * whose review timed out is neither approved nor rejected: nobody decided.
 */
export function fraudOutcomeOf(order: Order): {
  readonly approved: boolean;
  readonly reviewed: boolean;
  readonly rejected: boolean;
} {
  const decisions = order.paymentFacts?.decisions ?? [];
  const rejected = decisions.some((decision) => decision.decision === 'reject');
  return {
    approved: !rejected && decisions.some((decision) => decision.decision === 'approve'),
    reviewed: decisions.some((decision) => decision.decision === 'review'),
    rejected,
  };
}

/**
 * The facts already recorded whose contribution the change from `before` to `after` altered:
 * those whose time moved (the order no longer implies them), refunds that failed, a cohort's
 * checkout that got captured or abandoned, a screening that a reviewer decided. Their days must
 * be rolled up again when they have been already.
 */
export function revisedFactsBetween(before: Order | undefined, after: Order): Fact[] {
  if (before === undefined) return [];
  return factsOf(before).filter(
    (fact) => signature(contributionOf(before, fact)) !== signature(contributionOf(after, fact)),
  );
}

/**
 * The UTC hours to mark stale for the change from `before` to `after` written at `now`: those of
 * the new facts and of the revised ones that are late (more than an hour old), whose day may have
 * been rolled up already. Ascending, each once.
 */
export function staleHoursBetween(before: Order | undefined, after: Order, now: Date): string[] {
  const touched = [...factsBetween(before, after), ...revisedFactsBetween(before, after)];
  const hours = new Set(touched.filter((fact) => isLate(fact, now)).map((fact) => utcHourOf(fact.at)));
  return [...hours].sort();
}

/** A stable text of a contribution, to compare two; its fields are always built in one order. */
function signature(contribution: Contribution | undefined): string {
  return contribution === undefined ? '' : JSON.stringify(contribution);
}

function millisBetween(from: string, to: string): number {
  return Date.parse(to) - Date.parse(from);
}
