/**
 * Orders for the KPI tests, moved through the real state machines (checkout, payments, shipping)
 * so that their facts are the ones production writes. A `Story` keeps the order's latest state and
 * the facts each change brought, in the order the changes were written.
 */
import { type Fact, factsBetween } from '../../functions/domain/kpis.ts';
import type { Attribution, CancelReason, Order } from '../../functions/domain/order.ts';
import { cancelOrder, newOrder } from '../../functions/domain/order.ts';
import {
  applyPaymentEvent,
  type DisputeSnapshot,
  type FraudDecisionFact,
  type RefundSnapshot,
} from '../../functions/domain/payments.ts';
import { applyTrackingEvents, planShipment, type TrackingStatus } from '../../functions/domain/shipping.ts';

export const storeId = 'str_kpi';

export interface OrderInput {
  readonly id: string;
  readonly at: string;
  readonly currency?: string;
  readonly segment?: 'b2c' | 'b2b';
  readonly attribution?: Attribution;
  readonly country?: string;
  /** Quantity and unit amount of each line. */
  readonly lines?: readonly (readonly [quantity: number, unitAmount: number])[];
  readonly discount?: number;
  readonly shipping?: number;
  readonly tax?: number;
}

/** A checkout and everything that happens to its order afterwards. */
export class Story {
  order: Order;
  readonly facts: Fact[];
  private shipments = 0;
  private events = 0;

  constructor(input: OrderInput) {
    const lines = (input.lines ?? [[1, 1000]]).map(([quantity, unitAmount], index) => ({
      sku: `SKU${index}`,
      name: `Item ${index}`,
      quantity,
      unitAmount,
      amount: quantity * unitAmount,
    }));
    const subtotal = lines.reduce((sum, line) => sum + line.amount, 0);
    const discount = input.discount ?? 0;
    const shipping = input.shipping ?? 0;
    const tax = input.tax ?? 0;
    this.order = newOrder({
      id: input.id,
      request: {
        currency: input.currency ?? 'usd',
        customer: { email: `${input.id}@example.com`, type: input.segment ?? 'b2c', marketingConsent: false },
        shippingAddress: {
          line1: '1 Main St',
          city: 'Springfield',
          postalCode: '12345',
          country: input.country ?? 'US',
        },
        ...(input.attribution === undefined ? {} : { attribution: input.attribution }),
      },
      price: { lines, subtotal, discount, shipping, tax, total: subtotal - discount + shipping + tax },
      paymentIntentId: `pi_${input.id}`,
      reservationMinutes: 30,
      now: new Date(input.at),
    });
    this.facts = factsBetween(undefined, this.order);
  }

  private become(next: Order): this {
    this.facts.push(...factsBetween(this.order, next));
    this.order = next;
    return this;
  }

  private pay(event: Parameters<typeof applyPaymentEvent>[1]): this {
    return this.become(applyPaymentEvent(this.order, event, { storeId }).order);
  }

  failAttempt(at: string, attemptId = `ch_fail_${this.order.id}_${at}`): this {
    return this.pay({ kind: 'payment_failed', at, attemptId, failureCode: 'card_declined' });
  }

  authorize(at: string): this {
    const { order } = this;
    return this.pay({
      kind: 'authorized',
      at,
      intent: {
        id: order.payment.paymentIntentId,
        amount: order.amounts.total,
        currency: order.currency,
        metadata: { orderId: order.id, storeId },
      },
      chargeId: `ch_${order.id}`,
    });
  }

  decide(
    decision: FraudDecisionFact['decision'],
    decidedBy: FraudDecisionFact['decidedBy'],
    at: string,
  ): this {
    return this.pay({
      kind: 'fraud_decided',
      decision: { decision, score: decision === 'approve' ? 0 : 60, reasons: [], decidedAt: at, decidedBy },
    });
  }

  timeOutReview(at: string): this {
    return this.pay({ kind: 'review_timed_out', at });
  }

  capture(at: string): this {
    return this.pay({ kind: 'captured', at, amount: this.order.amounts.total });
  }

  cancel(reason: CancelReason, at: string): this {
    return this.become(cancelOrder(this.order, reason, new Date(at)));
  }

  /** Stripe's `payment_intent.canceled` (after a rejection, for instance). */
  intentCanceled(at: string, cancellationReason: string | null): this {
    return this.pay({ kind: 'canceled', at, cancellationReason });
  }

  refund(refund: RefundSnapshot, at = refund.created): this {
    return this.pay({ kind: 'refunds_observed', at, refunds: [refund] });
  }

  dispute(dispute: DisputeSnapshot, at: string): this {
    return this.pay({ kind: 'dispute_observed', at, dispute });
  }

  /** A shipment of `lines` (default: everything unshipped); its id is `<orderId>_s<n>`. */
  ship(at: string, lines?: readonly { sku: string; quantity: number }[]): string {
    this.shipments += 1;
    const shipmentId = `${this.order.id}_s${this.shipments}`;
    const planned = planShipment(
      this.order,
      {
        carrier: 'ups',
        trackingNumber: `T${shipmentId}`,
        ...(lines === undefined ? {} : { lines: lines.map((line) => ({ ...line })) }),
      },
      { shipmentId, now: new Date(at) },
    );
    this.become(planned.order);
    return shipmentId;
  }

  track(shipmentId: string, status: TrackingStatus, occurredAt: string, eventId?: string): this {
    this.events += 1;
    const { order } = applyTrackingEvents(this.order, shipmentId, [
      {
        eventId: eventId ?? `ev_${shipmentId}_${this.events}`,
        carrier: 'ups',
        trackingNumber: `T${shipmentId}`,
        status,
        occurredAt,
      },
    ]);
    return this.become(order);
  }
}

/** `2026-11-28T10:00:00.000Z` plus `minutes`. */
export function minutesAfter(at: string, minutes: number): string {
  return new Date(Date.parse(at) + minutes * 60_000).toISOString();
}

export function ordersById(orders: readonly Order[]): Map<string, Order> {
  return new Map(orders.map((order) => [order.id, order]));
}
